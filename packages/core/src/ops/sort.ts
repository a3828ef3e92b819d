/**
 * Sorting along a dim: sort and topk. No backend has a sort kernel, so the permutation is found
 * on the host (the indices are not differentiable anyway) and the values are a `gather` of it,
 * which carries the gradient back to where each value came from.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { fmt, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { fromTypedArray } from './creation.js';
import { gather } from './indexing.js';
import type { ValuesIndices } from './reduce.js';
import { contiguous, narrow, transpose } from './views.js';
import { checkTensor } from './util.js';

/** Options of {@link sort}, as `torch.sort`'s. */
export interface SortOptions {
  /** Largest first (default false). */
  descending?: boolean;
  /**
   * Keep equal elements in their original order. dynconv always does (the option exists for
   * PyTorch's signature); PyTorch without it may order ties differently.
   */
  stable?: boolean;
}

/** Ascending order with NaN above everything, as PyTorch sorts. */
function ascending(a: number, b: number): number {
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** int32 indices that sort each row of `x` along `d` (stable). */
function argsort(x: Tensor, d: number, descending: boolean): Tensor {
  const rows = noGrad(() => contiguous(transpose(x.detach(), d, -1)));
  const n = x.shape[d]!;
  const data = rows.dataSync();
  const out = new Int32Array(data.length);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let start = 0; start < data.length; start += n) {
    for (let i = 0; i < n; i++) order[i] = i;
    // Array.prototype.sort is stable; ties keep index order in both directions.
    order.sort((i, j) => (descending ? ascending(data[start + j]!, data[start + i]!) : ascending(data[start + i]!, data[start + j]!)));
    for (let i = 0; i < n; i++) out[start + i] = order[i]!;
  }
  const idx = fromTypedArray(out, rows.shape, 'int32', { backend: x.backend.name });
  return contiguous(transpose(idx, d, -1));
}

/**
 * The values of `x` sorted along `dim` (default the last) and the int32 indices they came from
 * (`torch.sort`). NaN sorts above every number. Ties keep their original order.
 */
export function sort(x: Tensor, dim = -1, opts: SortOptions = {}): ValuesIndices {
  checkTensor('sort', 'x', x);
  if (x.dtype === 'bool') throw new Error('sort: bool tensors are not supported; cast to int32 first');
  if (x.ndim === 0) return { values: x.mul(1), indices: fromTypedArray(new Int32Array(1), [], 'int32', { backend: x.backend.name }) };
  const d = normalizeDim('sort', dim, x.ndim);
  const indices = argsort(x, d, opts.descending ?? false);
  return { values: gather(x, d, indices), indices };
}

/** Options of {@link topk}, as `torch.topk`'s. */
export interface TopkOptions {
  /** Default the last dim. */
  dim?: number;
  /** The k largest (default true) or the k smallest. */
  largest?: boolean;
  /** Return them in sorted order (default true; dynconv always does). */
  sorted?: boolean;
}

/**
 * The `k` largest (or smallest) values along a dim and their int32 indices (`torch.topk`),
 * largest first (smallest first with largest: false). Ties are taken in index order.
 */
export function topk(x: Tensor, k: number, opts: TopkOptions = {}): ValuesIndices {
  checkTensor('topk', 'x', x);
  const d = normalizeDim('topk', opts.dim ?? -1, x.ndim);
  const n = x.ndim === 0 ? 1 : x.shape[d]!;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`topk: k must be an integer in [0, ${n}] (the size of dim ${opts.dim ?? -1} of ${fmt(x.shape)}), got ${k}`);
  const { values, indices } = sort(x, d, { descending: opts.largest ?? true });
  if (x.ndim === 0) return { values, indices };
  return { values: narrow(values, d, 0, k), indices: narrow(indices, d, 0, k) };
}
