/** Activations composed from primitives; each inherits exact (and higher-order) gradients. */
import { noGrad } from '../autograd/grad-mode.js';
import { record } from '../autograd/record.js';
import { runKernel } from '../backend/registry.js';
import { isFloating } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { type Operand, maximum, minimum, where } from './binary.js';
import { erf, expm1, log1p, exp, tanh } from './unary.js';
import { checkFloating, checkTensor, wrap } from './util.js';

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
  // The min is a where(), not minimum(): minimum splits the gradient at the tie x = 0, which
  // would give alpha / 2 there instead of PyTorch's alpha.
  const positive = x.gt(0);
  return where(positive, x, expm1(where(positive, 0, x)).mul(alpha));
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
  // min(bx, threshold) as a where(), so beta * x = threshold (which takes the smooth branch, as
  // in PyTorch) gets the whole gradient; minimum() would split it at that tie.
  const linear = bx.gt(threshold);
  return where(linear, x, log1p(exp(where(linear, threshold, bx))).div(beta));
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

/**
 * Limits values to [min, max] like PyTorch's `hardtanh`: unlike {@link clamp}, the gradient
 * is 0 at the bounds themselves (it passes only where min < x < max).
 */
export function hardtanh(x: Tensor, min = -1, max = 1): Tensor {
  checkTensor('hardtanh', 'x', x);
  if (x.dtype === 'bool') throw new Error('hardtanh: bool tensors are not supported');
  if (!(min <= max)) throw new Error(`hardtanh: min must be <= max, got min=${min}, max=${max}`);
  if (!isFloating(x.dtype)) return where(x.le(min), min, where(x.ge(max), max, x));
  // Floats: the value in two passes (max, then min, against scalars) instead of two compares and
  // two selects; the gradient passes where min < x < max (and at NaN), written with ops.
  const y = noGrad(() => minimum(maximum(x, min), max));
  return record('hardtanh', y, [x], (g) => [where(x.le(min), 0, where(x.ge(max), 0, g))]);
}

/** min(max(x, 0), 6): {@link hardtanh} with bounds 0 and 6. */
export function relu6(x: Tensor): Tensor {
  checkTensor('relu6', 'x', x);
  if (x.dtype === 'bool') throw new Error('relu6: bool tensors are not supported');
  if (!isFloating(x.dtype)) return hardtanh(x, 0, 6);
  // Floats: one pass of the Relu6 kernel (MobileNets apply it to every activation); the same
  // values and gradient as hardtanh(x, 0, 6).
  const y = wrap(runKernel(x.backend, 'Unary', 'Relu6', x, x.dtype), x.shape);
  return record('relu6', y, [x], (g) => [where(x.le(0), 0, where(x.ge(6), 0, g))]);
}

/** relu6(x + 3) / 6: 0 below -3, 1 above 3, linear between (gradient 1/6 strictly inside). */
export function hardsigmoid(x: Tensor): Tensor {
  checkTensor('hardsigmoid', 'x', x);
  checkFloating('hardsigmoid', 'x', x);
  return relu6(x.add(3)).div(6);
}

/**
 * x * relu6(x + 3) / 6. Written piecewise so the gradient at the kinks is PyTorch's
 * (x/3 + 1/2 on the closed interval [-3, 3]), which the product rule over relu6 would not give.
 */
export function hardswish(x: Tensor): Tensor {
  checkTensor('hardswish', 'x', x);
  checkFloating('hardswish', 'x', x);
  return where(x.lt(-3), 0, where(x.le(3), x.mul(x.add(3)).div(6), x));
}

/** x * sigmoid(x) (also called swish). */
export function silu(x: Tensor): Tensor {
  checkTensor('silu', 'x', x);
  checkFloating('silu', 'x', x);
  return x.mul(x.sigmoid());
}
