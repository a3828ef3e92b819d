/**
 * Convolutions, NCHW. Three ops close over each other's gradients: conv2d, its input
 * gradient (the transposed convolution) and its filter gradient are all linear in both
 * arguments, and each one's backward is made of the other two, so every order of
 * derivative works and every backend only needs the three kernels.
 */
import type { Conv2dParams } from '../backend/backend.js';
import { runKernel } from '../backend/registry.js';
import { record } from '../autograd/record.js';
import { isFloating, promoteTypes } from '../dtype.js';
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cast } from './cast.js';
import { checkTensor, commonBackend, wrap } from './util.js';

export type Pair = number | readonly [number, number];

/** Options of {@link conv2d}, as in `torch.nn.functional.conv2d`. */
export interface Conv2dOptions {
  stride?: Pair;
  /** A number, [h, w], 'valid' (0) or 'same' (output size = input size; stride 1 only). */
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
}

/** Options of {@link convTranspose2d}, as in `torch.nn.functional.conv_transpose2d`. */
export interface ConvTranspose2dOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/** Expands a number or pair argument and checks it is made of integers >= `min`. */
export function pair(op: string, name: string, v: Pair, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!Array.isArray(v) && typeof v !== 'number') throw new Error(`${op}: ${name} must be a number or [h, w], got ${JSON.stringify(v)}`);
  if (!p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new Error(`${op}: ${name} must be integers >= ${min}, got ${JSON.stringify(v)}`);
  }
  return p;
}

/** Output size of a convolution window sweep along one dim. */
export function outputSize(size: number, k: number, stride: number, padBefore: number, padAfter: number, dilation: number): number {
  return Math.floor((size + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1;
}

/** Accepts [C, H, W] (unbatched) like PyTorch by adding and later removing a batch dim. */
export function batched(op: string, x: Tensor): { x4: Tensor; unbatch: (y: Tensor) => Tensor } {
  if (x.ndim === 4) return { x4: x, unbatch: (y) => y };
  if (x.ndim === 3) return { x4: x.unsqueeze(0), unbatch: (y) => y.squeeze(0) };
  throw new Error(`${op}: expects input of shape [N, C, H, W] or [C, H, W], got ${fmt(x.shape)}`);
}

function convRaw(x: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const [N, , H, W] = x.shape as [number, number, number, number];
  const [K, , kh, kw] = w.shape as [number, number, number, number];
  const Ho = outputSize(H, kh, p.stride[0], p.padding[0], p.padding[1], p.dilation[0]);
  const Wo = outputSize(W, kw, p.stride[1], p.padding[2], p.padding[3], p.dilation[1]);
  const y = wrap(runKernel(x.backend, 'Conv2d', x, w, p), [N, K, Ho, Wo]);
  return record('conv2d', y, [x, w], (g) => [
    x.requiresGrad ? convInputGrad(g, w, x.shape, p) : null,
    w.requiresGrad ? convFilterGrad(x, g, w.shape, p) : null,
  ]);
}

function convInputGrad(dy: Tensor, w: Tensor, inputShape: readonly number[], p: Conv2dParams): Tensor {
  const dx = wrap(runKernel(dy.backend, 'Conv2dBackpropInput', dy, w, inputShape, p), inputShape);
  return record('conv2dInputGrad', dx, [dy, w], (g) => [
    dy.requiresGrad ? convRaw(g, w, p) : null,
    w.requiresGrad ? convFilterGrad(g, dy, w.shape, p) : null,
  ]);
}

function convFilterGrad(x: Tensor, dy: Tensor, filterShape: readonly number[], p: Conv2dParams): Tensor {
  const dw = wrap(runKernel(x.backend, 'Conv2dBackpropFilter', x, dy, filterShape, p), filterShape);
  return record('conv2dFilterGrad', dw, [x, dy], (g) => [
    x.requiresGrad ? convInputGrad(dy, g, x.shape, p) : null,
    dy.requiresGrad ? convRaw(x, g, p) : null,
  ]);
}

/** Common float dtype of the arguments, on one backend. */
function promote(op: string, ts: Tensor[]): Tensor[] {
  commonBackend(op, ts);
  const dtype = ts.map((t) => t.dtype).reduce(promoteTypes);
  const target = isFloating(dtype) ? dtype : 'float32';
  return ts.map((t) => cast(t, target));
}

function addBias(op: string, y: Tensor, bias: Tensor | null | undefined, channels: number): Tensor {
  if (bias === null || bias === undefined) return y;
  checkTensor(op, 'bias', bias);
  if (bias.ndim !== 1 || bias.shape[0] !== channels) {
    throw new Error(`${op}: bias must have shape [${channels}], got ${fmt(bias.shape)}`);
  }
  return y.add(bias.reshape([1, channels, 1, 1]));
}

/**
 * 2-D convolution (cross-correlation, as in every framework) of x [N, C, H, W] (or [C, H, W])
 * with weight [K, C / groups, kh, kw], plus an optional bias [K].
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  checkTensor('conv2d', 'x', x);
  checkTensor('conv2d', 'weight', weight);
  const { x4, unbatch } = batched('conv2d', x);
  if (weight.ndim !== 4) throw new Error(`conv2d: weight must have shape [K, C / groups, kh, kw], got ${fmt(weight.shape)}`);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`conv2d: groups must be a positive integer, got ${groups}`);
  const [, C, H, W] = x4.shape as [number, number, number, number];
  const [K, Cg, kh, kw] = weight.shape as [number, number, number, number];
  if (C % groups !== 0 || K % groups !== 0) {
    throw new Error(`conv2d: input channels (${C}) and output channels (${K}) must both be divisible by groups (${groups}); input ${fmt(x.shape)}, weight ${fmt(weight.shape)}`);
  }
  if (Cg * groups !== C) {
    throw new Error(`conv2d: weight ${fmt(weight.shape)} expects ${Cg * groups} input channels with groups=${groups}, but the input ${fmt(x.shape)} has ${C}`);
  }
  const stride = pair('conv2d', 'stride', opts.stride ?? 1, 1);
  const dilation = pair('conv2d', 'dilation', opts.dilation ?? 1, 1);
  let padding: [number, number, number, number];
  const pad = opts.padding ?? 0;
  if (pad === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) throw new Error(`conv2d: padding='same' needs stride 1, got stride ${fmt(stride)}`);
    // PyTorch puts the odd extra pixel after (bottom/right).
    const th = dilation[0] * (kh - 1);
    const tw = dilation[1] * (kw - 1);
    padding = [th >> 1, th - (th >> 1), tw >> 1, tw - (tw >> 1)];
  } else if (pad === 'valid') {
    padding = [0, 0, 0, 0];
  } else {
    const [ph, pw] = pair('conv2d', 'padding', pad, 0);
    padding = [ph, ph, pw, pw];
  }
  const Ho = outputSize(H, kh, stride[0], padding[0], padding[1], dilation[0]);
  const Wo = outputSize(W, kw, stride[1], padding[2], padding[3], dilation[1]);
  if (Ho <= 0 || Wo <= 0) {
    throw new Error(`conv2d: output size would be ${Ho}x${Wo} for input ${fmt(x.shape)} with kernel ${kh}x${kw}, padding ${fmt(padding)}, dilation ${fmt(dilation)}, stride ${fmt(stride)}`);
  }
  const [xc, wc] = promote('conv2d', [x4, weight]);
  const y = convRaw(xc!, wc!, { stride, padding, dilation, groups });
  return unbatch(addBias('conv2d', y, bias, K));
}

/**
 * Transposed convolution (the gradient of conv2d with respect to its input) of x [N, Cin, H, W]
 * with weight [Cin, Cout / groups, kh, kw], plus an optional bias [Cout].
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTranspose2dOptions = {}): Tensor {
  checkTensor('convTranspose2d', 'x', x);
  checkTensor('convTranspose2d', 'weight', weight);
  const { x4, unbatch } = batched('convTranspose2d', x);
  if (weight.ndim !== 4) throw new Error(`convTranspose2d: weight must have shape [Cin, Cout / groups, kh, kw], got ${fmt(weight.shape)}`);
  const groups = opts.groups ?? 1;
  const [N, Cin, H, W] = x4.shape as [number, number, number, number];
  const [Kw, Cg, kh, kw] = weight.shape as [number, number, number, number];
  if (!Number.isInteger(groups) || groups < 1 || Cin % groups !== 0) {
    throw new Error(`convTranspose2d: input channels (${Cin}) must be divisible by groups (${groups})`);
  }
  if (Kw !== Cin) throw new Error(`convTranspose2d: weight ${fmt(weight.shape)} expects ${Kw} input channels, but the input ${fmt(x.shape)} has ${Cin}`);
  const stride = pair('convTranspose2d', 'stride', opts.stride ?? 1, 1);
  const dilation = pair('convTranspose2d', 'dilation', opts.dilation ?? 1, 1);
  const [ph, pw] = pair('convTranspose2d', 'padding', opts.padding ?? 0, 0);
  const outPad = pair('convTranspose2d', 'outputPadding', opts.outputPadding ?? 0, 0);
  if (outPad[0] >= Math.max(stride[0], dilation[0]) || outPad[1] >= Math.max(stride[1], dilation[1])) {
    throw new Error(`convTranspose2d: outputPadding ${fmt(outPad)} must be smaller than stride or dilation (${fmt(stride)}, ${fmt(dilation)})`);
  }
  const Hout = (H - 1) * stride[0] - 2 * ph + dilation[0] * (kh - 1) + outPad[0] + 1;
  const Wout = (W - 1) * stride[1] - 2 * pw + dilation[1] * (kw - 1) + outPad[1] + 1;
  if (Hout <= 0 || Wout <= 0) throw new Error(`convTranspose2d: output size would be ${Hout}x${Wout} for input ${fmt(x.shape)} and weight ${fmt(weight.shape)}`);
  const Cout = Cg * groups;
  const [xc, wc] = promote('convTranspose2d', [x4, weight]);
  const y = convInputGrad(xc!, wc!, [N, Cout, Hout, Wout], { stride, padding: [ph, ph, pw, pw], dilation, groups });
  return unbatch(addBias('convTranspose2d', y, bias, Cout));
}
