import type { ArgReduceKernelName, Backend, ReduceKernelName, Storage, TensorInfo } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { stridedOffsets } from '../shape.js';
import { allocFor, dataOf } from './storage.js';

/**
 * Splits a view into kept and reduced axes: out[i] reduces x[outer[i] + inner[j]] over j.
 * Any layout works because both offset tables come from the view's own strides.
 */
function split(x: TensorInfo, axes: readonly number[]): { outer: Int32Array; inner: Int32Array } {
  const keptShape: number[] = [];
  const keptStrides: number[] = [];
  const redShape: number[] = [];
  const redStrides: number[] = [];
  x.shape.forEach((d, i) => {
    if (axes.includes(i)) {
      redShape.push(d);
      redStrides.push(x.strides[i]!);
    } else {
      keptShape.push(d);
      keptStrides.push(x.strides[i]!);
    }
  });
  return { outer: stridedOffsets(keptShape, keptStrides, x.offset), inner: stridedOffsets(redShape, redStrides, 0) };
}

export function reduce(backend: Backend, name: ReduceKernelName, x: TensorInfo, axes: readonly number[], outDtype: DType): Storage {
  const { outer, inner } = split(x, axes);
  const out = allocFor(backend, outDtype, outer.length, false);
  const o = out.data;
  const xd = dataOf(x);
  const m = inner.length;
  for (let i = 0; i < outer.length; i++) {
    const base = outer[i]!;
    let acc: number;
    switch (name) {
      case 'Sum':
        acc = 0; // accumulated in double even for float32 data
        for (let j = 0; j < m; j++) acc += xd[base + inner[j]!]!;
        break;
      case 'Prod':
        acc = 1;
        for (let j = 0; j < m; j++) acc *= xd[base + inner[j]!]!;
        break;
      case 'Max':
        acc = -Infinity;
        for (let j = 0; j < m; j++) {
          const v = xd[base + inner[j]!]!;
          if (v !== v) { acc = v; break; } // NaN wins, as in PyTorch
          if (v > acc) acc = v;
        }
        break;
      case 'Min':
        acc = Infinity;
        for (let j = 0; j < m; j++) {
          const v = xd[base + inner[j]!]!;
          if (v !== v) { acc = v; break; }
          if (v < acc) acc = v;
        }
        break;
    }
    o[i] = acc;
  }
  return out;
}

export function argReduce(backend: Backend, name: ArgReduceKernelName, x: TensorInfo, axis: number): Storage {
  const { outer, inner } = split(x, [axis]);
  const out = allocFor(backend, 'int32', outer.length, false);
  const o = out.data;
  const xd = dataOf(x);
  const sign = name === 'ArgMax' ? 1 : -1;
  for (let i = 0; i < outer.length; i++) {
    const base = outer[i]!;
    let best = sign * xd[base + inner[0]!]!;
    let at = 0;
    if (best === best) {
      for (let j = 1; j < inner.length; j++) {
        const v = sign * xd[base + inner[j]!]!;
        if (v !== v) { at = j; break; } // the first NaN is the extreme, as in PyTorch
        if (v > best) { best = v; at = j; }
      }
    }
    o[i] = at;
  }
  return out;
}
