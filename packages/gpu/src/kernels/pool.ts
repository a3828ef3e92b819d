/**
 * PoolArgMax: the flat position (h * W + w) of each pooling window's maximum. The window lists
 * are passed as small padded tables (-1 marks padding), so one kernel serves any window layout
 * of the same size.
 */
import type { TensorInfo } from '@dynconv/core';
import { lit, unravel } from '../codegen.js';
import type { GpuStorage } from '../storage.js';
import { storageOf } from '../storage.js';
import { checkDType, type GpuBackend } from './common.js';

function table(lists: readonly (readonly number[])[]): { data: Float32Array; width: number } {
  const width = Math.max(1, ...lists.map((l) => l.length));
  const data = new Float32Array(lists.length * width).fill(-1);
  lists.forEach((l, i) => l.forEach((v, a) => (data[i * width + a] = v)));
  return { data, width };
}

export function poolArgMax(b: GpuBackend, x: TensorInfo, rows: readonly (readonly number[])[], cols: readonly (readonly number[])[]): GpuStorage {
  checkDType('PoolArgMax', x.dtype);
  const xs = storageOf(b, x, 'PoolArgMax');
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const s = x.strides;
  const Ho = rows.length;
  const Wo = cols.length;
  const n = N * C * Ho * Wo;
  if (n === 0) return b.wrap('int32', 0, new Float32Array(0));
  const r = table(rows);
  const c = table(cols);
  const key = `PA|${x.shape.join('x')}/${s.join(',')}/${xs.size}|${Ho}x${r.width}|${Wo}x${c.width}`;
  const data = b.ctx.launch('PoolArgMax', key, n, () => `function(x, o, rows, cols) {
${unravel('this.thread.x', [N, C, Ho, Wo], 't')}
const base = o + t0 * ${lit(s[0]!)} + t1 * ${lit(s[1]!)};
let best = 0.0;
let at = rows[t2 * ${lit(r.width)}] * ${lit(W)} + cols[t3 * ${lit(c.width)}];
let first = 1.0;
let done = 0.0;
for (let a = 0; a < ${r.width}; a++) {
const rr = rows[t2 * ${lit(r.width)} + a];
if (rr >= 0.0) {
for (let q = 0; q < ${c.width}; q++) {
const cc = cols[t3 * ${lit(c.width)} + q];
if (cc >= 0.0 && done < 0.5) {
const v = x[base + rr * ${lit(s[2]!)} + cc * ${lit(s[3]!)}];
if (v != v) {
at = rr * ${lit(W)} + cc;
done = 1.0;
} else if (first > 0.5 || v > best) {
best = v;
at = rr * ${lit(W)} + cc;
first = 0.0;
}
}
}
}
}
return at;
}`, [xs.data, x.offset, r.data, c.data]);
  const out = b.wrap('int32', n, data);
  out.range = [0, H * W - 1];
  return out;
}
