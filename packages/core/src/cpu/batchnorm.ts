/**
 * Training-mode batch normalization in two passes per channel, and its backward in two more:
 * the fused path the CPU backend gives the batchNorm op (ops/normalization.ts). The composed
 * formula there (mean, subtract, square, mean, rsqrt, multiply, add) makes about ten
 * passes over the activations and as many temporary tensors; these loops read x twice and
 * write y once, accumulating in float64 (in WebAssembly for float32 in wasm memory:
 * simd-batchnorm.ts, the same bits).
 *
 * x is viewed as [N, C, S] (S: the product of the spatial dims); statistics are per channel.
 */
import type { Backend, ChannelActivation, Storage, TensorInfo } from '../backend/backend.js';
import { batchNormKernels } from './simd-batchnorm.js';
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

// Sums of one (image, channel) run of S elements from `at`, as two interleaved partial sums
// (even and odd positions, an odd last element joining the even one) added at the end: the
// order of the WebAssembly loops (simd-batchnorm.ts, two float64 lanes), so both give the same bits.

/** Σ x. */
function runSum(x: FloatArray, at: number, S: number): number {
  let e = 0;
  let o = 0;
  let s = 0;
  for (; s + 1 < S; s += 2) {
    e += x[at + s]!;
    o += x[at + s + 1]!;
  }
  if (s < S) e += x[at + s]!;
  return e + o;
}

/** Σ (x - m)^2. */
function runSqDev(x: FloatArray, at: number, S: number, m: number): number {
  let e = 0;
  let o = 0;
  let s = 0;
  for (; s + 1 < S; s += 2) {
    const d0 = x[at + s]! - m;
    const d1 = x[at + s + 1]! - m;
    e += d0 * d0;
    o += d1 * d1;
  }
  if (s < S) {
    const d = x[at + s]! - m;
    e += d * d;
  }
  return e + o;
}

/** Σ g (x - m). */
function runProdDev(g: FloatArray, x: FloatArray, at: number, S: number, m: number): number {
  let e = 0;
  let o = 0;
  let s = 0;
  for (; s + 1 < S; s += 2) {
    e += g[at + s]! * (x[at + s]! - m);
    o += g[at + s + 1]! * (x[at + s + 1]! - m);
  }
  if (s < S) e += g[at + s]! * (x[at + s]! - m);
  return e + o;
}

/** The loops of one call: WebAssembly over float32 in wasm memory, else JavaScript. */
interface ChannelLoops {
  sum(a: FloatArray, c: number): number;
  sqDev(a: FloatArray, c: number, m: number): number;
  prodDev(g: FloatArray, x: FloatArray, c: number, m: number): number;
  affine(y: FloatArray, x: FloatArray, c: number, scale: number, shift: number): void;
  inputGrad(dx: FloatArray, g: FloatArray, x: FloatArray, c: number, m: number, inv: number, meanDy: number, meanDyXhat: number, k: number): void;
  /** Frees what the wasm loops staged. */
  done(): void;
}

/** The JavaScript loops over [N, C, S] arrays (channel c's runs are S elements, C * S apart). */
function jsLoops(N: number, C: number, S: number): ChannelLoops {
  const each = (c: number, f: (at: number) => void) => {
    for (let n = 0; n < N; n++) f((n * C + c) * S);
  };
  return {
    sum: (a, c) => {
      let t = 0;
      each(c, (at) => (t += runSum(a, at, S)));
      return t;
    },
    sqDev: (a, c, m) => {
      let t = 0;
      each(c, (at) => (t += runSqDev(a, at, S, m)));
      return t;
    },
    prodDev: (g, x, c, m) => {
      let t = 0;
      each(c, (at) => (t += runProdDev(g, x, at, S, m)));
      return t;
    },
    affine: (y, x, c, scale, shift) =>
      each(c, (at) => {
        for (let s = 0; s < S; s++) y[at + s] = x[at + s]! * scale + shift;
      }),
    inputGrad: (dx, g, x, c, m, inv, meanDy, meanDyXhat, k) =>
      each(c, (at) => {
        for (let s = 0; s < S; s++) {
          const xhat = (x[at + s]! - m) * inv;
          dx[at + s] = k * (g[at + s]! - meanDy - xhat * meanDyXhat);
        }
      }),
    done: () => {},
  };
}

/**
 * The WebAssembly loops over the given float32 arrays, or null (float64, no SIMD). An array
 * outside wasm memory (a tensor made outside `tidy`) is copied into a block there first; an
 * output outside it is written there and copied back by `done()`.
 */
function wasmLoops(N: number, C: number, S: number, inputs: readonly FloatArray[], outputs: readonly FloatArray[]): ChannelLoops | null {
  if (![...inputs, ...outputs].every((a) => a instanceof Float32Array)) return null;
  const k = batchNormKernels();
  if (k === null) return null;
  const heap = k.heap;
  const staged: { arr: Float32Array; block: Float32Array; out: boolean }[] = [];
  const address = new Map<FloatArray, number>();
  for (const [arr, out] of [...inputs.map((a) => [a, false] as const), ...outputs.map((a) => [a, true] as const)]) {
    if (address.has(arr)) continue;
    let at = heap.addressOf(arr);
    if (at < 0) {
      const block = heap.view('float32', arr.length, false) as Float32Array | null;
      if (block === null) {
        for (const s of staged) heap.free(s.block);
        return null;
      }
      if (!out) block.set(arr as Float32Array);
      staged.push({ arr: arr as Float32Array, block, out });
      at = heap.addressOf(block);
    }
    address.set(arr, at);
  }
  const A = (a: FloatArray, c: number) => address.get(a)! + c * S * 4;
  const step = C * S * 4;
  return {
    sum: (a, c) => k.sum(A(a, c), A(a, c), S, step, N, 0),
    sqDev: (a, c, m) => k.sqDev(A(a, c), A(a, c), S, step, N, m),
    prodDev: (g, x, c, m) => k.prodDev(A(g, c), A(x, c), S, step, N, m),
    affine: (y, x, c, scale, shift) => k.affine(A(y, c), A(x, c), S, step, N, scale, shift),
    inputGrad: (dx, g, x, c, m, inv, meanDy, meanDyXhat, kk) => k.inputGrad(A(dx, c), A(g, c), A(x, c), S, step, N, m, inv, meanDy, meanDyXhat, kk),
    done: () => {
      for (const s of staged) {
        if (s.out) s.arr.set(s.block);
        heap.free(s.block);
      }
    },
  };
}

const loopsFor = (N: number, C: number, S: number, inputs: readonly FloatArray[], outputs: readonly FloatArray[]) =>
  wasmLoops(N, C, S, inputs, outputs) ?? jsLoops(N, C, S);

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
  const loops = loopsFor(N, C, S, [xd], [yd]);
  for (let c = 0; c < C; c++) {
    const mean = loops.sum(xd, c) / count;
    // Two passes: the variance of centred values, which does not cancel catastrophically.
    const variance = loops.sqDev(xd, c, mean) / count;
    const invStd = 1 / Math.sqrt(variance + eps);
    meanS.data[c] = mean;
    varS.data[c] = variance;
    invS.data[c] = invStd;
    const scale = invStd * (wd ? wd[c]! : 1);
    const shift = (bd ? bd[c]! : 0) - mean * scale;
    loops.affine(yd, xd, c, scale, shift);
  }
  loops.done();
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
  const loops = loopsFor(N, C, S, [xd, gd], [dxd]);
  for (let c = 0; c < C; c++) {
    const m = md[c]!;
    const inv = id[c]!;
    const sumDy = loops.sum(gd, c);
    const sumDyXhat = loops.prodDev(gd, xd, c, m) * inv;
    dwS.data[c] = sumDyXhat;
    dbS.data[c] = sumDy;
    const w = wd ? wd[c]! : 1;
    loops.inputGrad(dxd, gd, xd, c, m, inv, sumDy / count, sumDyXhat / count, w * inv);
  }
  loops.done();
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
