/** Index-driven ops: gather, scatterAdd, indexSelect, oneHot. */
import { runKernel } from '../backend/registry.js';
import { record } from '../autograd/record.js';
import { checkDType, type DType } from '../dtype.js';
import { fmt, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cast } from './cast.js';
import { arange, zerosLike } from './creation.js';
import { eq } from './binary.js';
import { amax } from './reduce.js';
import { expand, narrow, reshape, unsqueeze, viewScatter } from './views.js';
import { checkTensor, commonBackend, wrap } from './util.js';

function checkIndexTensor(op: string, index: Tensor): void {
  checkTensor(op, 'index', index);
  if (index.dtype === 'bool') throw new Error(`${op}: index must hold integers (int32 or integral floats), got a bool tensor`);
}

/** Checks torch's rule: same ndim, and index no larger than `other` outside `dim`. */
function checkIndexShape(op: string, arg: string, other: Tensor, index: Tensor, d: number): void {
  if (index.ndim !== other.ndim || index.shape.some((s, i) => i !== d && s > other.shape[i]!)) {
    throw new Error(`${op}: index ${fmt(index.shape)} must have the same number of dims as ${arg} ${fmt(other.shape)} and be no larger outside dim ${d}`);
  }
}

/** out[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (and so on); the output has index's shape. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('gather', 'x', x);
  checkIndexTensor('gather', index);
  commonBackend('gather', [x, index]);
  const d = normalizeDim('gather', dim, x.ndim);
  checkIndexShape('gather', 'x', x, index, d);
  const y = wrap(runKernel(x.backend, 'Gather', x, d, index), index.shape);
  return record('gather', y, [x], (g) => [scatterAdd(zerosLike(x), d, index, g)]);
}

/**
 * A copy of `base` with `src` added at the positions `index` names along `dim`
 * (`torch.scatter_add`). Only the part of `src` covered by index's shape is used.
 */
export function scatterAdd(base: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkTensor('scatterAdd', 'base', base);
  checkTensor('scatterAdd', 'src', src);
  checkIndexTensor('scatterAdd', index);
  commonBackend('scatterAdd', [base, index, src]);
  const d = normalizeDim('scatterAdd', dim, base.ndim);
  checkIndexShape('scatterAdd', 'base', base, index, d);
  if (src.ndim !== index.ndim || src.shape.some((s, i) => s < index.shape[i]!)) {
    throw new Error(`scatterAdd: src ${fmt(src.shape)} must be at least as large as index ${fmt(index.shape)} in every dim`);
  }
  const s = cast(src, base.dtype);
  const y = wrap(runKernel(base.backend, 'ScatterAdd', base, d, index, s), base.shape);
  const covered = (t: Tensor): Tensor => index.shape.reduce((acc, n, i) => narrow(acc, i, 0, n), t);
  return record('scatterAdd', y, [base, s], (g) => {
    const gs = gather(g, d, index);
    return [g, src.shape.every((n, i) => n === index.shape[i]) ? gs : viewScatter(gs, s.shape, covered)];
  });
}

/** The entries of `x` at the positions in the 1-D `index` along `dim`. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('indexSelect', 'x', x);
  checkIndexTensor('indexSelect', index);
  if (index.ndim > 1) throw new Error(`indexSelect: index must be 0-D or 1-D, got shape ${fmt(index.shape)}`);
  const d = normalizeDim('indexSelect', dim, x.ndim);
  const n = index.numel();
  const outShape = x.shape.map((s, i) => (i === d ? n : s));
  const along = x.shape.map((_, i) => (i === d ? n : 1));
  // A broadcast (stride-0) index turns the selection into a gather.
  try {
    return gather(x, d, expand(reshape(index, along), outShape));
  } catch (e) {
    // Report a bad index as this op's error, not gather's (the index is read back only here).
    const bad = [...index.dataSync()].find((v) => !(Number.isInteger(v) && v >= 0 && v < x.shape[d]!));
    if (bad === undefined) throw e;
    throw new Error(`indexSelect: index ${bad} is out of range for dim ${dim} of size ${x.shape[d]} (shape ${fmt(x.shape)})`);
  }
}

/** One-hot encoding of integer class indices: a new last dim of `numClasses` (int32 by default). */
export function oneHot(index: Tensor, numClasses = -1, opts: { dtype?: DType } = {}): Tensor {
  checkIndexTensor('oneHot', index);
  const values = index.dataSync();
  for (const v of values) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`oneHot: class values must be non-negative integers, got ${v}`);
  }
  const c = numClasses === -1 ? (index.numel() ? amax(index.detach()).item() + 1 : 0) : numClasses;
  if (!Number.isInteger(c) || c < 0) throw new Error(`oneHot: numClasses must be a non-negative integer or -1, got ${numClasses}`);
  for (const v of values) {
    if (v >= c) throw new Error(`oneHot: class value ${v} is out of range for numClasses=${c}`);
  }
  const classes = arange(0, c, 1, { dtype: 'int32', backend: index.backend.name });
  return cast(eq(unsqueeze(index.detach(), -1), classes), checkDType('oneHot', opts.dtype ?? 'int32'));
}
