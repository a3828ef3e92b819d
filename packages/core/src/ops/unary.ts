/** Elementwise functions of one tensor, each a kernel plus a derivative written with ops. */
import type { UnaryKernelName } from '../backend/backend.js';
import { runKernel } from '../backend/registry.js';
import { record } from '../autograd/record.js';
import { isFloating } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { cast } from './cast.js';
import { zerosLike } from './creation.js';
import { gt, mul, sub } from './binary.js';
import { checkTensor, wrap } from './util.js';

/** d(out)/d(in) times the incoming gradient, from the input x, the output y and the gradient g. */
type Derivative = (x: Tensor, y: Tensor, g: Tensor) => Tensor;

function unaryOp(op: string, kernel: UnaryKernelName, x: Tensor, derivative: Derivative, floatOnly = true): Tensor {
  checkTensor(op, 'x', x);
  // Integer inputs of real-valued functions compute in float32, as PyTorch does.
  const input = floatOnly && !isFloating(x.dtype) ? cast(x, 'float32') : x;
  const y = wrap(runKernel(input.backend, 'Unary', kernel, input, input.dtype), input.shape);
  return record(op, y, [input], (g) => [derivative(input, y, g)]);
}

const zeroGrad: Derivative = (_x, _y, g) => zerosLike(g);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** -x (bool tensors are refused). */
export function neg(x: Tensor): Tensor {
  if (checkTensor('neg', 'x', x).dtype === 'bool') throw new Error('neg: negation of a bool tensor is not supported; use x.eq(0) for logical not');
  return unaryOp('neg', 'Neg', x, (_x, _y, g) => neg(g), false);
}
/** e^x. */
export const exp = (x: Tensor): Tensor => unaryOp('exp', 'Exp', x, (_x, y, g) => mul(g, y));
/** Natural logarithm. */
export const log = (x: Tensor): Tensor => unaryOp('log', 'Log', x, (x, _y, g) => g.div(x));
/** Square root. */
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', 'Sqrt', x, (_x, y, g) => g.div(y.mul(2)));
/** 1 / sqrt(x). */
export const rsqrt = (x: Tensor): Tensor => unaryOp('rsqrt', 'Rsqrt', x, (_x, y, g) => g.mul(y.mul(y).mul(y)).mul(-0.5));
/** |x|; the gradient at 0 is 0. */
export const abs = (x: Tensor): Tensor => unaryOp('abs', 'Abs', x, (x, _y, g) => g.mul(sign(x)), false);
/** Sine (radians). */
export const sin = (x: Tensor): Tensor => unaryOp('sin', 'Sin', x, (x, _y, g) => g.mul(cos(x)));
/** Cosine (radians). */
export const cos = (x: Tensor): Tensor => unaryOp('cos', 'Cos', x, (x, _y, g) => neg(g.mul(sin(x))));
/** Hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', 'Tanh', x, (_x, y, g) => g.mul(sub(1, y.mul(y))));
/** The logistic function 1 / (1 + e^-x). */
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', 'Sigmoid', x, (_x, y, g) => g.mul(y.mul(sub(1, y))));
/** max(x, 0); the gradient at 0 is 0, as in PyTorch. */
export const relu = (x: Tensor): Tensor => unaryOp('relu', 'Relu', x, (x, _y, g) => g.mul(gt(x, 0)), false);
/** -1, 0 or 1 (not differentiable: its gradient is 0). */
export const sign = (x: Tensor): Tensor => unaryOp('sign', 'Sign', x, zeroGrad, false);
/** The Gauss error function. */
export const erf = (x: Tensor): Tensor => unaryOp('erf', 'Erf', x, (x, _y, g) => g.mul(exp(x.mul(x).neg())).mul(TWO_OVER_SQRT_PI));
/** log(1 + x), accurate for small x. */
export const log1p = (x: Tensor): Tensor => unaryOp('log1p', 'Log1p', x, (x, _y, g) => g.div(x.add(1)));
/** e^x - 1, accurate for small x. */
export const expm1 = (x: Tensor): Tensor => unaryOp('expm1', 'Expm1', x, (_x, y, g) => g.mul(y.add(1)));
/** 1 / x. */
export const reciprocal = (x: Tensor): Tensor => unaryOp('reciprocal', 'Reciprocal', x, (_x, y, g) => neg(g.mul(y.mul(y))));
/** Rounds down (not differentiable: its gradient is 0). */
export const floor = (x: Tensor): Tensor => unaryOp('floor', 'Floor', x, zeroGrad, false);
/** Rounds up (not differentiable: its gradient is 0). */
export const ceil = (x: Tensor): Tensor => unaryOp('ceil', 'Ceil', x, zeroGrad, false);
/** Rounds half to even. */
export const round = (x: Tensor): Tensor => unaryOp('round', 'Round', x, zeroGrad, false);
