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

/** One number for both spatial dims, or [height, width]. */
export type Pair = number | readonly [number, number];

/** Options of {@link conv2d}, as in `torch.nn.functional.conv2d`. */
export interface Conv2dOptions {
  /** Step of the window (default 1). */
  stride?: Pair;
  /** A number, [h, w], 'valid' (0) or 'same' (output size = input size; stride 1 only). */
  padding?: Pair | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /**
   * Split input and output channels into this many independent convolutions (default 1; `C` for
   * depthwise).
   */
  groups?: number;
}

/** Options of {@link convTranspose2d}, as in `torch.nn.functional.conv_transpose2d`. */
export interface ConvTranspose2dOptions {
  /** Stride of the convolution this one transposes: the upsampling factor (default 1). */
  stride?: Pair;
  /**
   * Padding of the convolution this one transposes: that many rows and columns are trimmed from
   * each side of the output (default 0).
   */
  padding?: Pair;
  /**
   * Extra rows/columns added to one side of the output, to pick among the input sizes a strided
   * convolution maps to the same output size (default 0; less than stride or dilation).
   */
  outputPadding?: Pair;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Channel groups, as in {@link conv2d} (default 1). */
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

/**
 * Output size of a convolution window sweep along one dim: the number of window positions
 * whose dilated extent, dilation * (k - 1) + 1, fits in the padded input, stepping by `stride`.
 * The one place the formula lives (pooling uses it too).
 */
export function outputSize(size: number, k: number, stride: number, padBefore: number, padAfter: number, dilation: number): number {
  return Math.floor((size + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1;
}

/**
 * The whole geometry of one 2-D convolution, computed once by {@link computeConv2dInfo}: the
 * shapes of input, filter and output and the resolved stride, padding, dilation and groups.
 * It is a {@link Conv2dParams}, so the op hands it to the kernels as it is.
 */
export interface Conv2dInfo extends Conv2dParams {
  /** x: [N, C, H, W]. */
  readonly inShape: readonly [number, number, number, number];
  /** weight: [K, C / groups, kh, kw]. */
  readonly filterShape: readonly [number, number, number, number];
  /** y: [N, K, outHeight, outWidth]. */
  readonly outShape: readonly [number, number, number, number];
  /** Stride: rows, columns. */
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number, number, number];
  /** Spacing between kernel taps: rows, columns. */
  readonly dilation: readonly [number, number];
}

/**
 * Validates a convolution of an input of shape `inShape` ([N, C, H, W]) with a filter of shape
 * `filterShape` ([K, C / groups, kh, kw]) under `opts` (as {@link conv2d} takes them; padding
 * may also be explicit [top, bottom, left, right]) and returns its {@link Conv2dInfo}.
 * Errors name `op`, the argument and the shapes.
 *
 * ```ts
 * computeConv2dInfo([8, 3, 32, 32], [16, 3, 3, 3], { stride: 2, padding: 1 }).outShape; // [8, 16, 16, 16]
 * ```
 */
export function computeConv2dInfo(
  inShape: readonly number[],
  filterShape: readonly number[],
  opts: Omit<Conv2dOptions, 'padding'> & { padding?: Conv2dOptions['padding'] | readonly [number, number, number, number] } = {},
  op = 'conv2d',
): Conv2dInfo {
  if (inShape.length !== 4) throw new Error(`${op}: expects input of shape [N, C, H, W], got ${fmt(inShape)}`);
  if (filterShape.length !== 4) throw new Error(`${op}: weight must have shape [K, C / groups, kh, kw], got ${fmt(filterShape)}`);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${op}: groups must be a positive integer, got ${groups}`);
  const [N, C, H, W] = inShape as [number, number, number, number];
  const [K, Cg, kh, kw] = filterShape as [number, number, number, number];
  if (C % groups !== 0 || K % groups !== 0) {
    throw new Error(`${op}: input channels (${C}) and output channels (${K}) must both be divisible by groups (${groups}); input ${fmt(inShape)}, weight ${fmt(filterShape)}`);
  }
  if (Cg * groups !== C) {
    throw new Error(`${op}: weight ${fmt(filterShape)} expects ${Cg * groups} input channels with groups=${groups}, but the input ${fmt(inShape)} has ${C}`);
  }
  const stride = pair(op, 'stride', opts.stride ?? 1, 1);
  const dilation = pair(op, 'dilation', opts.dilation ?? 1, 1);
  const padding = resolvePadding(op, opts.padding ?? 0, [kh, kw], stride, dilation);
  const outHeight = outputSize(H, kh, stride[0], padding[0], padding[1], dilation[0]);
  const outWidth = outputSize(W, kw, stride[1], padding[2], padding[3], dilation[1]);
  if (outHeight <= 0 || outWidth <= 0) {
    throw new Error(`${op}: output size would be ${outHeight}x${outWidth} for input ${fmt(inShape)} with kernel ${kh}x${kw}, padding ${fmt(padding)}, dilation ${fmt(dilation)}, stride ${fmt(stride)}`);
  }
  return {
    inShape: [N, C, H, W], filterShape: [K, Cg, kh, kw], outShape: [N, K, outHeight, outWidth],
    stride, padding, dilation, groups, outHeight, outWidth,
  };
}

/** Padding as [top, bottom, left, right] from a number, [h, w], 'valid', 'same' or the four sides. */
function resolvePadding(
  op: string, pad: Conv2dOptions['padding'] | readonly [number, number, number, number],
  [kh, kw]: [number, number], stride: [number, number], dilation: [number, number],
): [number, number, number, number] {
  if (pad === 'valid') return [0, 0, 0, 0];
  if (pad === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) throw new Error(`${op}: padding='same' needs stride 1, got stride ${fmt(stride)}`);
    // PyTorch puts the odd extra pixel after (bottom/right).
    const th = dilation[0] * (kh - 1);
    const tw = dilation[1] * (kw - 1);
    return [th >> 1, th - (th >> 1), tw >> 1, tw - (tw >> 1)];
  }
  if (Array.isArray(pad) && pad.length === 4) {
    if (!pad.every((x) => Number.isInteger(x) && x >= 0)) throw new Error(`${op}: padding must be integers >= 0, got ${JSON.stringify(pad)}`);
    return [pad[0], pad[1], pad[2], pad[3]];
  }
  const [ph, pw] = pair(op, 'padding', pad as Pair, 0);
  return [ph, ph, pw, pw];
}

/** Accepts [C, H, W] (unbatched) like PyTorch by adding and later removing a batch dim. */
export function batched(op: string, x: Tensor): { x4: Tensor; unbatch: (y: Tensor) => Tensor } {
  if (x.ndim === 4) return { x4: x, unbatch: (y) => y };
  if (x.ndim === 3) return { x4: x.unsqueeze(0), unbatch: (y) => y.squeeze(0) };
  throw new Error(`${op}: expects input of shape [N, C, H, W] or [C, H, W], got ${fmt(x.shape)}`);
}

// The three ops below share one Conv2dParams (computed by computeConv2dInfo), so the output
// size is never recomputed: every derivative of a convolution sees the same geometry.
function convRaw(x: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const y = wrap(runKernel(x.backend, 'Conv2d', x, w, p), [x.shape[0]!, w.shape[0]!, p.outHeight, p.outWidth]);
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
  const info = computeConv2dInfo(x4.shape, weight.shape, opts, 'conv2d');
  const [xc, wc] = promote('conv2d', [x4, weight]);
  const y = convRaw(xc!, wc!, info);
  return unbatch(addBias('conv2d', y, bias, info.filterShape[0]));
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
  // The convolution this one is the adjoint of: from [N, Cout, Hout, Wout] to x's [N, Cin, H, W].
  // Its formula output is H + floor(outPad / stride) rows, more than H when outputPadding >=
  // stride (allowed when dilation > stride); the adjoint keeps x's H x W, so say so explicitly.
  const info = computeConv2dInfo([N, Cout, Hout, Wout], weight.shape, { stride, padding: [ph, pw], dilation, groups }, 'convTranspose2d');
  const p: Conv2dInfo = { ...info, outHeight: H, outWidth: W, outShape: [N, Cin, H, W] };
  const [xc, wc] = promote('convTranspose2d', [x4, weight]);
  const y = convInputGrad(xc!, wc!, p.inShape, p);
  return unbatch(addBias('convTranspose2d', y, bias, Cout));
}
