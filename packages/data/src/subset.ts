/**
 * `--limit`-style subsets: the first N samples, or N chosen at random from a seed, for
 * quick runs and tests on a slice of a dataset.
 */
import type { ImageDataset } from './dataset.js';
import { STREAM_SUBSET, streamGenerator } from './seed.js';

/** How {@link limitDataset} picks its samples. */
export interface LimitOptions {
  /** When given, a random subset drawn from this seed (kept in dataset order); otherwise the first `limit` samples. */
  seed?: number;
}

/**
 * The indices {@link limitDataset} keeps: 0..limit-1, or with a seed `limit` distinct
 * indices chosen uniformly at random (the same for the same seed on every platform),
 * sorted ascending. A limit at or above `length` keeps everything.
 */
export function subsetIndices(length: number, limit: number, opts: LimitOptions = {}): Int32Array {
  if (!Number.isInteger(length) || length < 0) throw new Error(`subsetIndices: length must be a non-negative integer, got ${length}`);
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`subsetIndices: limit must be a non-negative integer, got ${limit}`);
  const n = Math.min(limit, length);
  if (opts.seed === undefined) return Int32Array.from({ length: n }, (_, i) => i);
  // A partial Fisher-Yates: the first n slots end up a uniform n-subset.
  const g = streamGenerator(opts.seed, STREAM_SUBSET);
  const pool = new Int32Array(length);
  for (let i = 0; i < length; i++) pool[i] = i;
  for (let i = 0; i < n; i++) {
    const j = g.nextInt(i, length);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, n).sort();
}

/**
 * A copy of at most `limit` samples of `dataset` (see {@link subsetIndices}); `undefined`
 * returns the dataset itself, so `limitDataset(ds, args.limit)` passes an unset flag through.
 */
export function limitDataset(dataset: ImageDataset, limit: number | undefined, opts: LimitOptions = {}): ImageDataset {
  if (limit === undefined) return dataset;
  const indices = subsetIndices(dataset.length, limit, opts);
  const how = opts.seed === undefined ? `first ${indices.length}` : `${indices.length} random (seed ${opts.seed})`;
  return dataset.select(indices, `${dataset.name} [${how}]`);
}

/**
 * Parses a `--limit` value: a non-negative integer, `undefined` for an absent or empty one.
 * @throws Error for anything else (e.g. "10k", "-1", "1.5").
 */
export function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  if (!/^\s*\d+\s*$/.test(text)) throw new Error(`--limit must be a non-negative integer, got "${text}"`);
  return Number(text);
}
