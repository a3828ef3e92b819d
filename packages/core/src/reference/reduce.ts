/**
 * Reductions of the reference backend. An output element is identified by the indices of the
 * kept axes; it combines the input elements at every index of the reduced axes, visited in
 * row-major order (the order in which "first" is meant below).
 */
import type { ArgReduceKernelName, Backend, ReduceKernelName, Storage, TensorInfo } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { indicesOf, read, storageFrom } from './storage.js';

/** The full index of x from the kept-axes index and the reduced-axes index. */
function joinIndex(kept: readonly number[], reduced: readonly number[], axes: readonly number[], ndim: number): number[] {
  const idx: number[] = [];
  let k = 0;
  let r = 0;
  for (let d = 0; d < ndim; d++) idx.push(axes.includes(d) ? reduced[r++]! : kept[k++]!);
  return idx;
}

/** Splits x's shape into the kept dims (the output's shape) and the reduced dims. */
function splitShape(shape: readonly number[], axes: readonly number[]): { kept: number[]; reduced: number[] } {
  return {
    kept: shape.filter((_, d) => !axes.includes(d)),
    reduced: shape.filter((_, d) => axes.includes(d)),
  };
}

/**
 * Sum, Prod, Max or Min over `axes`, accumulated in double. The empty reduction gives the
 * identity (0, 1, -Infinity, Infinity). Max and Min return NaN when any element is NaN, as PyTorch.
 */
export function reduce(backend: Backend, name: ReduceKernelName, x: TensorInfo, axes: readonly number[], outDtype: DType): Storage {
  const { kept, reduced } = splitShape(x.shape, axes);
  const values: number[] = [];
  for (const k of indicesOf(kept)) {
    const elements: number[] = [];
    for (const r of indicesOf(reduced)) elements.push(read(x, joinIndex(k, r, axes, x.shape.length)));
    values.push(combine(name, elements));
  }
  return storageFrom(backend, outDtype, values);
}

function combine(name: ReduceKernelName, elements: readonly number[]): number {
  switch (name) {
    case 'Sum':
      return elements.reduce((acc, v) => acc + v, 0);
    case 'Prod':
      return elements.reduce((acc, v) => acc * v, 1);
    case 'Max':
      if (elements.some(Number.isNaN)) return NaN;
      return elements.reduce((acc, v) => (v > acc ? v : acc), -Infinity);
    case 'Min':
      if (elements.some(Number.isNaN)) return NaN;
      return elements.reduce((acc, v) => (v < acc ? v : acc), Infinity);
  }
}

/**
 * The position along `axis` of the largest (ArgMax) or smallest (ArgMin) element, as int32:
 * the first NaN if there is one (NaN counts as the extreme, as in PyTorch), else the first of
 * the equal extremes.
 */
export function argReduce(backend: Backend, name: ArgReduceKernelName, x: TensorInfo, axis: number): Storage {
  const { kept } = splitShape(x.shape, [axis]);
  const better = name === 'ArgMax' ? (v: number, best: number) => v > best : (v: number, best: number) => v < best;
  const values: number[] = [];
  for (const k of indicesOf(kept)) {
    const along = (i: number) => read(x, joinIndex(k, [i], [axis], x.shape.length));
    let at = 0;
    for (let i = 0; i < x.shape[axis]!; i++) {
      const v = along(i);
      if (Number.isNaN(v)) {
        at = i;
        break;
      }
      if (better(v, along(at))) at = i;
    }
    values.push(at);
  }
  return storageFrom(backend, 'int32', values);
}
