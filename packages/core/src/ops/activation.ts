/** Activations composed from primitives; each inherits exact (and higher-order) gradients. */
import type { Tensor } from '../tensor.js';
import { type Operand, minimum, where } from './binary.js';
import { erf, expm1, log1p, exp, tanh } from './unary.js';
import { checkFloating, checkTensor } from './util.js';

/** x for x > 0, else negativeSlope * x. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkTensor('leakyRelu', 'x', x);
  return where(x.gt(0), x, x.mul(negativeSlope));
}

/** x for x > 0, else alpha * (exp(x) - 1). */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkTensor('elu', 'x', x);
  checkFloating('elu', 'x', x);
  // expm1 of min(x, 0), so the branch where() discards cannot overflow and poison the gradient.
  return where(x.gt(0), x, expm1(minimum(x, 0)).mul(alpha));
}

/** Gaussian error linear unit: x * Phi(x), exact (erf) or with PyTorch's tanh approximation. */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  checkTensor('gelu', 'x', x);
  checkFloating('gelu', 'x', x);
  if (approximate === 'tanh') {
    const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return x.mul(tanh(inner).add(1)).mul(0.5);
  }
  if (approximate !== 'none') throw new Error(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
  return x.mul(erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);
}

/** log(1 + exp(beta x)) / beta, linear above `threshold` as in PyTorch. */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  checkTensor('softplus', 'x', x);
  checkFloating('softplus', 'x', x);
  const bx = x.mul(beta);
  return where(bx.gt(threshold), x, log1p(exp(minimum(bx, threshold))).div(beta));
}

/** Limits values to [min, max]; the gradient passes where min <= x <= max, else goes to the bound. */
export function clamp(x: Tensor, min?: Operand | null, max?: Operand | null): Tensor {
  checkTensor('clamp', 'x', x);
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new Error('clamp: at least one of min and max must be given');
  }
  let y = x;
  if (min !== undefined && min !== null) y = where(y.lt(min), min, y);
  if (max !== undefined && max !== null) y = where(y.gt(max), max, y);
  return y;
}
