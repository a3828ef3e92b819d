/**
 * Direct convolution kernels, NCHW, one thread per output element: the forward pass, the
 * input gradient (a transposed convolution, each dx element gathering the dy elements its pixel
 * fed) and the filter gradient (each dw element summing over batch and output pixels). Grouped,
 * strided, dilated and asymmetrically padded; inputs may be strided views. The output size comes
 * from the params (`outHeight`, `outWidth`, computed once by core's `computeConv2dInfo`).
 */
import type { Conv2dParams, TensorInfo } from '@dynconv/core';
import { lit, unravel } from '../codegen.js';
import type { GpuStorage } from '../storage.js';
import { storageOf } from '../storage.js';
import { checkDType, type GpuBackend } from './common.js';

/** `o + a*s0 + b*s1 + c*s2 + d*s3` for a 4-D view. */
function at4(o: string, s: readonly number[], a: string, b: string, c: string, d: string): string {
  return `${o} + ${a} * ${lit(s[0]!)} + ${b} * ${lit(s[1]!)} + ${c} * ${lit(s[2]!)} + ${d} * ${lit(s[3]!)}`;
}

const key4 = (t: TensorInfo) => `${t.shape.join('x')}/${t.strides.join(',')}/${t.storage.size}`;
const pkey = (p: Conv2dParams) => `${p.stride.join(',')}|${p.padding.join(',')}|${p.dilation.join(',')}|${p.groups}|${p.outHeight}x${p.outWidth}`;

export function conv2d(b: GpuBackend, x: TensorInfo, w: TensorInfo, p: Conv2dParams): GpuStorage {
  checkDType('Conv2d', x.dtype);
  const xs = storageOf(b, x, 'Conv2d');
  const ws = storageOf(b, w, 'Conv2d');
  const [N, , H, W] = x.shape as [number, number, number, number];
  const [K, Cg, kh, kw] = w.shape as [number, number, number, number];
  const G = p.groups;
  const Kg = K / G;
  const [sh, sw] = p.stride;
  const [pt, , pl] = p.padding;
  const [dh, dw] = p.dilation;
  const Ho = p.outHeight;
  const Wo = p.outWidth;
  const n = N * K * Ho * Wo;
  if (n === 0) return b.wrap(x.dtype, 0, new Float32Array(0));
  const key = `CF|${key4(x)}|${key4(w)}|${pkey(p)}`;
  const data = b.ctx.launch('Conv2d', key, n, () => `function(xx, ox, xw, ow) {
${unravel('this.thread.x', [N, G, Kg, Ho, Wo], 't')}
const k = t1 * ${lit(Kg)} + t2;
let acc = 0.0;
for (let c = 0; c < ${Cg}; c++) {
let part = 0.0;
const ci = t1 * ${lit(Cg)} + c;
for (let i = 0; i < ${kh}; i++) {
const iy = t3 * ${lit(sh)} - ${lit(pt)} + i * ${lit(dh)};
if (iy >= 0.0 && iy < ${lit(H)}) {
for (let j = 0; j < ${kw}; j++) {
const ix = t4 * ${lit(sw)} - ${lit(pl)} + j * ${lit(dw)};
if (ix >= 0.0 && ix < ${lit(W)}) {
part += xx[${at4('ox', x.strides, 't0', 'ci', 'iy', 'ix')}] * xw[${at4('ow', w.strides, 'k', 'c', 'i', 'j')}];
}
}
}
}
acc += part;
}
return acc;
}`, [xs.data, x.offset, ws.data, w.offset]);
  return b.wrap(x.dtype, n, data);
}

export function conv2dBackpropInput(b: GpuBackend, dy: TensorInfo, w: TensorInfo, inputShape: readonly number[], p: Conv2dParams): GpuStorage {
  checkDType('Conv2dBackpropInput', dy.dtype);
  const ys = storageOf(b, dy, 'Conv2dBackpropInput');
  const ws = storageOf(b, w, 'Conv2dBackpropInput');
  const [N, C, H, W] = inputShape as [number, number, number, number];
  const Ho = p.outHeight;
  const Wo = p.outWidth;
  const [, Cg, kh, kw] = w.shape as [number, number, number, number];
  const G = p.groups;
  const K = w.shape[0]!;
  const Kg = K / G;
  const [sh, sw] = p.stride;
  const [pt, , pl] = p.padding;
  const [dh, dw] = p.dilation;
  const n = N * C * H * W;
  if (n === 0) return b.wrap(dy.dtype, 0, new Float32Array(0));
  const key = `CI|${key4(dy)}|${key4(w)}|${inputShape.join('x')}|${pkey(p)}`;
  // dx[n, c, y, x] = sum over k in c's group, taps (i, j) with y = oy*sh - pt + i*dh (same for x).
  const tap = (v: string, o: string, t: string, s: number, pad: number, d: number, size: number) =>
    s === 1
      ? `const ${o} = ${t} + ${lit(pad)} - ${v} * ${lit(d)};\nconst ${o}ok = ${o} >= 0.0 && ${o} < ${lit(size)} ? 1.0 : 0.0;`
      : `const ${o}t = ${t} + ${lit(pad)} - ${v} * ${lit(d)};\nconst ${o} = Math.floor((${o}t + 0.5) / ${lit(s)});\nconst ${o}ok = ${o} * ${lit(s)} == ${o}t && ${o} >= 0.0 && ${o} < ${lit(size)} ? 1.0 : 0.0;`;
  const data = b.ctx.launch('Conv2dBackpropInput', key, n, () => `function(xy, oy0, xw, ow) {
${unravel('this.thread.x', [N, G, Cg, H, W], 't')}
let acc = 0.0;
for (let kk = 0; kk < ${Kg}; kk++) {
let part = 0.0;
const k = t1 * ${lit(Kg)} + kk;
for (let i = 0; i < ${kh}; i++) {
${tap('i', 'py', 't3', sh, pt, dh, Ho)}
if (pyok > 0.5) {
for (let j = 0; j < ${kw}; j++) {
${tap('j', 'px', 't4', sw, pl, dw, Wo)}
if (pxok > 0.5) {
part += xy[${at4('oy0', dy.strides, 't0', 'k', 'py', 'px')}] * xw[${at4('ow', w.strides, 'k', 't2', 'i', 'j')}];
}
}
}
}
acc += part;
}
return acc;
}`, [ys.data, dy.offset, ws.data, w.offset]);
  return b.wrap(dy.dtype, n, data);
}

export function conv2dBackpropFilter(b: GpuBackend, x: TensorInfo, dy: TensorInfo, filterShape: readonly number[], p: Conv2dParams): GpuStorage {
  checkDType('Conv2dBackpropFilter', x.dtype);
  const xs = storageOf(b, x, 'Conv2dBackpropFilter');
  const ys = storageOf(b, dy, 'Conv2dBackpropFilter');
  const [N, , H, W] = x.shape as [number, number, number, number];
  const [K, Cg, kh, kw] = filterShape as [number, number, number, number];
  const Ho = p.outHeight;
  const Wo = p.outWidth;
  const G = p.groups;
  const Kg = K / G;
  const [sh, sw] = p.stride;
  const [pt, , pl] = p.padding;
  const [dh, dw] = p.dilation;
  const n = K * Cg * kh * kw;
  if (n === 0) return b.wrap(x.dtype, 0, new Float32Array(0));
  const key = `CW|${key4(x)}|${key4(dy)}|${filterShape.join('x')}|${pkey(p)}`;
  const data = b.ctx.launch('Conv2dBackpropFilter', key, n, () => `function(xx, ox, xy, oy0) {
${unravel('this.thread.x', [G, Kg, Cg, kh, kw], 't')}
const k = t0 * ${lit(Kg)} + t1;
const c = t0 * ${lit(Cg)} + t2;
let acc = 0.0;
for (let m = 0; m < ${N}; m++) {
for (let y = 0; y < ${Ho}; y++) {
const iy = y * ${lit(sh)} - ${lit(pt)} + t3 * ${lit(dh)};
if (iy >= 0.0 && iy < ${lit(H)}) {
let part = 0.0;
for (let q = 0; q < ${Wo}; q++) {
const ix = q * ${lit(sw)} - ${lit(pl)} + t4 * ${lit(dw)};
if (ix >= 0.0 && ix < ${lit(W)}) {
part += xy[${at4('oy0', dy.strides, 'm', 'k', 'y', 'q')}] * xx[${at4('ox', x.strides, 'm', 'c', 'iy', 'ix')}];
}
}
acc += part;
}
}
}
return acc;
}`, [xs.data, x.offset, ys.data, dy.offset]);
  return b.wrap(x.dtype, n, data);
}
