/**
 * A pool of typed arrays for the CPU backend, keyed by dtype and exact length.
 *
 * Why: a fresh multi-megabyte typed array costs a page fault per 4 KiB page on first touch
 * (at small sizes that dominates an op's time: docs/benchmarks.md, "Matrix multiply") and
 * counts as external memory that drives the
 * garbage collector. A training step allocates the same shapes every time, so arrays handed
 * back by `dispose` (directly, or at the end of a `tidy` scope) are reused by the next step
 * at the same length: after the first step, no op allocates.
 *
 * Safety: an array is handed back only when the last tensor viewing its storage is disposed
 * (memory.ts counts views), and only arrays this pool created are taken back (never a user's
 * array wrapped by `fromArray`). `take(..., zero = true)` clears a reused array, because some
 * kernels accumulate into their output; kernels that overwrite every element pass false.
 *
 * Fresh float arrays are placed in the backend's WebAssembly memory when it can hold tensors
 * (wasm-heap.ts), so the GEMM and the SIMD elementwise kernels use them in place; but only
 * inside a `tidy` scope. A block of wasm memory comes back only when
 * its array is disposed or collected, and collected arrays are reported (FinalizationRegistry)
 * only once the event loop turns: a synchronous loop that drops tensors without `tidy` would
 * fill the memory. Tensors made in a scope are disposed by it (unless returned or kept), so
 * their blocks come back on time; outside a scope, tensors keep ordinary arrays.
 */
import { allocArray, type DType, type TypedArray } from '../dtype.js';
import { tidyDepth } from '../memory.js';
import { wasmHeap } from './wasm-heap.js';

/** Arrays at most this long live on V8's heap and are cheap to allocate: not pooled. */
const MIN_POOLED = 32;

/** Float arrays at least this long go to wasm memory (a per-channel bias of 8 channels does). */
const MIN_IN_WASM = 8;

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

/** Counters reported by `memory()`. */
export interface PoolStats {
  /** Bytes held by the pool, ready for reuse. */
  pooledBytes: number;
  /** Requests served from the pool / by a fresh allocation. */
  hits: number;
  misses: number;
  /** Bytes of live tensor storage in the wasm memory (all CPU backends together), and the memory's size. */
  wasmTensorBytes: number;
  wasmMemoryBytes: number;
}

export class BufferPool {
  private readonly free = new Map<DType, Map<number, TypedArray[]>>();
  private readonly owned = new WeakSet<TypedArray>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  /**
   * @param capBytes most bytes kept for reuse; the least recently used lengths are dropped to
   *   make room.
   * @param inWasm place fresh float arrays in the wasm memory when it holds tensors.
   */
  constructor(
    readonly capBytes: number,
    readonly inWasm = true,
  ) {}

  /** An array of `size` elements: reused when one is free, zeroed unless `zero` is false. */
  take(dtype: DType, size: number, zero = true): TypedArray {
    if (size > MIN_POOLED) {
      const byLength = this.free.get(dtype);
      const list = byLength?.get(size);
      let reused = list?.pop();
      if (reused && this.wantsWasm(dtype) && !this.inWasmMemory(reused)) {
        // An array pooled outside a scope (ordinary memory) would keep this size out of wasm
        // memory for good, and every kernel on it on its JavaScript path: drop it instead.
        this.owned.delete(reused);
        this.bytes -= size * BYTES[dtype];
        reused = undefined;
      }
      if (reused) {
        recent(byLength!, size, list!);
        this.hits++;
        this.bytes -= size * BYTES[dtype];
        if (zero) reused.fill(0);
        return reused;
      }
      this.misses++;
      const fresh = this.fresh(dtype, size, zero);
      this.owned.add(fresh);
      return fresh;
    }
    return size >= MIN_IN_WASM ? this.fresh(dtype, size, zero) : allocArray(dtype, size);
  }

  /**
   * The array a tensor created from host values (`fromArray`) keeps: a float array is copied
   * into wasm memory when it can be (one native copy, so that kernels can work on it in
   * place), anything else is kept as given.
   */
  adopt(dtype: DType, data: TypedArray): TypedArray {
    if (!this.inWasm || data.length < MIN_IN_WASM || (dtype !== 'float32' && dtype !== 'float64') || tidyDepth() === 0) return data;
    const heap = wasmHeap();
    if (!heap?.holdsTensors || heap.addressOf(data) >= 0) return data;
    const arr = this.take(dtype, data.length, false);
    if (heap.addressOf(arr) < 0) return data; // the memory is full: no gain from a copy
    arr.set(data);
    return arr;
  }

  /**
   * `data` copied into wasm memory for good (a pinned tensor's storage, see `pinMemory`),
   * whatever the scope; `data` itself where it already lies there or cannot (not a float,
   * short, memory full or not holding tensors). The copy comes back to the pool on dispose.
   */
  pin(dtype: DType, data: TypedArray): TypedArray {
    if (!this.inWasm || (dtype !== 'float32' && dtype !== 'float64') || data.length < MIN_IN_WASM) return data;
    const heap = wasmHeap();
    if (!heap?.holdsTensors || heap.addressOf(data) >= 0) return data;
    const v = heap.view(dtype, data.length, false);
    if (!v) return data;
    v.set(data as Float32Array);
    this.owned.add(v);
    return v;
  }

  /** Whether a fresh array of `dtype` would go to wasm memory now (a float, inside a scope, memory that holds tensors). */
  private wantsWasm(dtype: DType): dtype is 'float32' | 'float64' {
    return this.inWasm && (dtype === 'float32' || dtype === 'float64') && tidyDepth() > 0 && wasmHeap()?.holdsTensors === true;
  }

  /** A new array: in wasm memory for floats where it can be, else an ordinary typed array. */
  private fresh(dtype: DType, size: number, zero: boolean): TypedArray {
    if (this.wantsWasm(dtype)) {
      const heap = wasmHeap();
      let v = heap?.view(dtype, size, zero) ?? null;
      if (heap && !v && this.bytes > 0) {
        // The memory is full: give it the pool's arrays back and try once more.
        this.evictUntil(() => false);
        v = heap.view(dtype, size, zero);
      }
      if (v) return v;
    }
    return allocArray(dtype, size);
  }

  /** Whether `arr` lies in the wasm memory. */
  inWasmMemory(arr: TypedArray): boolean {
    return (wasmHeap()?.addressOf(arr) ?? -1) >= 0;
  }

  /** A pooled array of `size` elements outside wasm memory (contents unspecified). */
  takeOutsideWasm(dtype: DType, size: number): TypedArray {
    const list = this.free.get(dtype)?.get(size);
    for (let i = list ? list.length - 1 : -1; i >= 0; i--) {
      const a = list![i]!;
      if (this.inWasmMemory(a)) continue;
      list!.splice(i, 1);
      this.hits++;
      this.bytes -= size * BYTES[dtype];
      return a;
    }
    this.misses++;
    const fresh = allocArray(dtype, size);
    if (size > MIN_POOLED) this.owned.add(fresh);
    return fresh;
  }

  /** Frees the wasm block of `arr` now; the caller guarantees nothing uses `arr` any more. */
  freeWasm(arr: TypedArray): void {
    this.owned.delete(arr);
    wasmHeap()?.free(arr as Float32Array | Float64Array);
  }

  /** Hands an array back; arrays the pool did not create are ignored. */
  give(dtype: DType, arr: TypedArray): void {
    if (!this.owned.has(arr)) return;
    const bytes = arr.length * BYTES[dtype];
    if (bytes > this.capBytes) return;
    this.evictUntil(() => this.bytes + bytes <= this.capBytes);
    let byLength = this.free.get(dtype);
    if (!byLength) this.free.set(dtype, (byLength = new Map()));
    const list = byLength.get(arr.length) ?? [];
    recent(byLength, arr.length, list);
    list.push(arr);
    this.bytes += bytes;
  }

  /**
   * Drops pooled arrays, the least recently used lengths first, until `done()`: a workload
   * that moves on to other shapes (another model, another benchmark) does not leave the pool,
   * or the wasm memory, full of arrays nobody asks for. Wasm blocks are freed at once (a
   * pooled array is seen by no tensor).
   */
  private evictUntil(done: () => boolean): void {
    for (const [dtype, byLength] of this.free) {
      for (const [length, list] of byLength) {
        while (list.length > 0) {
          if (done()) return;
          const a = list.pop()!;
          this.bytes -= length * BYTES[dtype];
          this.owned.delete(a);
          if (this.inWasmMemory(a)) wasmHeap()!.free(a as Float32Array | Float64Array);
        }
        byLength.delete(length);
      }
    }
  }

  /**
   * Fills every free array with `value`: for tests, so that a kernel relying on fresh zeros
   * shows up as a wrong result instead of passing by luck.
   */
  poison(value: number): void {
    for (const byLength of this.free.values()) for (const list of byLength.values()) for (const a of list) a.fill(value);
  }

  /** Drops every pooled array (wasm blocks are freed at once, the rest left to the GC). */
  clear(): void {
    this.evictUntil(() => false);
    this.free.clear();
    this.bytes = 0;
  }

  stats(): PoolStats {
    const heap = wasmHeap();
    return {
      pooledBytes: this.bytes,
      hits: this.hits,
      misses: this.misses,
      wasmTensorBytes: heap?.tensorBytes ?? 0,
      wasmMemoryBytes: heap?.memory.buffer.byteLength ?? 0,
    };
  }
}

/** Marks `length` as the most recently used of its dtype (a Map iterates in insertion order). */
function recent(byLength: Map<number, TypedArray[]>, length: number, list: TypedArray[]): void {
  byLength.delete(length);
  byLength.set(length, list);
}
