/**
 * Reading IDX files from disk, gzip-compressed or not (detected from the 1f 8b magic, not
 * the file name), and pairing an image file with its label file.
 */
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { ImageDataset } from '../dataset.js';
import { imageDatasetFromIdx, type IdxPairOptions } from '../idx-dataset.js';
import { DataFormatError, isGzip, parseIdx, type IdxArray } from '../idx.js';

const gunzipAsync = promisify(gunzip);

/**
 * The contents of `path`, decompressed when it is gzip.
 * @throws {@link DataFormatError} naming the file when the gzip stream is corrupt or cut short.
 */
export async function readMaybeGzip(path: string): Promise<Uint8Array> {
  const raw = await readFile(path);
  if (!isGzip(raw)) return raw;
  try {
    return await gunzipAsync(raw);
  } catch (e) {
    throw new DataFormatError(path, `gzip data is corrupt or truncated (${(e as Error).message})`);
  }
}

/**
 * Reads and validates an IDX file (plain or gzip).
 * @throws {@link DataFormatError} naming the file for anything malformed (see `parseIdx`).
 */
export async function readIdxFile(path: string): Promise<IdxArray> {
  // The buffer was just read and is ours, so the data may be a view of it.
  return parseIdx(await readMaybeGzip(path), path, { view: true });
}

/**
 * An {@link ImageDataset} from an IDX image file and an IDX label file.
 * @throws {@link DataFormatError} naming the file at fault, both files when their counts differ.
 */
export async function loadIdxDataset(imagesPath: string, labelsPath: string, opts: Omit<IdxPairOptions, 'imagesFile' | 'labelsFile'> = {}): Promise<ImageDataset> {
  const [images, labels] = await Promise.all([readIdxFile(imagesPath), readIdxFile(labelsPath)]);
  return imageDatasetFromIdx(images, labels, { ...opts, imagesFile: imagesPath, labelsFile: labelsPath });
}
