import type { Backend, Storage, TensorInfo } from '../backend/backend.js';
import type { DType, TypedArray } from '../dtype.js';
import { isContiguous, stridedOffsets } from '../shape.js';
import { BufferPool } from './buffer-pool.js';

/** CPU storage: a typed array in host memory. */
export class CpuStorage implements Storage {
  private arr: TypedArray | null;
  private pinned = false;

  constructor(
    readonly backend: Backend,
    readonly dtype: DType,
    data: TypedArray,
  ) {
    this.arr = data;
  }

  /** The elements; throws once the storage was released (its array may belong to another tensor now). */
  get data(): TypedArray {
    if (this.arr === null) throw new Error(`cpu backend: storage of ${this.dtype} was released (disposed) and cannot be read`);
    return this.arr;
  }

  get size(): number {
    return this.data.length;
  }

  get released(): boolean {
    return this.arr === null;
  }

  /**
   * @internal Moves the elements out of the backend's wasm memory into an ordinary array and
   * frees the block at once: for tensors whose lifetime no `tidy` scope manages any more.
   */
  leaveWasm(pool: BufferPool): void {
    const a = this.arr;
    if (a === null || this.pinned || !pool.inWasmMemory(a)) return;
    const plain = pool.takeOutsideWasm(this.dtype, a.length);
    plain.set(a);
    this.arr = plain;
    pool.freeWasm(a);
  }

  /** @internal Moves the elements into the backend's wasm memory for good (see `pinMemory`). */
  pin(pool: BufferPool): void {
    const a = this.arr;
    if (a === null) return;
    this.arr = pool.pin(this.dtype, a);
    this.pinned = true;
  }

  /** @internal Gives the array back to the pool; the storage is unusable afterwards. */
  release(pool: BufferPool | undefined): void {
    const a = this.arr;
    if (a === null) return;
    this.arr = null;
    pool?.give(this.dtype, a);
  }
}

const pools = new WeakMap<Backend, BufferPool>();

/** The buffer pool of a CPU backend (created with the backend, see cpu/index.ts). */
export function poolOf(backend: Backend): BufferPool | undefined {
  return pools.get(backend);
}

/** @internal Attaches a pool to a backend. */
export function attachPool(backend: Backend, pool: BufferPool): void {
  pools.set(backend, pool);
}

/** The typed array behind a tensor argument; kernels of the CPU backend only see CPU storage. */
export function dataOf(info: TensorInfo): TypedArray {
  const s = info.storage;
  if (!(s instanceof CpuStorage)) throw new Error(`cpu backend: got storage from backend '${s.backend.name}'`);
  return s.data;
}

/** Storage offsets of each element of `info` in row-major order, or null when it is one contiguous run. */
export function offsetsOrNull(info: TensorInfo): Int32Array | null {
  return isContiguous(info.shape, info.strides) ? null : stridedOffsets(info.shape, info.strides, info.offset);
}

/**
 * A new storage of `size` elements from the backend's pool. Zero-filled unless `zero` is false:
 * pass false only from kernels that write every element.
 */
export function allocFor(backend: Backend, dtype: DType, size: number, zero = true): CpuStorage {
  const pool = pools.get(backend);
  return new CpuStorage(backend, dtype, pool ? pool.take(dtype, size, zero) : new (ARRAY[dtype])(size));
}

const ARRAY = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array } as const;

/** Returns a kernel's scratch array (never seen by a tensor) to the pool at once. */
export function releaseScratch(s: CpuStorage): void {
  s.release(pools.get(s.backend));
}
