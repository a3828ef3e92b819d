import type { Backend, Storage, TensorInfo } from '../backend/backend.js';
import type { DType, TypedArray } from '../dtype.js';
import { allocArray } from '../dtype.js';
import { isContiguous, stridedOffsets } from '../shape.js';

/** CPU storage: a typed array in host memory. */
export class CpuStorage implements Storage {
  constructor(
    readonly backend: Backend,
    readonly dtype: DType,
    readonly data: TypedArray,
  ) {}
  get size(): number {
    return this.data.length;
  }
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

export function allocFor(backend: Backend, dtype: DType, size: number): CpuStorage {
  return new CpuStorage(backend, dtype, allocArray(dtype, size));
}
