/**
 * Training-mode batch normalization of the reference backend, straight from the definitions:
 * for each channel c, the elements x[n, c, ...] over every other dim; their mean, their biased
 * variance (the mean of squared deviations), then each element normalised, scaled and shifted.
 * The gradient is the formula documented on the kernel (backend.ts), element by element.
 */
import type { Backend, ChannelActivation, Storage, TensorInfo } from '../backend/backend.js';
import { indicesOf, read, storageFrom } from './storage.js';

/** The multi-indices of channel c of an [N, C, ...] shape, in row-major order. */
function* channelIndices(shape: readonly number[], c: number): Generator<number[]> {
  const rest = [shape[0]!, ...shape.slice(2)];
  for (const r of indicesOf(rest)) yield [r[0]!, c, ...r.slice(1)];
}

/** Returns [y, mean, var, invStd] as the BatchNormTrain kernel does. */
export function batchNormTrain(backend: Backend, x: TensorInfo, weight: TensorInfo | null, bias: TensorInfo | null, eps: number): [Storage, Storage, Storage, Storage] {
  const C = x.shape[1]!;
  const means: number[] = [];
  const vars: number[] = [];
  const invStds: number[] = [];
  for (let c = 0; c < C; c++) {
    const values = [...channelIndices(x.shape, c)].map((idx) => read(x, idx));
    const mean = values.reduce((a, v) => a + v, 0) / values.length;
    const variance = values.reduce((a, v) => a + (v - mean) * (v - mean), 0) / values.length;
    means.push(mean);
    vars.push(variance);
    invStds.push(1 / Math.sqrt(variance + eps));
  }
  // y in row-major order of x's shape (the output is contiguous).
  const y: number[] = [];
  for (const idx of indicesOf(x.shape)) {
    const c = idx[1]!;
    const w = weight ? read(weight, [c]) : 1;
    const b = bias ? read(bias, [c]) : 0;
    y.push((read(x, idx) - means[c]!) * invStds[c]! * w + b);
  }
  return [storageFrom(backend, x.dtype, y), storageFrom(backend, x.dtype, means), storageFrom(backend, x.dtype, vars), storageFrom(backend, x.dtype, invStds)];
}

/** Returns [dx, dweight, dbias] as the BatchNormTrainGrad kernel does. */
export function batchNormTrainGrad(backend: Backend, dy: TensorInfo, x: TensorInfo, mean: TensorInfo, invStd: TensorInfo, weight: TensorInfo | null): [Storage, Storage, Storage] {
  const C = x.shape[1]!;
  const sumDy: number[] = [];
  const sumDyXhat: number[] = [];
  const count = x.shape.reduce((a, d, i) => (i === 1 ? a : a * d), 1);
  for (let c = 0; c < C; c++) {
    let s = 0;
    let sx = 0;
    for (const idx of channelIndices(x.shape, c)) {
      const xhat = (read(x, idx) - read(mean, [c])) * read(invStd, [c]);
      s += read(dy, idx);
      sx += read(dy, idx) * xhat;
    }
    sumDy.push(s);
    sumDyXhat.push(sx);
  }
  const dx: number[] = [];
  for (const idx of indicesOf(x.shape)) {
    const c = idx[1]!;
    const inv = read(invStd, [c]);
    const w = weight ? read(weight, [c]) : 1;
    const xhat = (read(x, idx) - read(mean, [c])) * inv;
    // g = dy * w; dx = inv * (g - mean(g) - xhat * mean(g * xhat)).
    dx.push(inv * (w * read(dy, idx) - (w * sumDy[c]!) / count - (xhat * w * sumDyXhat[c]!) / count));
  }
  return [storageFrom(backend, x.dtype, dx), storageFrom(backend, x.dtype, sumDyXhat), storageFrom(backend, x.dtype, sumDy)];
}

/** y = act(x * scale[c] + shift[c]) (scale null: 1), as the ChannelAffine kernel: the product rounded to x's dtype first. */
export function channelAffine(backend: Backend, x: TensorInfo, scale: TensorInfo | null, shift: TensorInfo, act: ChannelActivation): Storage {
  const round = x.dtype === 'float32' ? Math.fround : (v: number) => v;
  const activate = (v: number) => (act === 'none' ? v : Number.isNaN(v) ? v : Math.min(Math.max(v, 0), act === 'relu6' ? 6 : Infinity) + 0);
  const y: number[] = [];
  for (const idx of indicesOf(x.shape)) {
    const c = [idx[1]!];
    y.push(activate(round(read(x, idx) * (scale ? read(scale, c) : 1)) + read(shift, c)));
  }
  return storageFrom(backend, x.dtype, y);
}
