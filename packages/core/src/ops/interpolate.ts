/**
 * Resizing NCHW images (`torch.nn.functional.interpolate`): nearest and bilinear. Each axis is
 * resized on its own with indexSelect (and, for bilinear, a weighted sum of two selections),
 * so the gradient (a scatter-add of the output gradient) comes from ops.
 */
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { tensor } from './creation.js';
import { indexSelect } from './indexing.js';
import { batched } from './conv.js';
import { checkFloating, checkTensor } from './util.js';

/** Options of {@link interpolate}: exactly one of `size` and `scaleFactor`. */
export interface InterpolateOptions {
  /** Output [height, width] (or one number for both). */
  size?: number | readonly [number, number];
  /** Output = floor(input * scaleFactor) per axis. */
  scaleFactor?: number | readonly [number, number];
  /** 'nearest' (default) or 'bilinear'. */
  mode?: 'nearest' | 'bilinear';
  /**
   * bilinear only: map the corner pixels' centres onto each other (true), or the corners of the
   * image (false, the default, as PyTorch's).
   */
  alignCorners?: boolean;
}

/**
 * The input-over-output scale of one axis, as PyTorch computes it: 1 / scaleFactor when one was
 * given, else in / out.
 */
function axisScale(inSize: number, outSize: number, factor: number | undefined): number {
  return factor !== undefined ? 1 / factor : inSize / outSize;
}

/** Source rows of 'nearest': floor(dst * scale), in float32 arithmetic as PyTorch's kernel. */
function nearestIndex(inSize: number, outSize: number, factor: number | undefined): number[] {
  const scale = Math.fround(axisScale(inSize, outSize, factor));
  return Array.from({ length: outSize }, (_, o) => Math.min(Math.floor(Math.fround(o * scale)), inSize - 1));
}

/** For 'bilinear': each output position's two source positions and the weight of the second. */
function linearTaps(inSize: number, outSize: number, factor: number | undefined, alignCorners: boolean): { i0: number[]; i1: number[]; w1: number[] } {
  const scale = alignCorners ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : axisScale(inSize, outSize, factor);
  const i0: number[] = [];
  const i1: number[] = [];
  const w1: number[] = [];
  for (let o = 0; o < outSize; o++) {
    // Pixel centres (alignCorners false) map to pixel centres; before the first one, clamp.
    const src = alignCorners ? o * scale : Math.max(scale * (o + 0.5) - 0.5, 0);
    const lo = Math.min(Math.floor(src), inSize - 1);
    i0.push(lo);
    i1.push(Math.min(lo + 1, inSize - 1));
    w1.push(src - lo);
  }
  return { i0, i1, w1 };
}

function pairOf(op: string, name: string, v: number | readonly number[]): [number, number] {
  const p = typeof v === 'number' ? [v, v] : [...v];
  if (p.length !== 2 || !p.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)) {
    throw new Error(`${op}: ${name} must be a positive number or [h, w], got ${JSON.stringify(v)}`);
  }
  return p as [number, number];
}

/** Resizes dim `d` of x from `inSize` to `outSize`. */
function resizeAxis(x: Tensor, d: number, outSize: number, factor: number | undefined, mode: 'nearest' | 'bilinear', alignCorners: boolean): Tensor {
  const inSize = x.shape[d]!;
  const backend = x.backend.name;
  const index = (v: number[]) => tensor(Int32Array.from(v), { backend });
  if (mode === 'nearest') return indexSelect(x, d, index(nearestIndex(inSize, outSize, factor)));
  const { i0, i1, w1 } = linearTaps(inSize, outSize, factor, alignCorners);
  const shape = x.shape.map((_, i) => (i === d ? outSize : 1));
  const weight1 = tensor(Float64Array.from(w1), { dtype: x.dtype, backend }).reshape(shape);
  const weight0 = tensor(Float64Array.from(w1, (w) => 1 - w), { dtype: x.dtype, backend }).reshape(shape);
  return indexSelect(x, d, index(i0)).mul(weight0).add(indexSelect(x, d, index(i1)).mul(weight1));
}

/**
 * Resizes x [N, C, H, W] (or [C, H, W]) to `size` or by `scaleFactor`, with `mode` 'nearest'
 * (PyTorch's legacy nearest: source floor(dst * in / out)) or 'bilinear' (`alignCorners` as in
 * PyTorch). `torch.nn.functional.interpolate` for 2-D images.
 */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  const op = 'interpolate';
  checkTensor(op, 'x', x);
  checkFloating(op, 'x', x);
  const mode = opts.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear') throw new Error(`${op}: mode must be 'nearest' or 'bilinear', got ${JSON.stringify(mode)}`);
  if (opts.alignCorners !== undefined && mode !== 'bilinear') throw new Error(`${op}: alignCorners only applies to mode 'bilinear', got mode '${mode}'`);
  if ((opts.size === undefined) === (opts.scaleFactor === undefined)) throw new Error(`${op}: give exactly one of size and scaleFactor`);
  const { x4, unbatch } = batched(op, x);
  const [H, W] = [x4.shape[2]!, x4.shape[3]!];
  let out: [number, number];
  let factors: [number | undefined, number | undefined] = [undefined, undefined];
  if (opts.size !== undefined) {
    out = pairOf(op, 'size', opts.size);
    if (!out.every(Number.isInteger)) throw new Error(`${op}: size must be integers, got ${JSON.stringify(opts.size)}`);
  } else {
    const f = pairOf(op, 'scaleFactor', opts.scaleFactor!);
    factors = f;
    out = [Math.floor(H * f[0]), Math.floor(W * f[1])];
  }
  if (out[0] < 1 || out[1] < 1 || H < 1 || W < 1) throw new Error(`${op}: output size would be ${out[0]}x${out[1]} for input ${fmt(x.shape)}`);
  const alignCorners = opts.alignCorners ?? false;
  const rows = resizeAxis(x4, 2, out[0], factors[0], mode, alignCorners);
  return unbatch(resizeAxis(rows, 3, out[1], factors[1], mode, alignCorners));
}
