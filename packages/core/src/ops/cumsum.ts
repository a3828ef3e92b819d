/** Cumulative sums along a dim. */
import { isFloating } from '../dtype.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cast } from './cast.js';
import { tensor } from './creation.js';
import { matmul } from './matmul.js';
import { transpose } from './views.js';
import { checkTensor } from './util.js';

/** The n x n matrix with ones on and above the diagonal: row i of x times it sums x[0..j] into column j. */
function upperOnes(n: number, like: Tensor): Tensor {
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) data[i * n + j] = 1;
  return tensor(data, { dtype: like.dtype, backend: like.backend.name }).reshape([n, n]);
}

/**
 * Cumulative sum along `dim` (`torch.cumsum`): out[..., j, ...] = x[..., 0, ...] + ... +
 * x[..., j, ...]. Integer and bool inputs give int32 (PyTorch: int64).
 *
 * Computed as a matmul with the upper-triangular ones, so the op is linear in x through an op
 * that already has gradients of every order (the gradient is the reversed cumulative sum).
 */
export function cumsum(x: Tensor, dim: number): Tensor {
  checkTensor('cumsum', 'x', x);
  const d = normalizeDim('cumsum', dim, x.ndim);
  if (x.ndim === 0) return x.dtype === 'bool' ? cast(x, 'int32') : x.mul(1);
  // Integers in float64, exact below 2^53, then back.
  const input = isFloating(x.dtype) ? x : cast(x, 'float64');
  const last = transpose(input, d, -1);
  const y = transpose(matmul(last, upperOnes(x.shape[d]!, input)), d, -1);
  return isFloating(x.dtype) ? y : cast(y, 'int32');
}
