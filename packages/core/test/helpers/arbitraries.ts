/**
 * fast-check arbitraries shared by the core's property tests: shapes, broadcastable shape
 * pairs, value domains kept away from kinks and poles, and layouts that make the same logical
 * tensor contiguous, permuted, strided (sliced with steps) or broadcast (stride 0).
 *
 * DYNCONV_NUM_RUNS sets how many cases each property runs (default 12); a deeper run is
 * `DYNCONV_NUM_RUNS=200 pnpm test`.
 */
import fc from 'fast-check';
import { Generator, gradcheck, gradgradcheck, tensor, type Tensor } from '../../src/index.js';

export const NUM_RUNS = Number(process.env.DYNCONV_NUM_RUNS ?? 12);

/** Options for fc.assert: the configured run count; DYNCONV_SEED replays a failure. */
export function runs(scale = 1): fc.Parameters<unknown> {
  const seed = process.env.DYNCONV_SEED ? Number(process.env.DYNCONV_SEED) : undefined;
  return { numRuns: Math.max(1, Math.round(NUM_RUNS * scale)), ...(seed === undefined ? {} : { seed }) };
}

export interface ShapeOptions {
  minDims?: number;
  maxDims?: number;
  minSize?: number;
  maxSize?: number;
}

/** Shapes of 0 to 4 dims with sizes 1 to 5 (by default). */
export function shapeArb({ minDims = 0, maxDims = 4, minSize = 1, maxSize = 5 }: ShapeOptions = {}): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: minSize, max: maxSize }), { minLength: minDims, maxLength: maxDims });
}

/** Two shapes that broadcast together: each drops some leading dims and sets some dims to 1. */
export function broadcastPairArb(opts: ShapeOptions = {}): fc.Arbitrary<[number[], number[]]> {
  return shapeArb(opts).chain((out) => {
    const side = fc
      .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
      .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
    return fc.tuple(side, side);
  });
}

/** Where generated values lie, so an op is tested away from its kinks and poles. */
export type Domain =
  | 'real' // standard normal
  | 'positive' // [0.5, 2]: logs, roots, reciprocals
  | 'nonzero' // |x| in [0.25, 2]: kinks at 0 (relu, abs, leakyRelu...)
  | 'unit'; // (-0.9, 0.9)

/** One value of `domain`, drawn from `g` (shared with the gpu parity suite). */
export function drawValue(g: Generator, domain: Domain): number {
  switch (domain) {
    case 'real':
      return g.nextNormal();
    case 'positive':
      return 0.5 + 1.5 * g.nextDouble();
    case 'nonzero':
      return (g.nextDouble() < 0.5 ? -1 : 1) * (0.25 + 1.75 * g.nextDouble());
    case 'unit':
      return -0.9 + 1.8 * g.nextDouble();
  }
}

/** Values for a tensor of `shape`, drawn from `domain` with a seeded generator. */
export function values(shape: readonly number[], seed: number, domain: Domain = 'real'): Float64Array {
  const g = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Float64Array.from({ length: n }, () => drawValue(g, domain));
}

export type LayoutKind = 'contiguous' | 'permuted' | 'strided' | 'expanded';

/**
 * A way to present a logical shape: the leaf tensor has `baseShape`, and `view(leaf)` is a
 * tensor of the wanted shape laid out as `kind` says. Gradchecks differentiate through
 * `view`, so views are tested exactly as much as contiguous tensors.
 */
export interface Layout {
  kind: LayoutKind;
  baseShape: number[];
  view: (leaf: Tensor) => Tensor;
}

/** Layouts for `shape`: contiguous, permuted, strided (slices with steps and offsets) or expanded. */
export function layoutArb(shape: readonly number[]): fc.Arbitrary<Layout> {
  const nd = shape.length;
  const contiguous: fc.Arbitrary<Layout> = fc.constant({ kind: 'contiguous', baseShape: [...shape], view: (t) => t });
  if (nd === 0) return contiguous;
  const permuted = fc.shuffledSubarray([...Array(nd).keys()], { minLength: nd, maxLength: nd }).map((perm): Layout => {
    // The leaf holds the dims in `perm` order; permuting by the inverse restores `shape`.
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return { kind: 'permuted', baseShape: perm.map((p) => shape[p]!), view: (t) => t.permute(inverse) };
  });
  const strided = fc
    .tuple(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: nd, maxLength: nd }), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: nd, maxLength: nd }))
    .map(([steps, starts]): Layout => ({
      kind: 'strided',
      baseShape: shape.map((d, i) => starts[i]! + (d - 1) * steps[i]! + 1 + (steps[i]! > 1 ? 1 : 0)),
      view: (t) => shape.reduce<Tensor>((acc, d, i) => acc.slice(i, starts[i]!, starts[i]! + (d - 1) * steps[i]! + 1, steps[i]!), t),
    }));
  const expanded = fc.array(fc.boolean(), { minLength: nd, maxLength: nd }).map((ones): Layout => ({
    kind: 'expanded',
    baseShape: shape.map((d, i) => (ones[i] ? 1 : d)),
    view: (t) => t.expand([...shape]),
  }));
  return fc.oneof(contiguous, permuted, strided, expanded);
}

/** A float64 leaf requiring grad plus the layout that turns it into the op's input. */
export interface Input {
  leaf: Tensor;
  layout: Layout;
  /** The logical input, laid out as `layout.kind` says. */
  view: (leaf?: Tensor) => Tensor;
}

/** A generated input of logical `shape` with values from `domain`, in a generated layout. */
export function inputArb(shape: readonly number[], domain: Domain = 'real', dtype: 'float64' | 'float32' = 'float64'): fc.Arbitrary<Input> {
  return fc.tuple(layoutArb(shape), fc.integer({ min: 0, max: 2 ** 31 - 1 })).map(([layout, seed]) => {
    const data = values(layout.baseShape, seed, domain);
    const leaf = tensor(dtype === 'float64' ? data : Float32Array.from(data), { dtype }).reshape(layout.baseShape).detach().requiresGrad_();
    return { leaf, layout, view: (t = leaf) => layout.view(t) };
  });
}

/** Row-major multi-index of flat position `i` in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

/** Flat row-major position of a multi-index broadcast into `shape` (size-1 dims pinned to 0). */
export function broadcastIndex(idx: readonly number[], shape: readonly number[]): number {
  const lead = idx.length - shape.length;
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d]! + (shape[d] === 1 ? 0 : idx[d + lead]!);
  return flat;
}

/** Asserts two float arrays agree elementwise within atol + rtol * |expected| (NaNs must match). */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-12, atol = 1e-12): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`element ${i}: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)})`);
    }
  }
}

/** Inputs larger than this (in total elements) are checked by random projections (fast mode). */
export const FULL_JACOBIAN_LIMIT = 48;

export interface CheckOptions {
  /** Also run gradgradcheck (for smooth ops). */
  second?: boolean;
  atol?: number;
  rtol?: number;
  eps?: number;
}

/**
 * gradcheck (and optionally gradgradcheck) of `fn` at `inputs`: the full Jacobian for small
 * inputs, random projections vᵀJu for larger ones, so a property run stays fast on 2 cores.
 */
export function checkGradients(fn: (...xs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], opts: CheckOptions = {}): void {
  const total = inputs.reduce((n, x) => n + x.numel(), 0);
  const o = { atol: opts.atol, rtol: opts.rtol, eps: opts.eps, fastMode: total > FULL_JACOBIAN_LIMIT };
  gradcheck(fn, inputs, o);
  if (opts.second) gradgradcheck(fn, inputs, null, o);
}
