/**
 * Elementwise kernels of the reference backend: Unary, Binary, Where, Copy, Assign, Fill. Each
 * output element k is computed from input elements at the k-th multi-index (row-major) of the
 * output shape, read through `read` (any strides), in double, and stored in the output dtype.
 */
import type { Backend, BinaryKernelName, Storage, TensorInfo, UnaryKernelName } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { dataOf, indicesOf, newStorage, positionOf, read, storageFrom, toDType } from './storage.js';

const SQRT_PI = Math.sqrt(Math.PI);

/**
 * The error function. Near zero (|x| < 2) its Taylor series
 * erf x = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1)) converges fast and no term exceeds 3, so little
 * is lost to cancellation. Farther out, erf x = 1 - erfc x with erfc from its continued fraction
 * erfc x = e^(-x²)/√π / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), which converges
 * quickly there. (The CPU backend uses yet another series, so the two check each other.)
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2) {
    let power = ax; // (-1)^n x^(2n+1) / n!
    let sum = ax;
    for (let n = 1; n < 100; n++) {
      power *= (-ax * ax) / n;
      const term = power / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / SQRT_PI) * sum;
  } else {
    // Evaluate the continued fraction from its far end inwards.
    let tail = ax;
    for (let m = 120; m >= 1; m--) tail = ax + m / 2 / tail;
    r = 1 - Math.exp(-ax * ax) / SQRT_PI / tail;
  }
  return x < 0 ? -r : r;
}

/** Round to the nearest integer, halves to the even neighbour (PyTorch's and the CPU backend's rule). */
export function roundHalfToEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const below = Math.floor(x);
  const fraction = x - below;
  if (fraction < 0.5) return below;
  if (fraction > 0.5) return below + 1;
  return below % 2 === 0 ? below : below + 1;
}

/** The unary functions, in double. NaN passes through every one of them. */
export const UNARY_FUNCTIONS: Record<UnaryKernelName, (x: number) => number> = {
  Neg: (x) => -x,
  Exp: Math.exp,
  Log: Math.log,
  Sqrt: Math.sqrt,
  Rsqrt: (x) => 1 / Math.sqrt(x),
  Abs: Math.abs,
  Sin: Math.sin,
  Cos: Math.cos,
  Tanh: Math.tanh,
  // exp(-x) overflowing to Infinity for very negative x still gives the right limit, 0.
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Relu: (x) => (x > 0 ? x : Number.isNaN(x) ? x : 0), // NaN stays NaN; -0 gives +0, as in PyTorch
  Relu6: (x) => (Number.isNaN(x) ? x : Math.min(Math.max(x, 0), 6) + 0), // + 0 turns -0 into +0
  Sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x), // 0 and NaN map to themselves
  Erf: erf,
  Log1p: Math.log1p,
  Expm1: Math.expm1,
  Reciprocal: (x) => 1 / x,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Round: roundHalfToEven,
};

/** The binary functions, in double. Comparisons give 1 or 0 (any comparison with NaN is false, except Ne). */
export const BINARY_FUNCTIONS: Record<BinaryKernelName, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: Math.pow,
  // NaN in either input gives NaN (Math.max would too, but it also orders -0 below +0, and the
  // CPU backend keeps b on ties, so spell the rule out).
  Maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b),
  Minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a < b ? a : b),
  Eq: (a, b) => (a === b ? 1 : 0),
  Ne: (a, b) => (a !== b ? 1 : 0),
  Gt: (a, b) => (a > b ? 1 : 0),
  Ge: (a, b) => (a >= b ? 1 : 0),
  Lt: (a, b) => (a < b ? 1 : 0),
  Le: (a, b) => (a <= b ? 1 : 0),
};

export function unary(backend: Backend, name: UnaryKernelName, x: TensorInfo, outDtype: DType): Storage {
  const f = UNARY_FUNCTIONS[name];
  const values: number[] = [];
  for (const idx of indicesOf(x.shape)) values.push(f(read(x, idx)));
  return storageFrom(backend, outDtype, values);
}

export function binary(backend: Backend, name: BinaryKernelName, a: TensorInfo, b: TensorInfo, outDtype: DType): Storage {
  const f = BINARY_FUNCTIONS[name];
  const values: number[] = [];
  // a and b already have the output's shape: broadcasting happened in the views (stride 0).
  for (const idx of indicesOf(a.shape)) values.push(f(read(a, idx), read(b, idx)));
  return storageFrom(backend, outDtype, values);
}

export function where(backend: Backend, cond: TensorInfo, a: TensorInfo, b: TensorInfo, outDtype: DType): Storage {
  const values: number[] = [];
  for (const idx of indicesOf(a.shape)) values.push(read(cond, idx) !== 0 ? read(a, idx) : read(b, idx));
  return storageFrom(backend, outDtype, values);
}

/** A contiguous copy of any view, each element converted to `outDtype` (see `toDType`). */
export function copy(backend: Backend, x: TensorInfo, outDtype: DType): Storage {
  const values: number[] = [];
  for (const idx of indicesOf(x.shape)) values.push(read(x, idx));
  return storageFrom(backend, outDtype, values);
}

/**
 * Writes src into the view dst, element by element in row-major order, converting to dst's
 * dtype. (The contract has src and dst on separate storage; overlapping views are not defined.)
 */
export function assign(dst: TensorInfo, src: TensorInfo): void {
  const target = dataOf(dst);
  for (const idx of indicesOf(dst.shape)) target[positionOf(dst, idx)] = toDType(read(src, idx), dst.dtype);
}

/** dst += src in place, element by element (the Accumulate kernel). */
export function accumulate(dst: TensorInfo, src: TensorInfo): void {
  const target = dataOf(dst);
  for (const idx of indicesOf(dst.shape)) {
    const at = positionOf(dst, idx);
    target[at] = toDType(target[at]! + read(src, idx), dst.dtype);
  }
}

export function fill(backend: Backend, size: number, value: number, dtype: DType): Storage {
  const out = newStorage(backend, dtype, size);
  out.data.fill(toDType(value, dtype));
  return out;
}
