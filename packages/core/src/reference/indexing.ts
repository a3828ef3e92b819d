/** Gather and its adjoint ScatterAdd, for the reference backend. */
import type { Backend, Storage, TensorInfo } from '../backend/backend.js';
import { indicesOf, read, storageFrom } from './storage.js';

/** The index value at `p`, checked to address an element along `dim` (same message as the CPU backend). */
function indexAt(op: string, index: TensorInfo, p: readonly number[], size: number, dim: number): number {
  const v = read(index, p);
  if (!Number.isInteger(v) || v < 0 || v >= size) throw new Error(`${op}: index ${v} is out of bounds for dim ${dim} with size ${size}`);
  return v;
}

/** out[p] = x[p with dim replaced by index[p]], for every p of index's shape. */
export function gather(backend: Backend, x: TensorInfo, dim: number, index: TensorInfo): Storage {
  const values: number[] = [];
  for (const p of indicesOf(index.shape)) {
    const source = p.slice();
    source[dim] = indexAt('gather', index, p, x.shape[dim]!, dim);
    values.push(read(x, source));
  }
  return storageFrom(backend, x.dtype, values);
}

/**
 * A contiguous copy of base, then for every p of index's shape src[p] added at (p with dim
 * replaced by index[p]). Sums are kept in double and stored once at the end, so repeated
 * indices are rounded once (the exact sum, rounded), not after every addition.
 */
export function scatterAdd(backend: Backend, base: TensorInfo, dim: number, index: TensorInfo, src: TensorInfo): Storage {
  const sums: number[] = [];
  for (const q of indicesOf(base.shape)) sums.push(read(base, q));
  // Flat row-major position of a multi-index of base's shape.
  const flat = (q: readonly number[]) => q.reduce((acc, v, d) => acc * base.shape[d]! + v, 0);
  for (const p of indicesOf(index.shape)) {
    const target = p.slice();
    target[dim] = indexAt('scatterAdd', index, p, base.shape[dim]!, dim);
    sums[flat(target)]! += read(src, p);
  }
  return storageFrom(backend, base.dtype, sums);
}
