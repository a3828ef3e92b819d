/**
 * A pool of typed arrays for the CPU backend, keyed by dtype and exact length.
 *
 * Why: a fresh multi-megabyte typed array costs a page fault per 4 KiB page on first touch
 * (about 2.7 ms per MB on the project's VM) and counts as external memory that drives the
 * garbage collector. A training step allocates the same shapes every time, so arrays handed
 * back by `dispose` (directly, or at the end of a `tidy` scope) are reused by the next step
 * at the same length: after the first step, no op allocates.
 *
 * Safety: an array is handed back only when the last tensor viewing its storage is disposed
 * (memory.ts counts views), and only arrays this pool created are taken back (never a user's
 * array wrapped by `fromArray`). `take(..., zero = true)` clears a reused array, because some
 * kernels accumulate into their output; kernels that overwrite every element pass false.
 */
import { allocArray, type DType, type TypedArray } from '../dtype.js';

/** Arrays at most this long live on V8's heap and are cheap to allocate: not pooled. */
const MIN_POOLED = 32;

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

/** Counters reported by `memory()`. */
export interface PoolStats {
  /** Bytes held by the pool, ready for reuse. */
  pooledBytes: number;
  /** Requests served from the pool / by a fresh allocation. */
  hits: number;
  misses: number;
}

export class BufferPool {
  private readonly free = new Map<DType, Map<number, TypedArray[]>>();
  private readonly owned = new WeakSet<TypedArray>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  /** @param capBytes most bytes kept for reuse; arrays handed back beyond it are left to the GC. */
  constructor(readonly capBytes: number) {}

  /** An array of `size` elements: reused when one is free, zeroed unless `zero` is false. */
  take(dtype: DType, size: number, zero = true): TypedArray {
    if (size > MIN_POOLED) {
      const list = this.free.get(dtype)?.get(size);
      const reused = list?.pop();
      if (reused) {
        this.hits++;
        this.bytes -= size * BYTES[dtype];
        if (zero) reused.fill(0);
        return reused;
      }
      this.misses++;
      const fresh = allocArray(dtype, size);
      this.owned.add(fresh);
      return fresh;
    }
    return allocArray(dtype, size);
  }

  /** Hands an array back; arrays the pool did not create are ignored. */
  give(dtype: DType, arr: TypedArray): void {
    if (!this.owned.has(arr)) return;
    const bytes = arr.length * BYTES[dtype];
    if (this.bytes + bytes > this.capBytes) return;
    let byLength = this.free.get(dtype);
    if (!byLength) this.free.set(dtype, (byLength = new Map()));
    let list = byLength.get(arr.length);
    if (!list) byLength.set(arr.length, (list = []));
    list.push(arr);
    this.bytes += bytes;
  }

  /**
   * Fills every free array with `value`: for tests, so that a kernel relying on fresh zeros
   * shows up as a wrong result instead of passing by luck.
   */
  poison(value: number): void {
    for (const byLength of this.free.values()) for (const list of byLength.values()) for (const a of list) a.fill(value);
  }

  /** Drops every pooled array (the GC then frees them). */
  clear(): void {
    this.free.clear();
    this.bytes = 0;
  }

  stats(): PoolStats {
    return { pooledBytes: this.bytes, hits: this.hits, misses: this.misses };
  }
}
