/**
 * Gather and ScatterAdd. A kernel cannot throw, so indices are checked before the launch: from
 * the value range a storage is known to hold (indices made by ArgMax/PoolArgMax, uploads), or
 * else by a Min/Max reduction read back (a few bytes), so a bad index is the CPU backend's error,
 * never a silently wrong value.
 */
import type { TensorInfo } from '@dynconv/core';
import { coalesce, dot, lit, unravel } from '../codegen.js';
import type { GpuStorage } from '../storage.js';
import { storageOf } from '../storage.js';
import { checkDType, type GpuBackend } from './common.js';
import { reduce } from './reduce.js';

/** [min, max] of an index view, from the storage's known range when that suffices. */
function indexRange(b: GpuBackend, index: TensorInfo, size: number): [number, number] {
  const s = storageOf(b, index, 'index');
  if (s.range && s.range[0] >= 0 && s.range[1] < size) return s.range;
  const axes = index.shape.map((_, i) => i);
  const lo = reduce(b, 'Min', index, axes, 'float32');
  const hi = reduce(b, 'Max', index, axes, 'float32');
  const r: [number, number] = [b.readSync(lo)[0]!, b.readSync(hi)[0]!];
  lo.release();
  hi.release();
  return r;
}

function checkIndices(b: GpuBackend, op: string, index: TensorInfo, size: number, dim: number): void {
  if (index.shape.some((d) => d === 0)) return;
  const [lo, hi] = indexRange(b, index, size);
  if (lo < 0) throw new Error(`${op}: index ${lo} is out of bounds for dim ${dim} with size ${size}`);
  if (hi >= size) throw new Error(`${op}: index ${hi} is out of bounds for dim ${dim} with size ${size}`);
}

export function gather(b: GpuBackend, x: TensorInfo, dim: number, index: TensorInfo): GpuStorage {
  checkDType('Gather', x.dtype);
  const xs = storageOf(b, x, 'Gather');
  const is = storageOf(b, index, 'Gather');
  const n = index.shape.reduce((p, q) => p * q, 1);
  if (n === 0) return b.wrap(x.dtype, 0, new Float32Array(0));
  checkIndices(b, 'gather', index, x.shape[dim]!, dim);
  const xStrides = x.strides.map((s, i) => (i === dim ? 0 : s));
  const { dims, strides } = coalesce(index.shape, [xStrides, index.strides]);
  const step = x.strides[dim]!;
  const key = `G|${dims.join('x')}|${strides.map((s) => s.join(',')).join('|')}|${step}|${xs.size},${is.size}`;
  const data = b.ctx.launch('Gather', key, n, () => `function(x, o, xi, oi) {
${unravel('this.thread.x', dims, 'c')}
const v = xi[${dot('oi', 'c', strides[1]!)}];
return x[${dot('o', 'c', strides[0]!)} + v * ${lit(step)}];
}`, [xs.data, x.offset, is.data, index.offset]);
  const out = b.wrap(x.dtype, n, data);
  if (x.dtype !== 'float32') out.range = xs.range;
  return out;
}

export function scatterAdd(b: GpuBackend, base: TensorInfo, dim: number, index: TensorInfo, src: TensorInfo): GpuStorage {
  checkDType('ScatterAdd', base.dtype);
  const bs = storageOf(b, base, 'ScatterAdd');
  const is = storageOf(b, index, 'ScatterAdd');
  const ss = storageOf(b, src, 'ScatterAdd');
  const n = base.shape.reduce((p, q) => p * q, 1);
  if (n === 0) return b.wrap(base.dtype, 0, new Float32Array(0));
  if (index.shape.every((d) => d > 0)) checkIndices(b, 'scatterAdd', index, base.shape[dim]!, dim);
  const L = index.shape[dim] ?? 0;
  const key = `SA|${base.shape.join('x')}/${base.strides.join(',')}|${dim}|${index.shape.join('x')}/${index.strides.join(',')}|${src.strides.join(',')}|${bs.size},${is.size},${ss.size}`;
  const data = b.ctx.launch('ScatterAdd', key, n, () => {
    // Output position c receives src[p] for every p (c with dim replaced by j) whose index is c[dim].
    const inRange = base.shape.flatMap((_, d) => (d === dim || index.shape[d]! >= base.shape[d]! ? [] : [`c${d} < ${lit(index.shape[d]!)}`]));
    const rest = (strides: readonly number[]) => strides.map((s, d) => (d === dim ? 0 : s));
    const body = L === 0 ? '' : `for (let j = 0; j < ${L}; j++) {
const ii = xi[${dot('oi', 'c', rest(index.strides))} + j * ${lit(index.strides[dim]!)}];
if (ii == c${dim}) { acc += xs[${dot('os', 'c', rest(src.strides))} + j * ${lit(src.strides[dim]!)}]; }
}`;
    return `function(xb, ob, xi, oi, xs, os) {
${unravel('this.thread.x', base.shape, 'c')}
let acc = xb[${dot('ob', 'c', base.strides)}];
${inRange.length ? `if (${inRange.join(' && ')}) {\n${body}\n}` : body}
return acc;
}`;
  }, [bs.data, base.offset, is.data, index.offset, ss.data, src.offset]);
  return b.wrap(base.dtype, n, data);
}
