/** Reductions. Each takes `dim` (a number, a list, negatives allowed; all dims if omitted) and `keepdim`. */
import type { ReduceKernelName } from '../backend/backend.js';
import { runKernel } from '../backend/registry.js';
import { noGrad } from '../autograd/grad-mode.js';
import { record } from '../autograd/record.js';
import { isFloating } from '../dtype.js';
import { fmt, normalizeDim, normalizeDims, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { where } from './binary.js';
import { cast } from './cast.js';
import { gather } from './indexing.js';
import { exp, log } from './unary.js';
import { expand, reshape, squeeze } from './views.js';
import { checkTensor, wrap } from './util.js';

/**
 * The dims a reduction runs over: one dim, a list of dims (negative counts from the end), or
 * null/undefined for all of them.
 * @inline
 */
export type Dims = number | readonly number[] | null | undefined;

/** Options of {@link variance} and {@link std}. */
export interface VarOptions {
  /** Divide by n - 1 (Bessel's correction); default true. */
  unbiased?: boolean;
  /** Divide by n - correction; overrides `unbiased`. */
  correction?: number;
  /** Keep reduced dims as size 1 (default false). */
  keepdim?: boolean;
}

/** Values and int32 indices, as `max(x, dim)` and `min(x, dim)` return them. */
export interface ValuesIndices {
  /** The extreme values along the dim. */
  values: Tensor;
  /** Their positions along the dim (int32; the first one on ties). */
  indices: Tensor;
}

/** The shape with reduced axes set to 1. */
function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Runs a Reduce kernel; returns the result with reduced axes dropped, and the keepdim shape. */
function reduceRaw(op: string, kernel: ReduceKernelName, x: Tensor, dim: Dims): { y: Tensor; axes: number[]; keep: number[] } {
  checkTensor(op, 'x', x);
  const axes = normalizeDims(op, dim, x.ndim);
  if ((kernel === 'Max' || kernel === 'Min') && axes.some((a) => x.shape[a] === 0)) {
    throw new Error(`${op}: cannot reduce over a zero-size dim (shape ${fmt(x.shape)}, dim ${JSON.stringify(dim)})`);
  }
  const outShape = x.shape.filter((_, i) => !axes.includes(i));
  const y = wrap(runKernel(x.backend, 'Reduce', kernel, x, axes, x.dtype), outShape);
  return { y, axes, keep: keptShape(x.shape, axes) };
}

function finish(y: Tensor, keep: number[], keepdim: boolean): Tensor {
  return keepdim ? reshape(y, keep) : y;
}

/** Sum over `dim`. bool inputs count as int32. */
export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  checkTensor('sum', 'x', x);
  const input = x.dtype === 'bool' ? cast(x, 'int32') : x;
  const { y, keep } = reduceRaw('sum', 'Sum', input, dim);
  const out = record('sum', y, [input], (g) => [expand(reshape(g, keep), input.shape)]);
  return finish(out, keep, keepdim);
}

/** Mean over `dim`; integer inputs give float32. */
export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  checkTensor('mean', 'x', x);
  const input = isFloating(x.dtype) ? x : cast(x, 'float32');
  const axes = normalizeDims('mean', dim, x.ndim);
  const n = sizeOf(axes.map((a) => x.shape[a]!));
  return sum(input, axes, keepdim).div(n);
}

/** Variance over `dim`, unbiased by default (`torch.var`). */
export function variance(x: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  checkTensor('var', 'x', x);
  const input = isFloating(x.dtype) ? x : cast(x, 'float32');
  const axes = normalizeDims('var', dim, x.ndim);
  const n = sizeOf(axes.map((a) => x.shape[a]!));
  const correction = opts.correction ?? (opts.unbiased === false ? 0 : 1);
  const centered = input.sub(mean(input, axes, true));
  return sum(centered.mul(centered), axes, opts.keepdim ?? false).div(Math.max(0, n - correction));
}

/**
 * Standard deviation: the square root of {@link variance}. Where the spread is 0 the gradient
 * is 0, as PyTorch's (sqrt's 1 / (2 std) would be infinite there, and times the variance's
 * zero gradient give NaN).
 */
export function std(x: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  const v = variance(x, dim, opts);
  // y gets this node as its gradFn, so the gradient below (written with y) differentiates again.
  const y = noGrad(() => v.sqrt());
  return record('std', y, [v], (g) => [where(y.eq(0), 0, g.div(y.mul(2)))]);
}

/** Shared by amax/amin: the gradient is split evenly among tied extremes, as in PyTorch. */
function extreme(op: string, kernel: 'Max' | 'Min', x: Tensor, dim: Dims, keepdim: boolean): Tensor {
  const { y, axes, keep } = reduceRaw(op, kernel, x, dim);
  const out = record(op, y, [x], (g) => {
    // In x's dtype, so the 1/count shares are not rounded to float32 for float64 inputs.
    const hit = cast(x.eq(expand(reshape(y, keep), x.shape)), x.dtype);
    const share = hit.div(sum(hit, axes, true));
    return [expand(reshape(g, keep), x.shape).mul(share)];
  });
  return finish(out, keep, keepdim);
}

/** Largest value over `dim`. */
export function amax(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extreme('amax', 'Max', x, dim, keepdim);
}

/** Smallest value over `dim`. */
export function amin(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extreme('amin', 'Min', x, dim, keepdim);
}

function argReduce(op: string, kernel: 'ArgMax' | 'ArgMin', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  checkTensor(op, 'x', x);
  if (dim === undefined) {
    if (x.numel() === 0) throw new Error(`${op}: cannot take ${op} of an empty tensor`);
    const flat = argReduce(op, kernel, reshape(x.detach(), [x.numel()]), 0, false);
    return keepdim ? reshape(flat, x.shape.map(() => 1)) : flat;
  }
  const d = normalizeDim(op, dim, x.ndim);
  if (x.ndim === 0) return wrap(runKernel(x.backend, 'Fill', 1, 0, 'int32'), []);
  if (x.shape[d] === 0) throw new Error(`${op}: cannot reduce over the zero-size dim ${dim} (shape ${fmt(x.shape)})`);
  const y = wrap(runKernel(x.backend, 'ArgReduce', kernel, x, d), x.shape.filter((_, i) => i !== d));
  return keepdim ? reshape(y, keptShape(x.shape, [d])) : y;
}

/** Index (int32) of the largest value over `dim`, or into the flattened tensor. Not differentiable. */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argReduce('argmax', 'ArgMax', x, dim, keepdim);
}

/** Index (int32) of the smallest value over `dim`, or into the flattened tensor. Not differentiable. */
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argReduce('argmin', 'ArgMin', x, dim, keepdim);
}

function extremeWithIndices(op: string, kernel: 'ArgMax' | 'ArgMin', x: Tensor, dim: number, keepdim: boolean): ValuesIndices {
  const d = normalizeDim(op, dim, x.ndim);
  const indices = argReduce(op, kernel, x, d, true);
  // Values gathered at the indices: the gradient goes to exactly the selected element.
  const values = x.ndim === 0 ? x : gather(x, d, indices);
  if (keepdim || x.ndim === 0) return { values, indices };
  return { values: squeeze(values, d), indices: squeeze(indices, d) };
}

/** `max(x)`: the largest value; `max(x, dim)`: values and indices along `dim`. */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  return dim === undefined ? amax(x) : extremeWithIndices('max', 'ArgMax', x, dim, keepdim);
}

/** `min(x)`: the smallest value; `min(x, dim)`: values and indices along `dim`. */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function min(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  return dim === undefined ? amin(x) : extremeWithIndices('min', 'ArgMin', x, dim, keepdim);
}

/** log(sum(exp(x))) over `dim`, stable for large values; its gradient is softmax. */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
  checkTensor('logsumexp', 'x', x);
  const axes = normalizeDims('logsumexp', dim, x.ndim);
  const m0 = amax(x.detach(), axes, true);
  // A row of -inf (or +inf) would give inf - inf; shifting by 0 there is exact.
  const m = where(m0.abs().eq(Infinity), 0, m0);
  const y = log(sum(exp(x.sub(m)), axes, true)).add(m);
  return keepdim ? y : reshape(y, x.shape.filter((_, i) => !axes.includes(i)));
}
