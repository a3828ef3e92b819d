/** Elementwise functions of two tensors with NumPy broadcasting and dtype promotion. */
import type { BinaryKernelName } from '../backend/backend.js';
import { runKernel } from '../backend/registry.js';
import { record } from '../autograd/record.js';
import { type DType, isFloating, promoteTypes } from '../dtype.js';
import { broadcastShapes } from '../shape.js';
import { Tensor } from '../tensor.js';
import { cast } from './cast.js';
import { full } from './creation.js';
import { log } from './unary.js';
import { expand } from './views.js';
import { checkTensor, commonBackend, scalarDType, wrap } from './util.js';

/** A tensor or a plain number (which takes the other operand's dtype, like PyTorch's scalars). */
export type Operand = Tensor | number;

function toTensors(op: string, operands: readonly Operand[]): Tensor[] {
  const like = operands.find((o): o is Tensor => o instanceof Tensor);
  if (!like) throw new Error(`${op}: at least one argument must be a Tensor, got only numbers`);
  const dtype = operands.reduce<DType | null>((d, o) => (o instanceof Tensor ? (d ? promoteTypes(d, o.dtype) : o.dtype) : d), null)!;
  return operands.map((o, i) => {
    if (o instanceof Tensor) return o;
    if (typeof o !== 'number') return checkTensor(op, ['a', 'b', 'c'][i] ?? `argument ${i}`, o);
    return full([], o, { dtype: scalarDType(o, dtype), backend: like.backend.name });
  });
}

/**
 * Wraps numbers, checks backends, casts to the common dtype and broadcasts by `expand`.
 * Because cast and expand are differentiable, gradients come back in each input's own dtype
 * and shape without any extra bookkeeping here.
 */
export function prepare(op: string, operands: readonly Operand[], computeDtype?: (d: DType) => DType): { inputs: Tensor[]; dtype: DType } {
  const ts = toTensors(op, operands);
  commonBackend(op, ts);
  let dtype = ts.map((t) => t.dtype).reduce(promoteTypes);
  if (computeDtype) dtype = computeDtype(dtype);
  const shape = broadcastShapes(op, ...ts.map((t) => t.shape));
  return { inputs: ts.map((t) => expand(cast(t, dtype), shape)), dtype };
}

type Derivatives = (a: Tensor, b: Tensor, y: Tensor, g: Tensor) => [Tensor | null, Tensor | null];

function binaryOp(op: string, kernel: BinaryKernelName, a: Operand, b: Operand, derivatives: Derivatives, computeDtype?: (d: DType) => DType): Tensor {
  const { inputs: [x, z], dtype } = prepare(op, [a, b], computeDtype);
  const y = wrap(runKernel(x!.backend, 'Binary', kernel, x!, z!, dtype), x!.shape);
  return record(op, y, [x!, z!], (g) => derivatives(x!, z!, y, g));
}

const boolToInt = (d: DType): DType => (d === 'bool' ? 'int32' : d);
const toFloat = (d: DType): DType => (isFloating(d) ? d : 'float32');

/**
 * alpha * b for add/sub: a number stays a number, and a tensor is scaled in the dtype the
 * sum is computed in (so float32 b beside float64 a is not rounded to float32 first).
 * Anything else is left for `prepare` to reject with the op's name.
 */
function scaleByAlpha(a: Operand, b: Operand, alpha: number): Operand {
  if (alpha === 1) return b;
  if (typeof b === 'number') return b * alpha;
  if (!(b instanceof Tensor)) return b;
  return mul(a instanceof Tensor ? cast(b, promoteTypes(a.dtype, b.dtype)) : b, alpha);
}

/** a + alpha * b. */
export function add(a: Operand, b: Operand, alpha = 1): Tensor {
  b = scaleByAlpha(a, b, alpha);
  return binaryOp('add', 'Add', a, b, (_a, _b, _y, g) => [g, g], boolToInt);
}

/** a - alpha * b. */
export function sub(a: Operand, b: Operand, alpha = 1): Tensor {
  b = scaleByAlpha(a, b, alpha);
  return binaryOp('sub', 'Sub', a, b, (_a, _b, _y, g) => [g, g.neg()], boolToInt);
}

/** Elementwise product a * b. */
export function mul(a: Operand, b: Operand): Tensor {
  return binaryOp('mul', 'Mul', a, b, (a, b, _y, g) => [g.mul(b), g.mul(a)], boolToInt);
}

/** True division: integer inputs give float32. */
export function div(a: Operand, b: Operand): Tensor {
  return binaryOp('div', 'Div', a, b, (_a, b, y, g) => [g.div(b), g.mul(y).div(b).neg()], toFloat);
}

/** a ** b, with a tensor or a number on either side. */
export function pow(a: Operand, b: Operand): Tensor {
  return binaryOp('pow', 'Pow', a, b, (a, b, y, g) => {
    // d/da = b a^(b-1), written with b's zeros masked so 0^0 style points give 0, not NaN.
    const ga = a.requiresGrad ? where(b.eq(0), 0, g.mul(b).mul(pow(a, b.sub(1)))) : null;
    // d/db = y log a; PyTorch's convention makes it 0 where a == 0 and b >= 0.
    const gb = b.requiresGrad ? where(a.eq(0).mul(b.ge(0)), 0, g.mul(y).mul(log(a))) : null;
    return [ga, gb];
  }, boolToInt);
}

/** How a tie splits the gradient: half to each side, as in PyTorch. */
function pickMask(win: Tensor, tie: Tensor): Tensor {
  return win.add(tie.mul(0.5));
}

/** Elementwise maximum of a and b; on ties the gradient is split half to each. */
export function maximum(a: Operand, b: Operand): Tensor {
  return binaryOp('maximum', 'Maximum', a, b, (a, b, _y, g) => [g.mul(pickMask(a.gt(b), a.eq(b))), g.mul(pickMask(b.gt(a), a.eq(b)))]);
}

/** Elementwise minimum of a and b; on ties the gradient is split half to each. */
export function minimum(a: Operand, b: Operand): Tensor {
  return binaryOp('minimum', 'Minimum', a, b, (a, b, _y, g) => [g.mul(pickMask(a.lt(b), a.eq(b))), g.mul(pickMask(b.lt(a), a.eq(b)))]);
}

function compare(op: string, kernel: BinaryKernelName, a: Operand, b: Operand): Tensor {
  const { inputs: [x, z] } = prepare(op, [a, b]);
  return wrap(runKernel(x!.backend, 'Binary', kernel, x!.detach(), z!.detach(), 'bool'), x!.shape);
}

/** Elementwise a == b as a bool tensor (not differentiable). */
export const eq = (a: Operand, b: Operand): Tensor => compare('eq', 'Eq', a, b);
/** Elementwise a != b as a bool tensor (not differentiable). */
export const ne = (a: Operand, b: Operand): Tensor => compare('ne', 'Ne', a, b);
/** Elementwise a > b as a bool tensor (not differentiable). */
export const gt = (a: Operand, b: Operand): Tensor => compare('gt', 'Gt', a, b);
/** Elementwise a >= b as a bool tensor (not differentiable). */
export const ge = (a: Operand, b: Operand): Tensor => compare('ge', 'Ge', a, b);
/** Elementwise a < b as a bool tensor (not differentiable). */
export const lt = (a: Operand, b: Operand): Tensor => compare('lt', 'Lt', a, b);
/** Elementwise a <= b as a bool tensor (not differentiable). */
export const le = (a: Operand, b: Operand): Tensor => compare('le', 'Le', a, b);

/** Picks `a` where `condition` is non-zero, else `b`; the condition gets no gradient. */
export function where(condition: Tensor, a: Operand, b: Operand): Tensor {
  checkTensor('where', 'condition', condition);
  // Two plain numbers are float32 tensors on the condition's backend, as in PyTorch.
  if (typeof a === 'number' && typeof b === 'number') a = full([], a, { backend: condition.backend.name });
  const { inputs: [x, z], dtype } = prepare('where', [a, b]);
  const shape = broadcastShapes('where', condition.shape, x!.shape);
  commonBackend('where', [condition, x!]);
  const c = expand(condition.detach(), shape);
  const xe = expand(x!, shape);
  const ze = expand(z!, shape);
  const y = wrap(runKernel(c.backend, 'Where', c, xe, ze, dtype), shape);
  return record('where', y, [xe, ze], (g) => [where(c, g, 0), where(c, 0, g)]);
}
