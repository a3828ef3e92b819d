/** A view's elements as one dense float array, for kernels that walk plain row-major memory. */
import type { Backend, TensorInfo } from '../backend/backend.js';
import { isContiguous, sizeOf } from '../shape.js';
import { copy } from './elementwise.js';
import type { FloatArray } from './gemm.js';
import { type CpuStorage, dataOf } from './storage.js';

/** The elements of a float view in row-major order: a subarray when contiguous, else a copy. */
export function contiguousFloats(backend: Backend, t: TensorInfo): FloatArray {
  const n = sizeOf(t.shape);
  if (isContiguous(t.shape, t.strides)) return dataOf(t).subarray(t.offset, t.offset + n) as FloatArray;
  return (copy(backend, t, t.dtype) as CpuStorage).data as FloatArray;
}
