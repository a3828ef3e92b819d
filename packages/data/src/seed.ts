/**
 * Seed derivation and permutations. Every random stream the package uses (an epoch's
 * order, a batch's augmentations, a random subset) gets its own Generator seeded from
 * (seed, stream, indices...), so any one of them can be recomputed without replaying the
 * others: that is what makes resuming mid-epoch exact. Integer arithmetic only (Math.imul),
 * so the streams are the same on every platform.
 */
import { Generator } from '@dynconv/core';

/**
 * Stream ids, so that e.g. epoch 3's order and batch 3's augmentations are unrelated. This one
 * seeds each epoch's shuffled order.
 */
export const STREAM_SHUFFLE = 1;
/** Stream id of each batch's random augmentations (see {@link STREAM_SHUFFLE}). */
export const STREAM_TRANSFORM = 2;
/** Stream id of the random subset `limitDataset` picks (see {@link STREAM_SHUFFLE}). */
export const STREAM_SUBSET = 3;

/** murmur3's 32-bit finaliser: a bijection on uint32 with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Folds any finite number into 32 bits the way `Generator.manualSeed` does. */
function fold(x: number): number {
  if (!Number.isFinite(x)) throw new Error(`deriveSeed: expected finite numbers, got ${x}`);
  return ((Math.floor(x) >>> 0) ^ Math.imul(Math.floor(x / 4294967296) >>> 0, 0x9e3779b1)) >>> 0;
}

/** A uint32 seed determined by `seed` and the `parts` (a stream id, an epoch, a batch...). */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = fmix32(fold(seed) ^ 0x2545f491);
  for (const p of parts) h = fmix32((h ^ fmix32((fold(p) + 0x9e3779b9) >>> 0)) + 0x632be5ab);
  return h;
}

/** A Generator for the stream (seed, parts...). */
export function streamGenerator(seed: number, ...parts: number[]): Generator {
  return new Generator(deriveSeed(seed, ...parts));
}

/** The shuffling permutation: core's (the same order as `randperm(n, { generator })`). */
export { permutation } from '@dynconv/core';
