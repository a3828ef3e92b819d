/** Dropout: zeroes random elements during training and rescales the rest to keep the expectation. */
import { defaultGenerator, Generator } from '../random.js';
import type { Tensor } from '../tensor.js';
import { cast } from './cast.js';
import { rand } from './creation.js';
import { checkFloating, checkTensor } from './util.js';

/**
 * Keeps each element with probability `1 - p` (an independent Bernoulli draw from `generator`,
 * the default generator unless given) and scales the kept ones by `1 / (1 - p)`, as
 * `torch.nn.functional.dropout`. Returns `x` itself when `training` is false or `p` is 0,
 * and `x * 0` when `p` is 1. The gradient is the same mask: `keep / (1 - p)`.
 */
export function dropout(x: Tensor, p = 0.5, training = true, generator?: Generator): Tensor {
  checkTensor('dropout', 'x', x);
  checkFloating('dropout', 'x', x);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`dropout: probability p has to be between 0 and 1, but got ${p}`);
  if (generator !== undefined && !(generator instanceof Generator)) throw new Error('dropout: generator must be a Generator');
  if (!training || p === 0 || x.numel() === 0) return x;
  // Multiplying (not filling) keeps NaN and inf inputs visible, as PyTorch does.
  if (p === 1) return x.mul(0);
  // Uniforms drawn in float64 whatever x's dtype, so the keep probability is exactly 1 - p.
  const u = rand(x.shape, { dtype: 'float64', generator: generator ?? defaultGenerator, backend: x.backend.name });
  const mask = cast(u.lt(1 - p), x.dtype).mul(1 / (1 - p));
  return x.mul(mask);
}
