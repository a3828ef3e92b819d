/** Softmax and log-softmax, composed from primitives so they inherit exact gradients. */
import type { Tensor } from '../tensor.js';
import { normalizeDim } from '../shape.js';
import { amax, logsumexp, sum } from './reduce.js';
import { exp } from './unary.js';
import { checkFloating, checkTensor } from './util.js';

/** exp(x) / sum(exp(x)) along `dim`, shifted by the (constant) max for stability. */
export function softmax(x: Tensor, dim: number): Tensor {
  checkTensor('softmax', 'x', x);
  checkFloating('softmax', 'x', x);
  const d = normalizeDim('softmax', dim, x.ndim);
  const e = exp(x.sub(amax(x.detach(), d, true)));
  return e.div(sum(e, d, true));
}

/** x - logsumexp(x) along `dim`. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  checkTensor('logSoftmax', 'x', x);
  checkFloating('logSoftmax', 'x', x);
  const d = normalizeDim('logSoftmax', dim, x.ndim);
  return x.sub(logsumexp(x, d, true));
}
