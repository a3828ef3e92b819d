/**
 * Pooling, NCHW (or unbatched CHW). Max pooling finds each window's argmax with one kernel
 * and gathers the values, so its gradient (to the selected element) and second derivative
 * come from gather/scatterAdd. Average pooling is a depthwise convolution with a constant
 * kernel divided by PyTorch's window counts; adaptive average pooling is two small matmuls.
 */
import { runKernel } from '../backend/registry.js';
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { fromTypedArray, full } from './creation.js';
import { batched, conv2d, outputSize, type Pair, pair } from './conv.js';
import { gather } from './indexing.js';
import { mean } from './reduce.js';
import { checkFloating, checkTensor, wrap } from './util.js';
import { pad as padConst } from './join.js';
import { matmul } from './matmul.js';

/** Options of {@link maxPool2d}. */
export interface MaxPool2dOptions {
  /** Defaults to the kernel size. */
  stride?: Pair;
  /** Implicit padding on each side (default 0); padded positions never win the max. */
  padding?: Pair;
  /** Spacing between window taps (default 1). */
  dilation?: Pair;
  /**
   * Round the output size up instead of down, so a last partial window is kept (it must start
   * inside the input or left padding).
   */
  ceilMode?: boolean;
}

/** Options of {@link avgPool2d}. */
export interface AvgPool2dOptions {
  /** Defaults to the kernel size. */
  stride?: Pair;
  /** Zero padding on each side (default 0). */
  padding?: Pair;
  /**
   * Round the output size up instead of down, so a last partial window is kept (it must start
   * inside the input or left padding).
   */
  ceilMode?: boolean;
  /** Count padding zeros in the divisor (default true, as in PyTorch). */
  countIncludePad?: boolean;
  /** Divide every window sum by this instead of the window size. */
  divisorOverride?: number;
}

/** Values and int32 indices (into each flattened H*W plane) of max pooling. */
export interface PoolWithIndices {
  /** The pooled maxima [N, C, Ho, Wo]. */
  values: Tensor;
  /** Where each maximum is: its flat index h * W + w in its input plane (int32). */
  indices: Tensor;
}

/** PyTorch's pooling output size, including the ceil-mode rule that the last window starts inside. */
function poolOutputSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = size + 2 * p - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

function windowLists(out: number, size: number, k: number, s: number, p: number, d: number): number[][] {
  return Array.from({ length: out }, (_, i) => {
    const taps: number[] = [];
    for (let a = 0; a < k; a++) {
      const r = i * s - p + a * d;
      if (r >= 0 && r < size) taps.push(r);
    }
    return taps;
  });
}

/** Gathers the values at window argmax positions and restores the pooled shape. */
function gatherPlane(x: Tensor, idx: Tensor): Tensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [, , Ho, Wo] = idx.shape as [number, number, number, number];
  return gather(x.reshape([N, C, H * W]), 2, idx.reshape([N, C, Ho * Wo])).reshape([N, C, Ho, Wo]);
}

function checkPoolInput(op: string, x: Tensor): void {
  checkTensor(op, 'x', x);
  checkFloating(op, 'x', x);
}

/** Max pooling; with `returnIndices` also the argmax positions (flat h * W + w per plane). */
export function maxPool2d(x: Tensor, kernelSize: Pair, opts?: MaxPool2dOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(x: Tensor, kernelSize: Pair, opts: MaxPool2dOptions & { returnIndices: true }): PoolWithIndices;
export function maxPool2d(x: Tensor, kernelSize: Pair, opts: MaxPool2dOptions & { returnIndices?: boolean } = {}): Tensor | PoolWithIndices {
  checkPoolInput('maxPool2d', x);
  const { x4, unbatch } = batched('maxPool2d', x);
  const [kh, kw] = pair('maxPool2d', 'kernelSize', kernelSize, 1);
  const [sh, sw] = pair('maxPool2d', 'stride', opts.stride ?? [kh, kw], 1);
  const [ph, pw] = pair('maxPool2d', 'padding', opts.padding ?? 0, 0);
  const [dh, dw] = pair('maxPool2d', 'dilation', opts.dilation ?? 1, 1);
  if (2 * ph > kh || 2 * pw > kw) throw new Error(`maxPool2d: padding ${fmt([ph, pw])} must be at most half the kernel size ${fmt([kh, kw])}`);
  const [, , H, W] = x4.shape as [number, number, number, number];
  const Ho = poolOutputSize(H, kh, sh, ph, dh, opts.ceilMode ?? false);
  const Wo = poolOutputSize(W, kw, sw, pw, dw, opts.ceilMode ?? false);
  if (Ho <= 0 || Wo <= 0) throw new Error(`maxPool2d: output size would be ${Ho}x${Wo} for input ${fmt(x.shape)} with kernel ${kh}x${kw}`);
  const rows = windowLists(Ho, H, kh, sh, ph, dh);
  const cols = windowLists(Wo, W, kw, sw, pw, dw);
  if (rows.some((r) => r.length === 0) || cols.some((c) => c.length === 0)) {
    // PyTorch would output -inf there, with no element to send a gradient to.
    throw new Error(`maxPool2d: some windows lie entirely in the padding (input ${fmt(x.shape)}, kernel ${fmt([kh, kw])}, padding ${fmt([ph, pw])}, dilation ${fmt([dh, dw])}); reduce padding or dilation`);
  }
  return pooledByArgmax(x4, rows, cols, unbatch, opts.returnIndices ?? false);
}

function pooledByArgmax(x4: Tensor, rows: number[][], cols: number[][], unbatch: (t: Tensor) => Tensor, withIndices: boolean): Tensor | PoolWithIndices {
  const [N, C] = x4.shape as [number, number];
  const idx = wrap(runKernel(x4.backend, 'PoolArgMax', x4.detach(), rows, cols), [N, C, rows.length, cols.length]);
  const values = unbatch(gatherPlane(x4, idx));
  return withIndices ? { values, indices: unbatch(idx) } : values;
}

/** PyTorch's average-pool divisors for every output position, as a [Ho, Wo] tensor. */
function divisors(H: number, W: number, Ho: number, Wo: number, k: [number, number], s: [number, number], p: [number, number], includePad: boolean, like: Tensor): Tensor {
  const data = new Float64Array(Ho * Wo);
  for (let i = 0; i < Ho; i++) {
    let h0 = i * s[0] - p[0];
    let h1 = Math.min(h0 + k[0], H + p[0]);
    const hPad = h1 - h0;
    h0 = Math.max(h0, 0);
    h1 = Math.min(h1, H);
    for (let j = 0; j < Wo; j++) {
      let w0 = j * s[1] - p[1];
      let w1 = Math.min(w0 + k[1], W + p[1]);
      const wPad = w1 - w0;
      w0 = Math.max(w0, 0);
      w1 = Math.min(w1, W);
      data[i * Wo + j] = includePad ? hPad * wPad : (h1 - h0) * (w1 - w0);
    }
  }
  const arr = like.dtype === 'float64' ? data : Float32Array.from(data);
  return fromTypedArray(arr, [Ho, Wo], like.dtype, { backend: like.backend.name });
}

/** Average pooling with PyTorch's padding, ceil-mode and divisor rules. */
export function avgPool2d(x: Tensor, kernelSize: Pair, opts: AvgPool2dOptions = {}): Tensor {
  checkPoolInput('avgPool2d', x);
  const { x4, unbatch } = batched('avgPool2d', x);
  const k = pair('avgPool2d', 'kernelSize', kernelSize, 1);
  const s = pair('avgPool2d', 'stride', opts.stride ?? k, 1);
  const p = pair('avgPool2d', 'padding', opts.padding ?? 0, 0);
  if (2 * p[0] > k[0] || 2 * p[1] > k[1]) throw new Error(`avgPool2d: padding ${fmt(p)} must be at most half the kernel size ${fmt(k)}`);
  const [, C, H, W] = x4.shape as [number, number, number, number];
  const ceil = opts.ceilMode ?? false;
  const Ho = poolOutputSize(H, k[0], s[0], p[0], 1, ceil);
  const Wo = poolOutputSize(W, k[1], s[1], p[1], 1, ceil);
  if (Ho <= 0 || Wo <= 0) throw new Error(`avgPool2d: output size would be ${Ho}x${Wo} for input ${fmt(x.shape)} with kernel ${fmt(k)}`);
  // Window sums as a depthwise convolution with a ones kernel; ceil mode may need extra
  // zero padding after, which the divisors then leave out as PyTorch does.
  const extraH = Math.max(0, (Ho - 1) * s[0] + k[0] - (H + 2 * p[0]));
  const extraW = Math.max(0, (Wo - 1) * s[1] + k[1] - (W + 2 * p[1]));
  const padded = extraH || extraW ? padConst(x4, [0, extraW, 0, extraH]) : x4;
  const ones = full([C, 1, k[0], k[1]], 1, { dtype: x4.dtype, backend: x4.backend.name });
  const sums = conv2d(padded, ones, null, { stride: s, padding: p, groups: C }).narrow(2, 0, Ho).narrow(3, 0, Wo);
  const divisor = opts.divisorOverride ?? divisors(H, W, Ho, Wo, k, s, p, opts.countIncludePad ?? true, x4);
  if (typeof divisor === 'number' && (!Number.isFinite(divisor) || divisor === 0)) {
    throw new Error(`avgPool2d: divisorOverride must be a non-zero number, got ${divisor}`);
  }
  return unbatch(sums.div(divisor));
}

function adaptiveSize(op: string, x4: Tensor, outputSize: number | readonly (number | null)[]): [number, number] {
  const [, , H, W] = x4.shape as [number, number, number, number];
  const o = typeof outputSize === 'number' ? [outputSize, outputSize] : [outputSize[0] ?? H, outputSize[1] ?? W];
  if (o.length !== 2 || !o.every((v) => Number.isInteger(v) && v! > 0)) {
    throw new Error(`${op}: outputSize must be a positive integer or [h, w], got ${JSON.stringify(outputSize)}`);
  }
  return o as [number, number];
}

/** Window [start, end) of adaptive pooling output i: floor(i*in/out) to ceil((i+1)*in/out). */
function adaptiveWindow(i: number, size: number, out: number): [number, number] {
  return [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)];
}

/** Averaging matrix A [out, size]: row i averages adaptive window i. */
function averagingMatrix(size: number, out: number, like: Tensor): Tensor {
  const data = new Float64Array(out * size);
  for (let i = 0; i < out; i++) {
    const [a, b] = adaptiveWindow(i, size, out);
    for (let r = a; r < b; r++) data[i * size + r] = 1 / (b - a);
  }
  const arr = like.dtype === 'float64' ? data : Float32Array.from(data);
  return fromTypedArray(arr, [out, size], like.dtype, { backend: like.backend.name });
}

/** Average pooling to a fixed output size (1 gives global average pooling). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  checkPoolInput('adaptiveAvgPool2d', x);
  const { x4, unbatch } = batched('adaptiveAvgPool2d', x);
  const [Ho, Wo] = adaptiveSize('adaptiveAvgPool2d', x4, outputSize);
  const [, , H, W] = x4.shape as [number, number, number, number];
  if (Ho === 1 && Wo === 1) return unbatch(mean(x4, [2, 3], true));
  // Windows are separable: y = A_h . x . A_w^T, with matmul broadcasting over N and C.
  const y = matmul(matmul(averagingMatrix(H, Ho, x4), x4), averagingMatrix(W, Wo, x4).t());
  return unbatch(y);
}

/** Max pooling to a fixed output size; with `returnIndices` also the argmax positions. */
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | readonly (number | null)[], opts?: { returnIndices?: false }): Tensor;
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | readonly (number | null)[], opts: { returnIndices: true }): PoolWithIndices;
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | readonly (number | null)[], opts: { returnIndices?: boolean } = {}): Tensor | PoolWithIndices {
  checkPoolInput('adaptiveMaxPool2d', x);
  const { x4, unbatch } = batched('adaptiveMaxPool2d', x);
  const [Ho, Wo] = adaptiveSize('adaptiveMaxPool2d', x4, outputSize);
  const [, , H, W] = x4.shape as [number, number, number, number];
  const range = (i: number, size: number, out: number): number[] => {
    const [a, b] = adaptiveWindow(i, size, out);
    return Array.from({ length: b - a }, (_, r) => a + r);
  };
  const rows = Array.from({ length: Ho }, (_, i) => range(i, H, Ho));
  const cols = Array.from({ length: Wo }, (_, j) => range(j, W, Wo));
  return pooledByArgmax(x4, rows, cols, unbatch, opts.returnIndices ?? false);
}
