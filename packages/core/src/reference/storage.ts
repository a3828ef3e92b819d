/**
 * Storage and indexing for the reference backend. Everything here is deliberately plain: a
 * storage is a typed array of its dtype, and an element of a view is found by one formula,
 * offset + Σ idx[d] * strides[d] ({@link positionOf}). Every kernel of the reference backend
 * reads its inputs through that formula, so any layout (transposed, sliced with steps,
 * broadcast with stride 0, at an offset) is handled the same way and in one place.
 */
import type { Backend, Storage, TensorInfo } from '../backend/backend.js';
import { allocArray, type DType, type TypedArray } from '../dtype.js';

/** A reference storage: the elements in a typed array of the storage's dtype. */
export class ReferenceStorage implements Storage {
  constructor(
    readonly backend: Backend,
    readonly dtype: DType,
    readonly data: TypedArray,
  ) {}

  get size(): number {
    return this.data.length;
  }
}

/** A new zero-filled storage of `size` elements. */
export function newStorage(backend: Backend, dtype: DType, size: number): ReferenceStorage {
  return new ReferenceStorage(backend, dtype, allocArray(dtype, size));
}

/** The typed array behind a kernel argument; storage of another backend is refused. */
export function dataOf(t: TensorInfo): TypedArray {
  if (!(t.storage instanceof ReferenceStorage)) {
    throw new Error(`reference backend: got storage of backend '${t.storage.backend.name}'`);
  }
  return t.storage.data;
}

/** Number of elements of a shape (1 for a scalar, []). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Where the element at multi-index `idx` of the view `t` lives in its storage. */
export function positionOf(t: TensorInfo, idx: readonly number[]): number {
  let pos = t.offset;
  for (let d = 0; d < idx.length; d++) pos += idx[d]! * t.strides[d]!;
  return pos;
}

/** The element at multi-index `idx` of the view `t`, as a JS number (double). */
export function read(t: TensorInfo, idx: readonly number[]): number {
  return dataOf(t)[positionOf(t, idx)]!;
}

/**
 * Every multi-index of `shape` in row-major order (the last dim fastest): the order in which
 * contiguous outputs are laid out, so the k-th index yielded is output element k. A scalar shape
 * yields one empty index; a shape with a 0 yields nothing.
 */
export function* indicesOf(shape: readonly number[]): Generator<number[]> {
  if (shape.includes(0)) return;
  const idx = shape.map(() => 0);
  for (;;) {
    yield idx.slice();
    // Odometer: bump the last dim, carrying into earlier dims when one wraps around.
    let d = shape.length - 1;
    while (d >= 0 && ++idx[d]! === shape[d]) idx[d--] = 0;
    if (d < 0) return;
  }
}

/**
 * A double converted to what a storage of `dtype` holds. float32 rounds to nearest
 * (Math.fround); int32 truncates toward zero and wraps modulo 2^32 (ToInt32, what a store into
 * an Int32Array does; NaN becomes 0); bool is 1 for anything non-zero, NaN included.
 */
export function toDType(value: number, dtype: DType): number {
  switch (dtype) {
    case 'float64':
      return value;
    case 'float32':
      return Math.fround(value);
    case 'int32':
      return value | 0;
    case 'bool':
      return value !== 0 ? 1 : 0;
  }
}

/** A contiguous output of `dtype` holding `values` (doubles, converted with {@link toDType}). */
export function storageFrom(backend: Backend, dtype: DType, values: ArrayLike<number>): ReferenceStorage {
  const out = newStorage(backend, dtype, values.length);
  for (let i = 0; i < values.length; i++) out.data[i] = toDType(values[i]!, dtype);
  return out;
}
