/**
 * Generated kernel calls for reference-parity suites, the way core's and gpu's compare their
 * backends with the reference backend: every kernel of KernelSignatures with generated shapes,
 * dtypes, values and layouts (contiguous, permuted, sliced with steps and an offset, broadcast
 * with stride 0). A case describes its inputs as data, so the same case can be built on two
 * backends from real tensors (`tensor`, `reshape`, then the layout's views) and run through
 * `runKernel` on each. A new backend's suite is `fc.assert(fc.property(unaryCaseArb(opts,
 * 'Exp'), (c) => expectMatchesReference('mine', c, tolerances)))` and so on, kernel by kernel.
 */
import fc from 'fast-check';
import {
  type Backend, type BinaryKernelName, computeConv2dInfo, type DType, Generator, getBackend, type KernelName, runKernel, type Tensor,
  tensor, type TypedArray, type UnaryKernelName,
} from '@dynconv/core';
import { broadcastPairArb, type Domain, drawValue, type Layout, type LayoutKind, layoutArb, shapeArb, type ShapeOptions } from './arbitraries.js';

/** How a case's float values are drawn: a {@link Domain}, `'ties'` (many equal values: halves of small integers) or `'special'` (ties mixed with {@link SPECIAL_VALUES}). */
export type ValueStyle = Domain | 'ties' | 'special';

/** NaN, infinities, signed zeros and halves (for Round), mixed into 'special' values. */
export const SPECIAL_VALUES = [NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 1.5, -2.5, 2.5];

/** One tensor argument: the leaf's values and shape, and the views that make the argument. */
export interface InputSpec {
  /** The leaf's dtype. */
  dtype: DType;
  /** The leaf's shape. */
  baseShape: readonly number[];
  /** The leaf's values, row-major. */
  values: readonly number[];
  /** The kind of the layout `view` applies. */
  layout: LayoutKind;
  /** Turns the leaf into the kernel's argument (see {@link Layout}). */
  view: (leaf: Tensor) => Tensor;
}

/**
 * How outputs are compared. 'exact': ints, bools, positions and selected elements (Max, Copy,
 * Gather...) must be identical. 'elementwise': a function of one element, within a few
 * rounding errors of the output dtype. 'accumulated': sums of products (MatMul, Conv, Sum...),
 * within a tolerance scaled by the same sum over absolute values (the error bound of a sum).
 */
export type Check = 'exact' | 'elementwise' | 'accumulated';

/** One generated kernel call: its inputs as data, how to compare, and the call itself. */
export interface KernelCase {
  /** The kernel called. */
  kernel: KernelName;
  /** What the case is, for failure messages. */
  label: string;
  /** The tensor arguments, built on each backend by {@link buildInput}. */
  inputs: InputSpec[];
  /** How the outputs are compared. */
  check: Check;
  /** Calls the kernel on `backend` with the inputs built there; returns the values to compare. */
  call: (backend: Backend, xs: Tensor[]) => TypedArray;
}

/** What to generate: the dtypes a backend holds, whether NaN and friends appear, how big. */
export interface CaseOptions {
  /** The float dtypes the backend holds. */
  floatDtypes: readonly ('float32' | 'float64')[];
  /** int32 and bool inputs (where a kernel takes them). */
  integers: boolean;
  /** NaN, infinities, signed zeros and halves among the float values (`'special'` values). */
  specials: boolean;
  /** Bounds of the generated shapes. */
  shape: ShapeOptions;
}

/** What the CPU backend is tested on: float32 and float64, ints and bools, special values, up to 4 dims of size 4. */
export const CPU_CASES: CaseOptions = { floatDtypes: ['float32', 'float64'], integers: true, specials: true, shape: { maxDims: 4, maxSize: 4 } };

const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** Values for `n` elements of `dtype`, seeded. */
export function drawValues(n: number, seed: number, dtype: DType, style: ValueStyle): number[] {
  const g = new Generator(seed);
  return Array.from({ length: n }, () => {
    if (dtype === 'bool') return g.nextDouble() < 0.5 ? 0 : 1;
    if (dtype === 'int32') return Math.round(g.nextNormal() * 3);
    if (style === 'special' && g.nextDouble() < 0.2) return SPECIAL_VALUES[Math.floor(g.nextDouble() * SPECIAL_VALUES.length)]!;
    if (style === 'ties' || style === 'special') return Math.round(g.nextNormal() * 2) / 2;
    return drawValue(g, style);
  });
}

/** An input of logical `shape` in a generated layout (`writable`: no broadcast views). */
export function inputSpecArb(shape: readonly number[], dtype: DType, style: ValueStyle, writable = false): fc.Arbitrary<InputSpec> {
  const layout = layoutArb(shape).filter((l) => !writable || l.kind !== 'expanded');
  return fc.tuple(layout, seedArb).map(([l, seed]) => specOf(l, dtype, drawValues(l.baseShape.reduce((a, b) => a * b, 1), seed, dtype, style)));
}

function specOf(l: Layout, dtype: DType, values: readonly number[]): InputSpec {
  return { dtype, baseShape: l.baseShape, values, layout: l.kind, view: l.view };
}

/** An int32 input of `shape` whose values lie in [0, bound), in a generated layout. */
function indexSpecArb(shape: readonly number[], bound: number): fc.Arbitrary<InputSpec> {
  return fc.tuple(layoutArb(shape), seedArb).map(([l, seed]) => {
    const g = new Generator(seed);
    const n = l.baseShape.reduce((a, b) => a * b, 1);
    return specOf(l, 'int32', Array.from({ length: n }, () => Math.floor(g.nextDouble() * bound)));
  });
}

/** The leaf tensor of `spec` on `backend`, seen through the spec's views. */
export function buildInput(backend: string, spec: InputSpec): Tensor {
  const Array_ = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array }[spec.dtype];
  const leaf = tensor(Array_.from(spec.values), { dtype: spec.dtype, backend }).reshape([...spec.baseShape]);
  return spec.view(leaf);
}

/** Runs `c` on the backend registered as `name`. */
export function runCase(name: string, c: KernelCase): TypedArray {
  const backend = getBackend(name);
  return c.call(backend, c.inputs.map((s) => buildInput(name, s)));
}

/** `c` with every float input replaced by its absolute value: its 'accumulated' result bounds the terms. */
export function absCase(c: KernelCase): KernelCase {
  return { ...c, inputs: c.inputs.map((s) => (s.dtype === 'float32' || s.dtype === 'float64' ? { ...s, values: s.values.map(Math.abs) } : s)) };
}

const read = (backend: Backend, s: ReturnType<Backend['fromArray']>): TypedArray => backend.readSync(s);
const dtypeArb = (o: CaseOptions, ints: readonly DType[] = []) => fc.constantFrom<DType>(...o.floatDtypes, ...(o.integers ? ints : []));
const describeInputs = (xs: readonly InputSpec[]) => xs.map((s) => `${s.dtype}[${s.baseShape.join(',')}] ${s.layout}`).join(', ');

/** How far a float output may be from the reference: relative to itself, or to the scale of its sum. */
export interface Tolerance {
  /** Elementwise outputs: |got - want| <= elementwise * |want| + elementwiseAbs. */
  elementwise: number;
  /** The absolute part of the elementwise tolerance. */
  elementwiseAbs: number;
  /** Accumulated outputs: |got - want| <= accumulated * (the same sum over absolute values). */
  accumulated: number;
}

/** Tolerances of a backend's comparisons, by output dtype. */
export interface Tolerances {
  /** For float32 outputs. */
  float32: Tolerance;
  /** For float64 outputs. */
  float64: Tolerance;
  /** Whether exact comparisons tell -0 from +0 (Object.is) or not (===, NaN still equal to NaN). */
  signedZeros: boolean;
}

/** The CPU backend's: a few float32 roundings, float64 to near its precision, zeros signed. */
export const CPU_TOLERANCES: Tolerances = {
  float32: { elementwise: 1e-6, elementwiseAbs: 0, accumulated: 1e-5 },
  float64: { elementwise: 1e-14, elementwiseAbs: 0, accumulated: 1e-13 },
  signedZeros: true,
};

/**
 * Checks `got` against `want` as `c.check` says; `scale` (the case over absolute values) bounds
 * the terms of accumulated outputs. Throws with the case's label and the first bad element.
 */
export function compareOutputs(c: KernelCase, got: TypedArray, want: TypedArray, scale: TypedArray | null, tol: Tolerances): void {
  const fail = (msg: string) => {
    throw new Error(`${c.label}: ${msg}`);
  };
  if (got.length !== want.length) fail(`${got.length} elements, the reference has ${want.length}`);
  const t = want instanceof Float32Array ? tol.float32 : tol.float64;
  const same = (a: number, e: number) => (tol.signedZeros ? Object.is(a, e) : a === e || (Number.isNaN(a) && Number.isNaN(e)));
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!;
    const e = want[i]!;
    if (same(a, e)) continue;
    if (c.check === 'exact' || !(want instanceof Float32Array || want instanceof Float64Array)) fail(`element ${i}: got ${a}, the reference has ${e} (must be identical)`);
    if (Number.isNaN(a) || Number.isNaN(e)) fail(`element ${i}: got ${a}, the reference has ${e}`);
    const bound = c.check === 'accumulated' ? t.accumulated * Math.max(Math.abs(scale![i]!), Number.MIN_VALUE) : t.elementwise * Math.abs(e) + t.elementwiseAbs;
    if (!(Math.abs(a - e) <= bound)) fail(`element ${i}: got ${a}, the reference has ${e} (|diff| ${Math.abs(a - e)} > ${bound})`);
  }
}

/** Runs `c` on backend `name` and on the `'reference'` backend, and compares them with {@link compareOutputs}; throws with the case's label on a mismatch. */
export function expectMatchesReference(name: string, c: KernelCase, tol: Tolerances = CPU_TOLERANCES): void {
  const want = runCase('reference', c);
  const got = runCase(name, c);
  const scale = c.check === 'accumulated' ? runCase('reference', absCase(c)) : null;
  compareOutputs(c, got, want, scale, tol);
}

// ---- elementwise ---------------------------------------------------------------------------

/** Every Unary kernel's function. */
export const UNARY_NAMES: readonly UnaryKernelName[] = [
  'Neg', 'Exp', 'Log', 'Sqrt', 'Rsqrt', 'Abs', 'Sin', 'Cos', 'Tanh', 'Sigmoid', 'Relu', 'Relu6', 'Sign', 'Erf', 'Log1p', 'Expm1', 'Reciprocal', 'Floor', 'Ceil', 'Round',
];
/** Where each unary function is tested when values are not 'special' (away from poles and cuts). */
export const UNARY_DOMAIN: Record<UnaryKernelName, Domain> = {
  Neg: 'real', Exp: 'real', Log: 'positive', Sqrt: 'positive', Rsqrt: 'positive', Abs: 'real', Sin: 'real', Cos: 'real', Tanh: 'real', Sigmoid: 'real',
  Relu: 'real', Relu6: 'real', Sign: 'real', Erf: 'real', Log1p: 'unit', Expm1: 'real', Reciprocal: 'nonzero', Floor: 'real', Ceil: 'real', Round: 'real',
};
/** Unary kernels that keep integers integral: the ones tested on int32. */
const INTEGER_UNARY: readonly UnaryKernelName[] = ['Neg', 'Abs', 'Sign', 'Relu', 'Relu6', 'Floor', 'Ceil', 'Round'];

/** Unary `name` over a generated input. */
export function unaryCaseArb(o: CaseOptions, name: UnaryKernelName): fc.Arbitrary<KernelCase> {
  const ints = INTEGER_UNARY.includes(name) ? (['int32'] as DType[]) : [];
  return fc
    .tuple(shapeArb(o.shape), dtypeArb(o, ints), fc.boolean())
    .chain(([shape, dtype, special]) => inputSpecArb(shape, dtype, o.specials && special ? 'special' : UNARY_DOMAIN[name]).map((x) => ({ shape, dtype, x })))
    .map(({ shape, dtype, x }): KernelCase => ({
      kernel: 'Unary', label: `Unary ${name} on ${describeInputs([x])} shape [${shape}]`, inputs: [x],
      check: dtype === 'int32' ? 'exact' : 'elementwise',
      call: (b, [t]) => read(b, runKernel(b, 'Unary', name, t!, dtype)),
    }));
}

/** Every Binary kernel's function (arithmetic, then comparisons). */
export const BINARY_NAMES: readonly BinaryKernelName[] = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Maximum', 'Minimum', 'Eq', 'Ne', 'Gt', 'Ge', 'Lt', 'Le'];
const COMPARISONS: readonly BinaryKernelName[] = ['Eq', 'Ne', 'Gt', 'Ge', 'Lt', 'Le'];

/** Two inputs broadcast to one shape by views (stride 0), then the operand layouts. */
function broadcastInputsArb(o: CaseOptions, count: number, dtypes: readonly DType[], style: (k: number) => ValueStyle): fc.Arbitrary<{ out: number[]; inputs: InputSpec[] }> {
  return broadcastPairArb(o.shape)
    .chain(([sa, sb]) => fc.tuple(fc.constant([sa, sb]), fc.array(fc.boolean(), { minLength: count, maxLength: count })))
    .chain(([[sa, sb], picks]) => {
      const out = broadcast(sa, sb);
      const shapes = picks.map((p) => (p ? sa : sb));
      return fc.tuple(...shapes.map((s, k) => inputSpecArb(s, dtypes[k]!, style(k)))).map((xs) => ({
        out,
        inputs: xs.map((x) => ({ ...x, view: (t: Tensor) => x.view(t).expand(out) })),
      }));
    });
}

function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    return x === 1 ? y : x;
  });
}

/** Binary `name` over two broadcast inputs of one dtype; comparisons write bool. */
export function binaryCaseArb(o: CaseOptions, name: BinaryKernelName): fc.Arbitrary<KernelCase> {
  const positive = name === 'Pow' || name === 'Div';
  return fc
    .tuple(dtypeArb(o, ['int32', 'bool']), fc.boolean())
    .chain(([dtype, special]) =>
      broadcastInputsArb(o, 2, [dtype, dtype], (k) => (o.specials && special ? 'special' : positive && k === 0 ? 'positive' : positive ? 'nonzero' : 'ties')).map((c) => ({ ...c, dtype })),
    )
    .map(({ out, inputs, dtype }): KernelCase => {
      const outDtype: DType = COMPARISONS.includes(name) || dtype === 'bool' ? 'bool' : dtype;
      return {
        kernel: 'Binary', label: `Binary ${name} -> ${outDtype} on ${describeInputs(inputs)} out [${out}]`, inputs,
        check: outDtype === 'bool' || outDtype === 'int32' || name === 'Maximum' || name === 'Minimum' ? 'exact' : 'elementwise',
        call: (b, [x, y]) => read(b, runKernel(b, 'Binary', name, x!, y!, outDtype)),
      };
    });
}

/**
 * Every function on every special value, deterministically: one Unary case per function over
 * {@link SPECIAL_VALUES} plus a large and a tiny magnitude, and one Binary case per function over
 * every ordered pair of them. Random cases meet a given special value for a given function only
 * now and then (a NaN where the reference has Infinity once failed CI on one seed in many); this
 * table meets all of them on every run.
 */
export function specialValueCases(dtype: DType = 'float32'): KernelCase[] {
  const values = [...SPECIAL_VALUES, 1e30, -1e30, 1e-30, 3];
  const plain = (vs: readonly number[]): InputSpec => ({ dtype, baseShape: [vs.length], values: vs, layout: 'contiguous', view: (t) => t });
  const x = plain(values);
  // A float32 device cannot reduce 1e30 modulo 2 pi (its ulp there is 7e22): trig stays in range.
  const trig = plain(values.filter((v) => !(Math.abs(v) > 1e6)));
  const unary = UNARY_NAMES.map((name): KernelCase => ({
    kernel: 'Unary', label: `Unary ${name} on the special values ${dtype}[${values.length}]`, inputs: [name === 'Sin' || name === 'Cos' ? trig : x], check: 'elementwise',
    call: (b, [t]) => read(b, runKernel(b, 'Unary', name, t!, dtype)),
  }));
  const a = plain(values.flatMap((v) => values.map(() => v)));
  const c = plain(values.flatMap(() => values));
  const binary = BINARY_NAMES.map((name): KernelCase => {
    const outDtype: DType = COMPARISONS.includes(name) ? 'bool' : dtype;
    return {
      kernel: 'Binary', label: `Binary ${name} on every pair of special values ${dtype}[${a.values.length}]`, inputs: [a, c],
      check: outDtype === 'bool' || name === 'Maximum' || name === 'Minimum' ? 'exact' : 'elementwise',
      call: (b, [p, q]) => read(b, runKernel(b, 'Binary', name, p!, q!, outDtype)),
    };
  });
  return [...unary, ...binary];
}

/** The error messages of the cases `check` throws on: a table of cases reports every failure at once. */
export function failingCases(cases: readonly KernelCase[], check: (c: KernelCase) => void): string[] {
  const out: string[] = [];
  for (const c of cases) {
    try {
      check(c);
    } catch (e) {
      out.push(e instanceof Error ? e.message : String(e));
    }
  }
  return out;
}

/** Where(cond, a, b) with all three broadcast to one shape. */
export function whereCaseArb(o: CaseOptions): fc.Arbitrary<KernelCase> {
  return dtypeArb(o, ['int32'])
    .chain((dtype) => broadcastInputsArb(o, 3, ['bool', dtype, dtype], () => (o.specials ? 'special' : 'real')).map((c) => ({ ...c, dtype })))
    .map(({ out, inputs, dtype }): KernelCase => ({
      kernel: 'Where', label: `Where on ${describeInputs(inputs)} out [${out}]`, inputs, check: 'exact',
      call: (b, [c, x, y]) => read(b, runKernel(b, 'Where', c!, x!, y!, dtype)),
    }));
}

/** Copy from any dtype to any dtype (casts: float32 rounding, int32 truncation, bool non-zero). */
export function copyCaseArb(o: CaseOptions): fc.Arbitrary<KernelCase> {
  const all = [...o.floatDtypes, ...(o.integers ? (['int32', 'bool'] as const) : [])];
  return fc
    .tuple(shapeArb(o.shape), fc.constantFrom<DType>(...all), fc.constantFrom<DType>(...all))
    .chain(([shape, from, to]) => inputSpecArb(shape, from, o.specials ? 'special' : 'real').map((x) => ({ x, to })))
    .map(({ x, to }): KernelCase => ({
      kernel: 'Copy', label: `Copy ${x.dtype} -> ${to} of ${describeInputs([x])}`, inputs: [x], check: 'exact',
      call: (b, [t]) => read(b, runKernel(b, 'Copy', t!, to)),
    }));
}

/** Assign src into a (non-broadcast) view of a leaf; the whole leaf storage is compared. */
export function assignCaseArb(o: CaseOptions): fc.Arbitrary<KernelCase> {
  return fc
    .tuple(shapeArb(o.shape), dtypeArb(o, ['int32', 'bool']))
    .chain(([shape, dtype]) => fc.tuple(inputSpecArb(shape, dtype, 'real', true), inputSpecArb(shape, dtype, o.specials ? 'special' : 'real')))
    .map(([dst, src]): KernelCase => ({
      kernel: 'Assign', label: `Assign ${describeInputs([src])} into ${describeInputs([dst])}`, inputs: [dst, src], check: 'exact',
      call: (b, [d, s]) => {
        runKernel(b, 'Assign', d!, s!);
        return read(b, d!.storage);
      },
    }));
}

/** Fill of every dtype with ordinary and special values, including -0 and NaN. */
export function fillCaseArb(o: CaseOptions): fc.Arbitrary<KernelCase> {
  const dtypes = [...o.floatDtypes, ...(o.integers ? (['int32', 'bool'] as const) : [])];
  const value = o.specials ? fc.oneof(fc.constantFrom(...SPECIAL_VALUES), fc.double({ min: -1e6, max: 1e6, noNaN: true })) : fc.double({ min: -100, max: 100, noNaN: true });
  return fc.tuple(fc.integer({ min: 0, max: 20 }), value, fc.constantFrom<DType>(...dtypes)).map(([size, v, dtype]): KernelCase => ({
    kernel: 'Fill', label: `Fill ${size} x ${v} (${dtype})`, inputs: [], check: 'exact',
    call: (b) => read(b, runKernel(b, 'Fill', size, v, dtype)),
  }));
}

// ---- reductions ----------------------------------------------------------------------------

/** Reduce `name` over a generated subset of axes (possibly none). */
export function reduceCaseArb(o: CaseOptions, name: 'Sum' | 'Max' | 'Min' | 'Prod'): fc.Arbitrary<KernelCase> {
  return fc
    .tuple(shapeArb({ ...o.shape, minDims: 1 }), dtypeArb(o, name === 'Sum' || name === 'Max' ? ['int32'] : []), fc.boolean())
    .chain(([shape, dtype, special]) =>
      fc.tuple(
        inputSpecArb(shape, dtype, o.specials && special ? 'special' : name === 'Prod' ? 'nonzero' : 'ties'),
        fc.subarray([...shape.keys()]),
      ).map(([x, axes]) => ({ x, axes, dtype, shape })),
    )
    .map(({ x, axes, dtype, shape }): KernelCase => ({
      kernel: 'Reduce', label: `Reduce ${name} over [${axes}] of ${describeInputs([x])} shape [${shape}]`, inputs: [x],
      check: dtype === 'int32' || name === 'Max' || name === 'Min' ? 'exact' : 'accumulated',
      call: (b, [t]) => read(b, runKernel(b, 'Reduce', name, t!, axes, dtype)),
    }));
}

/** ArgMax / ArgMin along one axis, with ties (and NaN when specials are on). */
export function argReduceCaseArb(o: CaseOptions, name: 'ArgMax' | 'ArgMin'): fc.Arbitrary<KernelCase> {
  return fc
    .tuple(shapeArb({ ...o.shape, minDims: 1 }), dtypeArb(o, ['int32']))
    .chain(([shape, dtype]) => fc.tuple(inputSpecArb(shape, dtype, o.specials ? 'special' : 'ties'), fc.integer({ min: 0, max: shape.length - 1 })).map(([x, axis]) => ({ x, axis })))
    .map(({ x, axis }): KernelCase => ({
      kernel: 'ArgReduce', label: `${name} along ${axis} of ${describeInputs([x])}`, inputs: [x], check: 'exact',
      call: (b, [t]) => read(b, runKernel(b, 'ArgReduce', name, t!, axis)),
    }));
}

// ---- matmul --------------------------------------------------------------------------------

/** Batched matmul [...B, M, K] x [...B, K, N], K possibly 0, operands in any layout (permuted = transposed). */
export function matmulCaseArb(o: CaseOptions): fc.Arbitrary<KernelCase> {
  const dim = fc.integer({ min: 1, max: 5 });
  return fc
    .tuple(shapeArb({ maxDims: 2, maxSize: 3 }), dim, fc.integer({ min: 0, max: 6 }), dim, dtypeArb(o, ['int32']))
    .chain(([batch, M, K, N, dtype]) =>
      fc.tuple(inputSpecArb([...batch, M, K], dtype, 'real'), inputSpecArb([...batch, K, N], dtype, 'real')).map(([a, b]) => ({ a, b, dtype, dims: [batch, M, K, N] })),
    )
    .map(({ a, b, dtype, dims }): KernelCase => ({
      kernel: 'MatMul', label: `MatMul batch [${dims[0]}] M ${dims[1]} K ${dims[2]} N ${dims[3]}: ${describeInputs([a, b])}`, inputs: [a, b],
      check: dtype === 'int32' ? 'exact' : 'accumulated',
      call: (be, [x, y]) => read(be, runKernel(be, 'MatMul', x!, y!, dtype)),
    }));
}

// ---- indexing ------------------------------------------------------------------------------

/** An index shape for gathering from / scattering into `shape` along `dim`: no larger elsewhere. */
function indexShapeArb(shape: readonly number[], dim: number): fc.Arbitrary<number[]> {
  return fc.tuple(...shape.map((d, i) => fc.integer({ min: 1, max: i === dim ? 4 : d }))).map((s) => [...s]);
}

/** Gather along a generated dim, with int32 indices in range, in generated layouts. */
export function gatherCaseArb(o: CaseOptions): fc.Arbitrary<KernelCase> {
  return fc
    .tuple(shapeArb({ ...o.shape, minDims: 1 }), dtypeArb(o, ['int32']))
    .chain(([shape, dtype]) => fc.tuple(fc.constant(shape), inputSpecArb(shape, dtype, o.specials ? 'special' : 'real'), fc.integer({ min: 0, max: shape.length - 1 })))
    .chain(([shape, x, dim]) => indexShapeArb(shape, dim).chain((is) => indexSpecArb(is, shape[dim]!)).map((index) => ({ x, dim, index })))
    .map(({ x, dim, index }): KernelCase => ({
      kernel: 'Gather', label: `Gather along ${dim} of ${describeInputs([x])} with index ${describeInputs([index])}`, inputs: [x, index], check: 'exact',
      call: (b, [t, i]) => read(b, runKernel(b, 'Gather', t!, dim, i!)),
    }));
}

/** ScatterAdd along a generated dim into a base, with in-range int32 indices and a source, in generated layouts. */
export function scatterAddCaseArb(o: CaseOptions): fc.Arbitrary<KernelCase> {
  return fc
    .tuple(shapeArb({ ...o.shape, minDims: 1 }), dtypeArb(o, ['int32']))
    .chain(([shape, dtype]) => fc.tuple(fc.constant({ shape, dtype }), inputSpecArb(shape, dtype, 'real'), fc.integer({ min: 0, max: shape.length - 1 })))
    .chain(([{ shape, dtype }, base, dim]) =>
      indexShapeArb(shape, dim)
        .chain((is) => fc.tuple(indexSpecArb(is, shape[dim]!), inputSpecArb(is, dtype, 'real')))
        .map(([index, src]) => ({ base, dim, index, src, dtype })),
    )
    .map(({ base, dim, index, src, dtype }): KernelCase => ({
      kernel: 'ScatterAdd', label: `ScatterAdd along ${dim}: base ${describeInputs([base])}, index ${describeInputs([index])}, src ${describeInputs([src])}`,
      inputs: [base, index, src], check: dtype === 'int32' ? 'exact' : 'accumulated',
      call: (b, [t, i, s]) => read(b, runKernel(b, 'ScatterAdd', t!, dim, i!, s!)),
    }));
}

// ---- convolution ---------------------------------------------------------------------------

/** A convolution's geometry: NCHW input, filter, stride, asymmetric padding, dilation, groups (depthwise too). */
export interface ConvGeometry {
  /** The input, [N, C, H, W]. */
  inShape: [number, number, number, number];
  /** The filter, [K, C / groups, kh, kw]. */
  filterShape: [number, number, number, number];
  /** [height, width] strides. */
  stride: [number, number];
  /** [top, bottom, left, right] padding. */
  padding: [number, number, number, number];
  /** [height, width] dilations. */
  dilation: [number, number];
  /** Channel groups (C for depthwise). */
  groups: number;
}

/** Convolution geometries with at least one output position and spatial sizes up to about `maxSpatial`: grouped and depthwise, strided, dilated, asymmetrically padded. */
export function convGeometryArb(maxSpatial = 7): fc.Arbitrary<ConvGeometry> {
  const small = (max: number, min = 1) => fc.integer({ min, max });
  const channels = fc.oneof(
    // grouped (groups 1 is the plain convolution): Cg input and Kg output channels per group
    fc.tuple(small(3), small(3), small(3)).map(([G, Cg, Kg]) => ({ G, Cg, Kg })),
    // depthwise: one input channel per group, a channel multiplier of 1 or 2
    fc.tuple(small(4, 2), small(2)).map(([G, Kg]) => ({ G, Cg: 1, Kg })),
  );
  return fc
    .record({
      N: small(2), channels, kh: small(3), kw: small(3), sh: small(3), sw: small(3), dh: small(2), dw: small(2),
      pad: fc.tuple(small(2, 0), small(2, 0), small(2, 0), small(2, 0)), extraH: small(maxSpatial - 1, 0), extraW: small(maxSpatial - 1, 0),
    })
    .map(({ N, channels: { G, Cg, Kg }, kh, kw, sh, sw, dh, dw, pad, extraH, extraW }): ConvGeometry => {
      // The smallest input with at least one output position, plus some.
      const H = Math.max(1, dh * (kh - 1) + 1 - pad[0] - pad[1]) + extraH;
      const W = Math.max(1, dw * (kw - 1) + 1 - pad[2] - pad[3]) + extraW;
      return { inShape: [N, G * Cg, H, W], filterShape: [G * Kg, Cg, kh, kw], stride: [sh, sw], padding: pad, dilation: [dh, dw], groups: G };
    });
}

const describeGeometry = (g: ConvGeometry) =>
  `x [${g.inShape}] w [${g.filterShape}] stride [${g.stride}] padding [${g.padding}] dilation [${g.dilation}] groups ${g.groups}`;

const infoOf = (g: ConvGeometry) => computeConv2dInfo(g.inShape, g.filterShape, { stride: g.stride, padding: g.padding, dilation: g.dilation, groups: g.groups });

/** One of the three convolution kernels over a generated geometry and generated operand layouts. */
export function convCaseArb(o: CaseOptions, kernel: 'Conv2d' | 'Conv2dBackpropInput' | 'Conv2dBackpropFilter', maxSpatial = 7): fc.Arbitrary<KernelCase> {
  return fc
    .tuple(convGeometryArb(maxSpatial), dtypeArb(o))
    .chain(([g, dtype]) => {
      const info = infoOf(g);
      const shapes = { Conv2d: [g.inShape, g.filterShape], Conv2dBackpropInput: [info.outShape, g.filterShape], Conv2dBackpropFilter: [g.inShape, info.outShape] }[kernel];
      return fc.tuple(...shapes.map((s) => inputSpecArb(s, dtype, 'real'))).map((inputs) => ({ g, info, inputs }));
    })
    .map(({ g, info, inputs }): KernelCase => ({
      kernel, label: `${kernel} ${describeGeometry(g)}: ${describeInputs(inputs)}`, inputs, check: 'accumulated',
      call: (b, [u, v]) => {
        if (kernel === 'Conv2d') return read(b, runKernel(b, 'Conv2d', u!, v!, info));
        if (kernel === 'Conv2dBackpropInput') return read(b, runKernel(b, 'Conv2dBackpropInput', u!, v!, info.inShape, info));
        return read(b, runKernel(b, 'Conv2dBackpropFilter', u!, v!, info.filterShape, info));
      },
    }));
}

// ---- pooling -------------------------------------------------------------------------------

/** Windows over `size` positions: each a non-empty sorted subset (pooling windows and more). */
function windowsArb(size: number): fc.Arbitrary<number[][]> {
  const positions = [...Array(size).keys()];
  return fc.array(fc.subarray(positions, { minLength: 1 }), { minLength: 1, maxLength: 3 });
}

/** PoolArgMax over generated windows (non-empty subsets of rows and of columns), ties and specials included. */
export function poolArgMaxCaseArb(o: CaseOptions): fc.Arbitrary<KernelCase> {
  return fc
    .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), dtypeArb(o))
    .chain(([N, C, H, W, dtype]) => fc.tuple(inputSpecArb([N, C, H, W], dtype, o.specials ? 'special' : 'ties'), windowsArb(H), windowsArb(W)))
    .map(([x, rows, cols]): KernelCase => ({
      kernel: 'PoolArgMax', label: `PoolArgMax rows ${JSON.stringify(rows)} cols ${JSON.stringify(cols)} of ${describeInputs([x])}`, inputs: [x], check: 'exact',
      call: (b, [t]) => read(b, runKernel(b, 'PoolArgMax', t!, rows, cols)),
    }));
}
