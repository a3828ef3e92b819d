/**
 * Training-mode batch normalization in two passes per channel, and its backward in two more:
 * the fused path the CPU backend gives the batchNorm op (ops/normalization.ts). The composed
 * formula there (mean, subtract, square, mean, rsqrt, multiply, add) makes about ten
 * passes over the activations and as many temporary tensors; these loops read x twice and
 * write y once, accumulating in float64.
 *
 * x is viewed as [N, C, S] (S: the product of the spatial dims); statistics are per channel.
 */
import type { Backend, ChannelActivation, Storage, TensorInfo } from '../backend/backend.js';
import { simdChannelAffine } from './simd-elementwise.js';
import type { FloatArray } from './gemm.js';
import { contiguousFloats } from './contiguous.js';
import { allocFor } from './storage.js';

function dims(shape: readonly number[]): [number, number, number] {
  const N = shape[0]!;
  const C = shape[1]!;
  let S = 1;
  for (let i = 2; i < shape.length; i++) S *= shape[i]!;
  return [N, C, S];
}

/** y = (x - mean) * invStd * weight + bias with batch statistics; returns [y, mean, var, invStd]. */
export function batchNormTrain(backend: Backend, x: TensorInfo, weight: TensorInfo | null, bias: TensorInfo | null, eps: number): [Storage, Storage, Storage, Storage] {
  const [N, C, S] = dims(x.shape);
  const xd = contiguousFloats(backend, x);
  const wd = weight ? contiguousFloats(backend, weight) : null;
  const bd = bias ? contiguousFloats(backend, bias) : null;
  const y = allocFor(backend, x.dtype, N * C * S, false);
  const meanS = allocFor(backend, x.dtype, C, false);
  const varS = allocFor(backend, x.dtype, C, false);
  const invS = allocFor(backend, x.dtype, C, false);
  const yd = y.data as FloatArray;
  const count = N * S;
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * S;
      for (let s = 0; s < S; s++) sum += xd[base + s]!;
    }
    const mean = sum / count;
    // Two passes: the variance of centred values, which does not cancel catastrophically.
    let sq = 0;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * S;
      for (let s = 0; s < S; s++) {
        const d = xd[base + s]! - mean;
        sq += d * d;
      }
    }
    const variance = sq / count;
    const invStd = 1 / Math.sqrt(variance + eps);
    meanS.data[c] = mean;
    varS.data[c] = variance;
    invS.data[c] = invStd;
    const scale = invStd * (wd ? wd[c]! : 1);
    const shift = (bd ? bd[c]! : 0) - mean * scale;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * S;
      for (let s = 0; s < S; s++) yd[base + s] = xd[base + s]! * scale + shift;
    }
  }
  return [y, meanS, varS, invS];
}

/**
 * The gradients of {@link batchNormTrain} given dy: with x̂ = (x - mean) invStd and
 * g = dy * weight,  dx = invStd (g - mean(g) - x̂ mean(g x̂)),  dweight = Σ dy x̂,  dbias = Σ dy.
 * Returns [dx, dweight, dbias] (the last two per channel).
 */
export function batchNormTrainGrad(backend: Backend, dy: TensorInfo, x: TensorInfo, mean: TensorInfo, invStd: TensorInfo, weight: TensorInfo | null): [Storage, Storage, Storage] {
  const [N, C, S] = dims(x.shape);
  const xd = contiguousFloats(backend, x);
  const gd = contiguousFloats(backend, dy);
  const md = contiguousFloats(backend, mean);
  const id = contiguousFloats(backend, invStd);
  const wd = weight ? contiguousFloats(backend, weight) : null;
  const dx = allocFor(backend, x.dtype, N * C * S, false);
  const dwS = allocFor(backend, x.dtype, C, false);
  const dbS = allocFor(backend, x.dtype, C, false);
  const dxd = dx.data as FloatArray;
  const count = N * S;
  for (let c = 0; c < C; c++) {
    const m = md[c]!;
    const inv = id[c]!;
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * S;
      for (let s = 0; s < S; s++) {
        const g = gd[base + s]!;
        sumDy += g;
        sumDyXhat += g * (xd[base + s]! - m);
      }
    }
    sumDyXhat *= inv;
    dwS.data[c] = sumDyXhat;
    dbS.data[c] = sumDy;
    const w = wd ? wd[c]! : 1;
    const k = w * inv;
    const meanDy = sumDy / count;
    const meanDyXhat = sumDyXhat / count;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * S;
      for (let s = 0; s < S; s++) {
        const xhat = (xd[base + s]! - m) * inv;
        dxd[base + s] = k * (gd[base + s]! - meanDy - xhat * meanDyXhat);
      }
    }
  }
  return [dx, dwS, dbS];
}

/**
 * y = act(x * scale[c] + shift[c]) per channel (scale null: 1): eval-mode batch norm, or a
 * convolution's bias and activation, in one pass. Float32 in wasm memory runs the SIMD loop;
 * the JavaScript loop rounds the product to float32 first, like it, so the two agree bit for bit.
 */
export function channelAffine(backend: Backend, x: TensorInfo, scale: TensorInfo | null, shift: TensorInfo, act: ChannelActivation): Storage {
  const [N, C, S] = dims(x.shape);
  const xd = contiguousFloats(backend, x);
  const sc = scale && contiguousFloats(backend, scale);
  const sh = contiguousFloats(backend, shift);
  const y = allocFor(backend, x.dtype, N * C * S, false);
  const yd = y.data as FloatArray;
  if (x.dtype === 'float32' && simdChannelAffine(yd as Float32Array, xd as Float32Array, sc, sh, N, C, S, act)) return y;
  const round = x.dtype === 'float32' ? Math.fround : (v: number) => v;
  const lo = act === 'none' ? -Infinity : 0;
  const hi = act === 'relu6' ? 6 : Infinity;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const a = sc ? sc[c]! : 1;
      const b = sh[c]!;
      const base = (n * C + c) * S;
      if (act === 'none') for (let s = 0; s < S; s++) yd[base + s] = round(xd[base + s]! * a) + b;
      // max/min that keep NaN and turn -0 into +0, as relu and relu6 do.
      else for (let s = 0; s < S; s++) {
        const v = round(xd[base + s]! * a) + b;
        yd[base + s] = v > lo ? (v < hi ? v : hi) : v === v ? 0 : v;
      }
    }
  }
  return y;
}
