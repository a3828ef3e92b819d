/**
 * View ops: new shape/strides/offset over the same storage, no copy. Each records a backward
 * that is itself a differentiable op, so views nest under higher-order gradients.
 */
import { runKernel } from '../backend/registry.js';
import { record } from '../autograd/record.js';
import { noGrad } from '../autograd/grad-mode.js';
import { contiguousStrides, fmt, normalizeDim, normalizeDims, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { zeros } from './creation.js';
import { sum } from './reduce.js';
import { checkTensor, wrap } from './util.js';

export { normalizeDim as dimIndex };

function makeView(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  return new Tensor(x.storage, shape, strides, offset);
}

/** Resolves one -1 in a target shape and checks the element count. */
function inferSize(op: string, shape: readonly number[], numel: number, from: readonly number[]): number[] {
  const out = [...shape];
  const free = out.flatMap((d, i) => (d === -1 ? [i] : []));
  const bad = out.some((d) => !Number.isInteger(d) || d < -1);
  if (bad || free.length > 1) throw new Error(`${op}: invalid shape ${fmt(shape)} (sizes must be integers >= 0, with at most one -1)`);
  const known = sizeOf(out.filter((d) => d !== -1));
  if (free.length === 1) {
    if (known === 0 || numel % known !== 0) throw new Error(`${op}: shape ${fmt(shape)} is invalid for input of shape ${fmt(from)} (${numel} elements)`);
    out[free[0]!] = numel / known;
  }
  if (sizeOf(out) !== numel) throw new Error(`${op}: shape ${fmt(shape)} is invalid for input of shape ${fmt(from)} (${numel} elements)`);
  return out;
}

/**
 * Strides that let `newShape` view the same elements as (oldShape, oldStrides), or null when
 * the layout needs a copy. Works chunk by chunk over runs of old dims that are contiguous
 * with each other (PyTorch's computeStride).
 */
export function viewStrides(oldShape: readonly number[], oldStrides: readonly number[], newShape: readonly number[]): number[] | null {
  if (sizeOf(oldShape) === 0 || oldShape.length === 0) return contiguousStrides(newShape);
  const newStrides = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBase = oldStrides[oldShape.length - 1]!;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d]!;
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? newStrides : null;
}

/** Same elements, new shape: a view when the strides allow, else a copy. One dim may be -1. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('reshape', 'x', x);
  const s = inferSize('reshape', shape, x.numel(), x.shape);
  const strides = viewStrides(x.shape, x.strides, s);
  // When no view fits, copy first; either way the tape gets one reshape node on x.
  const base = strides ? x : noGrad(() => contiguous(x));
  const out = makeView(base, s, strides ?? contiguousStrides(s), base.offset);
  return record('reshape', out, [x], (g) => [reshape(g, x.shape)]);
}

/** Like {@link reshape} but never copies: fails when the strides do not allow a view. */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('view', 'x', x);
  const s = inferSize('view', shape, x.numel(), x.shape);
  const strides = viewStrides(x.shape, x.strides, s);
  if (!strides) {
    throw new Error(`view: shape ${fmt(s)} is not compatible with the input's shape ${fmt(x.shape)} and strides ${fmt(x.strides)}; use reshape()`);
  }
  return record('view', makeView(x, s, strides, x.offset), [x], (g) => [reshape(g, x.shape)]);
}

/** Reorders dimensions: output dim i is input dim `dims[i]`. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkTensor('permute', 'x', x);
  if (dims.length !== x.ndim) throw new Error(`permute: got ${dims.length} dims ${fmt(dims)} for a tensor of shape ${fmt(x.shape)}`);
  const p = dims.map((d) => normalizeDim('permute', d, x.ndim));
  if (new Set(p).size !== p.length) throw new Error(`permute: dims ${fmt(dims)} is not a permutation`);
  const inverse = new Array<number>(p.length);
  p.forEach((d, i) => (inverse[d] = i));
  const out = makeView(x, p.map((d) => x.shape[d]!), p.map((d) => x.strides[d]!), x.offset);
  return record('permute', out, [x], (g) => [permute(g, inverse)]);
}

/** Swaps two dimensions. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor('transpose', 'x', x);
  const a = normalizeDim('transpose', dim0, x.ndim, 'dim0');
  const b = normalizeDim('transpose', dim1, x.ndim, 'dim1');
  if (x.ndim < 2) return x;
  const p = x.shape.map((_, i) => i);
  [p[a], p[b]] = [p[b]!, p[a]!];
  return permute(x, p);
}

/** Transpose of a 0-, 1- or 2-D tensor. */
export function t(x: Tensor): Tensor {
  checkTensor('t', 'x', x);
  if (x.ndim > 2) throw new Error(`t: expects a tensor with at most 2 dims, got shape ${fmt(x.shape)}; use transpose()`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

/** Sums `g` down to `shape` over the dims that broadcasting expanded. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  if (dims.length === 0) return g;
  return reshape(sum(g, dims, true), shape);
}

/** Broadcasts size-1 dims (stride 0, no copy); -1 keeps a size; new dims go in front. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('expand', 'x', x);
  if (shape.length < x.ndim) throw new Error(`expand: target shape ${fmt(shape)} has fewer dims than the input's ${fmt(x.shape)}`);
  const lead = shape.length - x.ndim;
  const outShape: number[] = [];
  const strides: number[] = [];
  shape.forEach((d, i) => {
    const j = i - lead;
    const cur = j >= 0 ? x.shape[j]! : 1;
    if (d === -1) {
      if (j < 0) throw new Error(`expand: -1 is not allowed for the new leading dim ${i} (target ${fmt(shape)})`);
      d = cur;
    }
    if (!Number.isInteger(d) || d < 0) throw new Error(`expand: invalid size ${d} in target shape ${fmt(shape)}`);
    if (j >= 0 && cur !== d && cur !== 1) {
      throw new Error(`expand: the expanded size ${d} must match the existing size ${cur} at dim ${i} (input ${fmt(x.shape)}, target ${fmt(shape)})`);
    }
    outShape.push(d);
    strides.push(j >= 0 && cur === d ? x.strides[j]! : 0);
  });
  if (outShape.length === x.ndim && outShape.every((d, i) => d === x.shape[i])) return x;
  return record('expand', makeView(x, outShape, strides, x.offset), [x], (g) => [sumToShape(g, x.shape)]);
}

/** Broadcasts to `shape` (an alias of {@link expand} with NumPy's name). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  return expand(x, shape);
}

/**
 * The gradient of a view back to its base: zeros of `baseShape` with `g` written where
 * `apply` looks. Its own gradient is just `apply` again, so double backward works.
 */
export function viewScatter(g: Tensor, baseShape: readonly number[], apply: (t: Tensor) => Tensor): Tensor {
  const z = zeros(baseShape, { dtype: g.dtype, backend: g.backend.name });
  const dst = noGrad(() => apply(z));
  runKernel(z.backend, 'Assign', dst, g);
  return record('viewScatter', z, [g], (gg) => [apply(gg)]);
}

/** Elements `start .. start+length-1` of `dim` (a view). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor('narrow', 'x', x);
  const d = normalizeDim('narrow', dim, x.ndim);
  const size = x.shape[d]!;
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(start) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > size) {
    throw new Error(`narrow: start=${start}, length=${length} is out of range for dim ${dim} of size ${size} (shape ${fmt(x.shape)})`);
  }
  const shape = [...x.shape];
  shape[d] = length;
  const out = makeView(x, shape, x.strides, x.offset + s * x.strides[d]!);
  return record('narrow', out, [x], (g) => [viewScatter(g, x.shape, (b) => narrow(b, d, s, length))]);
}

/** Python-style slice `start:end:step` along `dim` (negative indices wrap; bounds clamp). */
export function slice(x: Tensor, dim: number, start = 0, end = Number.POSITIVE_INFINITY, step = 1): Tensor {
  checkTensor('slice', 'x', x);
  const d = normalizeDim('slice', dim, x.ndim);
  if (!Number.isInteger(step) || step <= 0) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const size = x.shape[d]!;
  const clampIdx = (i: number): number => Math.min(size, Math.max(0, i < 0 ? i + size : i));
  const s = clampIdx(start);
  const e = Math.max(s, clampIdx(end));
  const shape = [...x.shape];
  shape[d] = Math.ceil((e - s) / step);
  const strides = [...x.strides];
  strides[d] = x.strides[d]! * step;
  const out = makeView(x, shape, strides, x.offset + s * x.strides[d]!);
  return record('slice', out, [x], (g) => [viewScatter(g, x.shape, (b) => slice(b, d, s, e, step))]);
}

/** The slice at `index` of `dim`, with that dim removed (a view). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  checkTensor('select', 'x', x);
  const d = normalizeDim('select', dim, x.ndim);
  const size = x.shape[d]!;
  const i = index < 0 ? index + size : index;
  if (!Number.isInteger(index) || i < 0 || i >= size) {
    throw new Error(`select: index ${index} is out of range for dim ${dim} of size ${size} (shape ${fmt(x.shape)})`);
  }
  const shape = x.shape.filter((_, j) => j !== d);
  const strides = x.strides.filter((_, j) => j !== d);
  const out = makeView(x, shape, strides, x.offset + i * x.strides[d]!);
  return record('select', out, [x], (g) => [viewScatter(g, x.shape, (b) => select(b, d, i))]);
}

/** Removes size-1 dims (all of them, or those listed that have size 1). */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  checkTensor('squeeze', 'x', x);
  const dims = dim === undefined ? x.shape.map((_, i) => i) : normalizeDims('squeeze', dim, x.ndim);
  return reshape(x, x.shape.filter((d, i) => !(d === 1 && dims.includes(i))));
}

/** Inserts a size-1 dim at `dim` (which may be `ndim`, or negative counting from the end). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor('unsqueeze', 'x', x);
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

/** Merges dims `startDim..endDim` into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor('flatten', 'x', x);
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim('flatten', startDim, x.ndim, 'startDim');
  const e = normalizeDim('flatten', endDim, x.ndim, 'endDim');
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim} for shape ${fmt(x.shape)}`);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** This tensor if already contiguous, else a contiguous copy. */
export function contiguous(x: Tensor): Tensor {
  checkTensor('contiguous', 'x', x);
  return x.isContiguous() ? x : clone(x);
}

/** A contiguous copy with its own storage; gradients pass straight through. */
export function clone(x: Tensor): Tensor {
  checkTensor('clone', 'x', x);
  const out = wrap(runKernel(x.backend, 'Copy', x, x.dtype), x.shape);
  return record('clone', out, [x], (g) => [g]);
}
