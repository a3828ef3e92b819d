import type { Backend, BinaryKernelName, Storage, TensorInfo, UnaryKernelName } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { sizeOf } from '../shape.js';
import type { TypedArray } from '../dtype.js';
import { type LoopPlan, loopPlan } from './loop-plan.js';
import { erf, roundHalfEven, sigmoid } from './scalar-math.js';
import { allocFor, dataOf, offsetsOrNull } from './storage.js';
import { compiledBinary, compiledLoopsActive, compiledUnary, compiledWhere } from './compiled-loops.js';
import { simdBinary, simdUnary } from './simd-elementwise.js';

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
  Relu: (x) => (x > 0 ? x : x === x ? 0 : x), // keeps NaN; -0 gives +0, like PyTorch
  Relu6: (x) => (x <= 0 ? 0 : x >= 6 ? 6 : x), // min(max(x, 0), 6); NaN stays NaN
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

/** The same ops as JavaScript expressions over `a` (and `b`), for the compiled loops (compiled-loops.ts). */
const UNARY_SRC: Record<UnaryKernelName, string> = {
  Neg: '-a',
  Exp: 'Math.exp(a)',
  Log: 'Math.log(a)',
  Sqrt: 'Math.sqrt(a)',
  Rsqrt: '1 / Math.sqrt(a)',
  Abs: 'Math.abs(a)',
  Sin: 'Math.sin(a)',
  Cos: 'Math.cos(a)',
  Tanh: 'Math.tanh(a)',
  Sigmoid: 'sigmoid(a)',
  Relu: '(a > 0 ? a : a === a ? 0 : a)', // float64; other inputs use reluFloat32 (branch-free)
  Relu6: '(a <= 0 ? 0 : a >= 6 ? 6 : a)', // float64; other inputs use relu6Float32
  Sign: '(a > 0 ? 1 : a < 0 ? -1 : a)',
  Erf: 'erf(a)',
  Log1p: 'Math.log1p(a)',
  Expm1: 'Math.expm1(a)',
  Reciprocal: '1 / a',
  Floor: 'Math.floor(a)',
  Ceil: 'Math.ceil(a)',
  Round: 'roundHalfEven(a)',
};

/** Comparisons: their expressions give 0 or 1 (`+bool`, which compiles without a branch). */
const ZERO_ONE = new Set<BinaryKernelName>(['Eq', 'Ne', 'Gt', 'Ge', 'Lt', 'Le']);

const BINARY_SRC: Record<BinaryKernelName, string> = {
  Add: 'a + b',
  Sub: 'a - b',
  Mul: 'a * b',
  Div: 'a / b',
  Pow: 'Math.pow(a, b)',
  Maximum: '(a !== a || b !== b ? NaN : a > b ? a : b)',
  Minimum: '(a !== a || b !== b ? NaN : a < b ? a : b)',
  Eq: '+(a === b)',
  Ne: '+(a !== b)',
  Gt: '+(a > b)',
  Ge: '+(a >= b)',
  Lt: '+(a < b)',
  Le: '+(a <= b)',
};

/** bool outputs store 0/1; a typed Uint8Array would wrap 256 to 0, so normalise. */
function boolify(f: F1): F1 {
  return (x) => (f(x) !== 0 ? 1 : 0);
}

/**
 * The loops are built per function by a factory, so each op gets its own copy whose call to
 * `f` sees a single target and is inlined by the JIT (one shared loop calling many different
 * functions runs several times slower).
 */
function makeUnaryLoop(f: F1) {
  return (o: TypedArray, xd: TypedArray, plan: LoopPlan): void => {
    const { outer, inner, strides } = plan;
    const xo = outer[0]!;
    const sx = strides[0]!;
    let p = 0;
    for (let r = 0; r < xo.length; r++) {
      for (let j = 0, ix = xo[r]!; j < inner; j++, ix += sx) o[p++] = f(xd[ix]!);
    }
  };
}

function makeBinaryLoop(f: F2) {
  return (o: TypedArray, ad: TypedArray, bd: TypedArray, plan: LoopPlan): void => {
    const { outer, inner, strides } = plan;
    const ao = outer[0]!;
    const bo = outer[1]!;
    const sa = strides[0]!;
    const sb = strides[1]!;
    let p = 0;
    for (let r = 0; r < ao.length; r++) {
      for (let j = 0, ia = ao[r]!, ib = bo[r]!; j < inner; j++, ia += sa, ib += sb) o[p++] = f(ad[ia]!, bd[ib]!);
    }
  };
}

const unaryLoops = new Map<F1, ReturnType<typeof makeUnaryLoop>>();
const binaryLoops = new Map<F2, ReturnType<typeof makeBinaryLoop>>();

function unaryLoop(f: F1): ReturnType<typeof makeUnaryLoop> {
  let loop = unaryLoops.get(f);
  if (!loop) unaryLoops.set(f, (loop = makeUnaryLoop(f)));
  return loop;
}

function binaryLoop(f: F2): ReturnType<typeof makeBinaryLoop> {
  let loop = binaryLoops.get(f);
  if (!loop) binaryLoops.set(f, (loop = makeBinaryLoop(f)));
  return loop;
}

const BOOL_UNARY = new Map<UnaryKernelName, F1>();
const BOOL_BINARY = new Map<BinaryKernelName, F2>();

export function unary(backend: Backend, name: UnaryKernelName, x: TensorInfo, outDtype: DType): Storage {
  const out = allocFor(backend, outDtype, sizeOf(x.shape), false);
  if (compiledLoopsActive()) {
    // Fastest first: WebAssembly SIMD for float32 in wasm memory, else a compiled loop.
    if (simdUnary(name, out.data, outDtype, x)) return out;
    const expr = x.dtype === 'float64' ? UNARY_SRC[name] : name === 'Relu' ? 'reluFloat32(a)' : name === 'Relu6' ? 'relu6Float32(a)' : UNARY_SRC[name];
    compiledUnary(name, expr, x.dtype, outDtype)(out.data, dataOf(x), loopPlan(x.shape, [x]));
    return out;
  }
  let f = UNARY[name];
  if (outDtype === 'bool') {
    if (!BOOL_UNARY.has(name)) BOOL_UNARY.set(name, boolify(f));
    f = BOOL_UNARY.get(name)!;
  }
  unaryLoop(f)(out.data, dataOf(x), loopPlan(x.shape, [x]));
  return out;
}

export function binary(backend: Backend, name: BinaryKernelName, a: TensorInfo, b: TensorInfo, outDtype: DType): Storage {
  const out = allocFor(backend, outDtype, sizeOf(a.shape), false);
  if (compiledLoopsActive()) {
    if (simdBinary(name, out.data, outDtype, a, b)) return out;
    compiledBinary(name, BINARY_SRC[name], a.dtype, b.dtype, outDtype, ZERO_ONE.has(name))(out.data, dataOf(a), dataOf(b), loopPlan(a.shape, [a, b]));
    return out;
  }
  let f = BINARY[name];
  if (outDtype === 'bool') {
    if (!BOOL_BINARY.has(name)) {
      const g = f;
      BOOL_BINARY.set(name, (x, y) => (g(x, y) !== 0 ? 1 : 0));
    }
    f = BOOL_BINARY.get(name)!;
  }
  binaryLoop(f)(out.data, dataOf(a), dataOf(b), loopPlan(a.shape, [a, b]));
  return out;
}

export function where(backend: Backend, cond: TensorInfo, a: TensorInfo, b: TensorInfo, outDtype: DType): Storage {
  const n = sizeOf(a.shape);
  const out = allocFor(backend, outDtype, n, false);
  const o = out.data;
  if (compiledLoopsActive()) {
    compiledWhere(cond.dtype, a.dtype, b.dtype, outDtype)(o, dataOf(cond), dataOf(a), dataOf(b), loopPlan(a.shape, [cond, a, b]));
    return out;
  }
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
  const out = allocFor(backend, outDtype, n, false);
  const o = out.data;
  const xd = dataOf(x);
  if (outDtype === 'bool') {
    if (compiledLoopsActive()) compiledUnary('ToBool', 'a', x.dtype, 'bool')(o, xd, loopPlan(x.shape, [x]));
    else unaryLoop(toBool)(o, xd, loopPlan(x.shape, [x]));
    return out;
  }
  const { outer, inner, strides } = loopPlan(x.shape, [x]);
  const xo = outer[0]!;
  const sx = strides[0]!;
  if (sx === 1) {
    // Runs of consecutive elements: typed-array set (a native copy; int32 targets truncate).
    for (let r = 0, p = 0; r < xo.length; r++, p += inner) o.set(xd.subarray(xo[r]!, xo[r]! + inner), p);
    return out;
  }
  if (compiledLoopsActive()) {
    compiledUnary('Copy', 'a', x.dtype, outDtype)(o, xd, { outer: [xo], inner, strides: [sx] });
    return out;
  }
  let p = 0;
  for (let r = 0; r < xo.length; r++) for (let j = 0, ix = xo[r]!; j < inner; j++, ix += sx) o[p++] = xd[ix]!;
  return out;
}

const toBool: F1 = (v) => (v !== 0 ? 1 : 0);

export function assign(dst: TensorInfo, src: TensorInfo): void {
  const dd = dataOf(dst);
  const sd = dataOf(src);
  const { outer, inner, strides } = loopPlan(dst.shape, [dst, src]);
  const [dOut, sOut] = outer as [Int32Array, Int32Array];
  const [ds, ss] = strides as [number, number];
  for (let r = 0; r < dOut.length; r++) {
    for (let j = 0, id = dOut[r]!, is = sOut[r]!; j < inner; j++, id += ds, is += ss) dd[id] = sd[is]!;
  }
}

export function fill(backend: Backend, size: number, value: number, dtype: DType): Storage {
  const out = allocFor(backend, dtype, size, Object.is(value, 0));
  // Storage starts as +0; fill anything else, -0 included.
  if (!Object.is(value, 0)) out.data.fill(dtype === 'bool' ? (value !== 0 ? 1 : 0) : value);
  return out;
}

/** dst += src in place (the Accumulate kernel): dst contiguous, src any layout of its shape. */
export function accumulate(dst: TensorInfo, src: TensorInfo): void {
  const n = sizeOf(dst.shape);
  const dd = dataOf(dst);
  if (dst.dtype === 'float32' && compiledLoopsActive() && simdBinary('Add', dd.subarray(dst.offset, dst.offset + n), 'float32', dst, src)) return;
  const sd = dataOf(src);
  const { outer, inner, strides } = loopPlan(dst.shape, [dst, src]);
  const [dOut, sOut] = outer as [Int32Array, Int32Array];
  const [ds, ss] = strides as [number, number];
  for (let r = 0; r < dOut.length; r++) {
    for (let j = 0, id = dOut[r]!, is = sOut[r]!; j < inner; j++, id += ds, is += ss) dd[id] = dd[id]! + sd[is]!;
  }
}
