import type { Backend, BinaryKernelName, Storage, TensorInfo, UnaryKernelName } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { sizeOf } from '../shape.js';
import { erf, roundHalfEven, sigmoid } from './scalar-math.js';
import { allocFor, dataOf, offsetsOrNull } from './storage.js';

type F1 = (x: number) => number;
type F2 = (a: number, b: number) => number;

const UNARY: Record<UnaryKernelName, F1> = {
  Neg: (x) => -x,
  Exp: Math.exp,
  Log: Math.log,
  Sqrt: Math.sqrt,
  Rsqrt: (x) => 1 / Math.sqrt(x),
  Abs: Math.abs,
  Sin: Math.sin,
  Cos: Math.cos,
  Tanh: Math.tanh,
  Sigmoid: sigmoid,
  Relu: (x) => (x < 0 ? 0 : x), // keeps NaN, like PyTorch
  Sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
  Erf: erf,
  Log1p: Math.log1p,
  Expm1: Math.expm1,
  Reciprocal: (x) => 1 / x,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Round: roundHalfEven,
};

const BINARY: Record<BinaryKernelName, F2> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: Math.pow,
  Maximum: (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b),
  Minimum: (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b),
  Eq: (a, b) => (a === b ? 1 : 0),
  Ne: (a, b) => (a !== b ? 1 : 0),
  Gt: (a, b) => (a > b ? 1 : 0),
  Ge: (a, b) => (a >= b ? 1 : 0),
  Lt: (a, b) => (a < b ? 1 : 0),
  Le: (a, b) => (a <= b ? 1 : 0),
};

/** bool outputs store 0/1; a typed Uint8Array would wrap 256 to 0, so normalise. */
function boolify(f: F1): F1 {
  return (x) => (f(x) !== 0 ? 1 : 0);
}

export function unary(backend: Backend, name: UnaryKernelName, x: TensorInfo, outDtype: DType): Storage {
  const f = outDtype === 'bool' ? boolify(UNARY[name]) : UNARY[name];
  const n = sizeOf(x.shape);
  const out = allocFor(backend, outDtype, n);
  const o = out.data;
  const xd = dataOf(x);
  const xo = offsetsOrNull(x);
  if (xo === null) for (let i = 0, j = x.offset; i < n; i++, j++) o[i] = f(xd[j]!);
  else for (let i = 0; i < n; i++) o[i] = f(xd[xo[i]!]!);
  return out;
}

export function binary(backend: Backend, name: BinaryKernelName, a: TensorInfo, b: TensorInfo, outDtype: DType): Storage {
  const f = BINARY[name];
  const n = sizeOf(a.shape);
  const out = allocFor(backend, outDtype, n);
  const o = out.data;
  const ad = dataOf(a);
  const bd = dataOf(b);
  const ao = offsetsOrNull(a);
  const bo = offsetsOrNull(b);
  const bool = outDtype === 'bool';
  for (let i = 0; i < n; i++) {
    const v = f(ad[ao === null ? a.offset + i : ao[i]!]!, bd[bo === null ? b.offset + i : bo[i]!]!);
    o[i] = bool ? (v !== 0 ? 1 : 0) : v;
  }
  return out;
}

export function where(backend: Backend, cond: TensorInfo, a: TensorInfo, b: TensorInfo, outDtype: DType): Storage {
  const n = sizeOf(a.shape);
  const out = allocFor(backend, outDtype, n);
  const o = out.data;
  const cd = dataOf(cond);
  const ad = dataOf(a);
  const bd = dataOf(b);
  const co = offsetsOrNull(cond);
  const ao = offsetsOrNull(a);
  const bo = offsetsOrNull(b);
  for (let i = 0; i < n; i++) {
    const c = cd[co === null ? cond.offset + i : co[i]!]!;
    o[i] = c !== 0 ? ad[ao === null ? a.offset + i : ao[i]!]! : bd[bo === null ? b.offset + i : bo[i]!]!;
  }
  return out;
}

/** A contiguous copy of any view, converted to `outDtype`. */
export function copy(backend: Backend, x: TensorInfo, outDtype: DType): Storage {
  const n = sizeOf(x.shape);
  const out = allocFor(backend, outDtype, n);
  const o = out.data;
  const xd = dataOf(x);
  const xo = offsetsOrNull(x);
  if (outDtype === 'bool') {
    for (let i = 0; i < n; i++) o[i] = xd[xo === null ? x.offset + i : xo[i]!]! !== 0 ? 1 : 0;
  } else if (xo === null) {
    o.set(xd.subarray(x.offset, x.offset + n)); // typed-array conversion truncates toward zero for int32
  } else {
    for (let i = 0; i < n; i++) o[i] = xd[xo[i]!]!;
  }
  return out;
}

export function assign(dst: TensorInfo, src: TensorInfo): void {
  const n = sizeOf(dst.shape);
  const dd = dataOf(dst);
  const sd = dataOf(src);
  const dOff = offsetsOrNull(dst);
  const sOff = offsetsOrNull(src);
  for (let i = 0; i < n; i++) {
    dd[dOff === null ? dst.offset + i : dOff[i]!] = sd[sOff === null ? src.offset + i : sOff[i]!]!;
  }
}

export function fill(backend: Backend, size: number, value: number, dtype: DType): Storage {
  const out = allocFor(backend, dtype, size);
  // Storage starts as +0; fill anything else, -0 included.
  if (!Object.is(value, 0)) out.data.fill(dtype === 'bool' ? (value !== 0 ? 1 : 0) : value);
  return out;
}
