import type { Backend, Storage, TensorInfo } from '../backend/backend.js';
import { contiguousStrides, stridedOffsets } from '../shape.js';
import { copy } from './elementwise.js';
import { allocFor, CpuStorage, dataOf } from './storage.js';

/** Offsets into `target` for every position of index's shape, with `dim`'s stride zeroed. */
function baseOffsets(index: TensorInfo, strides: readonly number[], offset: number, dim: number): Int32Array {
  const s = strides.slice();
  s[dim] = 0;
  return stridedOffsets(index.shape, s, offset);
}

function checkIndex(op: string, v: number, size: number, dim: number): void {
  if (!(v >= 0 && v < size) || !Number.isInteger(v)) {
    throw new Error(`${op}: index ${v} is out of bounds for dim ${dim} with size ${size}`);
  }
}

export function gather(backend: Backend, x: TensorInfo, dim: number, index: TensorInfo): Storage {
  const base = baseOffsets(index, x.strides, x.offset, dim);
  const idx = stridedOffsets(index.shape, index.strides, index.offset);
  const xd = dataOf(x);
  const id = dataOf(index);
  const step = x.strides[dim]!;
  const size = x.shape[dim]!;
  const out = allocFor(backend, x.dtype, base.length, false);
  const o = out.data;
  for (let p = 0; p < base.length; p++) {
    const v = id[idx[p]!]!;
    checkIndex('gather', v, size, dim);
    o[p] = xd[base[p]! + v * step]!;
  }
  return out;
}

export function scatterAdd(backend: Backend, baseT: TensorInfo, dim: number, index: TensorInfo, src: TensorInfo): Storage {
  const out = copy(backend, baseT, baseT.dtype) as CpuStorage;
  const o = out.data;
  const strides = contiguousStrides(baseT.shape);
  const base = baseOffsets(index, strides, 0, dim);
  const idx = stridedOffsets(index.shape, index.strides, index.offset);
  const srcOff = stridedOffsets(index.shape, src.strides, src.offset);
  const id = dataOf(index);
  const sd = dataOf(src);
  const step = strides[dim]!;
  const size = baseT.shape[dim]!;
  for (let p = 0; p < base.length; p++) {
    const v = id[idx[p]!]!;
    checkIndex('scatterAdd', v, size, dim);
    o[base[p]! + v * step]! += sd[srcOff[p]!]!;
  }
  return out;
}
