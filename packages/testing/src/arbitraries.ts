/**
 * fast-check arbitraries for tensor tests: shapes, broadcastable shape pairs, value domains
 * kept away from kinks and poles, and layouts that present the same logical tensor
 * contiguous, permuted, strided (sliced with steps) or broadcast (stride 0).
 */
import { Generator, tensor, type Tensor } from '@dynconv/core';
import fc from 'fast-check';

/** Bounds of a generated shape. */
export interface ShapeOptions {
  /** Fewest dims (default 0: scalars included). */
  minDims?: number;
  /** Most dims (default 4). */
  maxDims?: number;
  /** Smallest size of a dim (default 1; 0 allows empty tensors). */
  minSize?: number;
  /** Largest size of a dim (default 5). */
  maxSize?: number;
  /**
   * Most elements in all (default unbounded): larger draws have their largest dims shrunk
   * until they fit, which keeps full-Jacobian gradchecks cheap.
   */
  maxNumel?: number;
}

const numelOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Shapes of 0 to 4 dims with sizes 1 to 5 (by default); see {@link ShapeOptions}. */
export function shapeArb({ minDims = 0, maxDims = 4, minSize = 1, maxSize = 5, maxNumel }: ShapeOptions = {}): fc.Arbitrary<number[]> {
  if (!(Number.isInteger(minDims) && Number.isInteger(maxDims) && minDims >= 0 && minDims <= maxDims)) {
    throw new Error(`shapeArb: need integers 0 <= minDims <= maxDims, got minDims=${minDims}, maxDims=${maxDims}`);
  }
  if (!(Number.isInteger(minSize) && Number.isInteger(maxSize) && minSize >= 0 && minSize <= maxSize)) {
    throw new Error(`shapeArb: need integers 0 <= minSize <= maxSize, got minSize=${minSize}, maxSize=${maxSize}`);
  }
  const dims = fc.array(fc.integer({ min: minSize, max: maxSize }), { minLength: minDims, maxLength: maxDims });
  if (maxNumel === undefined) return dims;
  if (!(maxNumel >= minSize ** minDims)) {
    throw new Error(`shapeArb: maxNumel=${maxNumel} is below the smallest allowed shape (${minDims} dims of size ${minSize})`);
  }
  return dims.map((shape) => {
    const s = [...shape];
    while (numelOf(s) > maxNumel) {
      if (s.length > minDims && s.every((d) => d <= minSize)) s.pop();
      else {
        const i = s.indexOf(Math.max(...s));
        s[i] = s[i]! - 1;
      }
    }
    return s;
  });
}

/**
 * Two shapes that broadcast together (PyTorch's rules): both come from one output shape of
 * `opts`, each dropping some leading dims and setting some others to 1.
 */
export function broadcastPairArb(opts: ShapeOptions = {}): fc.Arbitrary<[number[], number[]]> {
  return shapeArb(opts).chain((out) => {
    const side = fc
      .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
      .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
    return fc.tuple(side, side);
  });
}

/**
 * Where generated values lie, so an op is tested away from its kinks and poles:
 * - `'real'`: standard normal (any finite value, mostly in [-3, 3]);
 * - `'positive'`: uniform in [0.5, 2], for logs, roots and reciprocals;
 * - `'nonzero'`: |x| uniform in [0.25, 2] with a random sign, away from the kink at 0 of
 *   relu, abs, leakyRelu, sign...;
 * - `'unit'`: uniform in (-0.9, 0.9), inside (-1, 1) for atanh-like ops.
 */
export type Domain = 'real' | 'positive' | 'nonzero' | 'unit';

/** Every {@link Domain}, for tests that loop over them. */
export const DOMAINS: readonly Domain[] = ['real', 'positive', 'nonzero', 'unit'];

/** One value of `domain`, drawn from the seeded generator `g`. */
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
    default:
      throw new Error(`drawValue: unknown domain ${JSON.stringify(domain)}; expected one of ${DOMAINS.join(', ')}`);
  }
}

/** Row-major values for a tensor of `shape`, drawn from `domain` by a generator seeded with `seed`. */
export function values(shape: readonly number[], seed: number, domain: Domain = 'real'): Float64Array {
  const g = new Generator(seed);
  return Float64Array.from({ length: numelOf(shape) }, () => drawValue(g, domain));
}

/** How a {@link Layout} presents its tensor. */
export type LayoutKind = 'contiguous' | 'permuted' | 'strided' | 'expanded';

/**
 * A way to present a logical shape: a leaf tensor of `baseShape`, and `view(leaf)`, a view
 * of the wanted shape laid out as `kind` says (no copy). Gradient checks differentiate
 * through `view`, so an op's views get as much testing as its contiguous inputs.
 */
export interface Layout {
  /** contiguous (the leaf itself), permuted (strides reordered), strided (slices with steps and offsets) or expanded (stride 0 on some dims). */
  kind: LayoutKind;
  /** The shape of the leaf that `view` is applied to. */
  baseShape: number[];
  /** Turns a leaf of `baseShape` into a view of the logical shape. */
  view: (leaf: Tensor) => Tensor;
}

/** Layouts for `shape`: contiguous, permuted, strided (slices with steps and offsets) or expanded, equally often. */
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
      baseShape: shape.map((d, i) => starts[i]! + Math.max(0, (d - 1) * steps[i]! + 1) + (steps[i]! > 1 ? 1 : 0)),
      view: (t) => shape.reduce<Tensor>((acc, d, i) => acc.slice(i, starts[i]!, starts[i]! + Math.max(0, (d - 1) * steps[i]! + 1), steps[i]!), t),
    }));
  const expanded = fc.array(fc.boolean(), { minLength: nd, maxLength: nd }).map((ones): Layout => ({
    kind: 'expanded',
    baseShape: shape.map((d, i) => (ones[i] ? 1 : d)),
    view: (t) => t.expand([...shape]),
  }));
  return fc.oneof(contiguous, permuted, strided, expanded);
}

/** A float leaf that requires grad, and the layout that turns it into the op's input. */
export interface Input {
  /** The leaf tensor (`requiresGrad`), of shape `layout.baseShape`; pass it to gradcheck. */
  leaf: Tensor;
  /** How `view` presents the leaf. */
  layout: Layout;
  /**
   * The logical input: `layout.view(leaf)`. Inside a function given to gradcheck, call it
   * with the function's argument (`(l) => op(inp.view(l))`) so the view is differentiated.
   */
  view: (leaf?: Tensor) => Tensor;
}

/** The floating dtypes an {@link Input} can have. */
export type FloatDType = 'float64' | 'float32';

/**
 * A generated input of logical `shape`, with values from `domain` drawn at the leaf, in a
 * generated layout. Use float64 for gradient checks.
 */
export function inputArb(shape: readonly number[], domain: Domain = 'real', dtype: FloatDType = 'float64'): fc.Arbitrary<Input> {
  return fc.tuple(layoutArb(shape), fc.integer({ min: 0, max: 2 ** 31 - 1 })).map(([layout, seed]) => {
    const data = values(layout.baseShape, seed, domain);
    const leaf = tensor(dtype === 'float64' ? data : Float32Array.from(data), { dtype }).reshape(layout.baseShape).detach().requiresGrad_();
    return { leaf, layout, view: (t = leaf) => layout.view(t) };
  });
}

/** Options of {@link tensorArb}: the shape's bounds, where values lie, and the dtype. */
export interface TensorArbOptions extends ShapeOptions {
  /** Where values lie (default `'real'`). */
  domain?: Domain;
  /** The leaf's dtype (default `'float64'`). */
  dtype?: FloatDType;
}

/** An {@link Input} of a generated shape: `shapeArb(opts).chain((s) => inputArb(s, domain, dtype))`. */
export function tensorArb(opts: TensorArbOptions = {}): fc.Arbitrary<Input> {
  const { domain = 'real', dtype = 'float64', ...shape } = opts;
  return shapeArb(shape).chain((s) => inputArb(s, domain, dtype));
}

/** The row-major multi-index of flat position `i` in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

/**
 * The flat row-major position, in a tensor of `shape`, of the element a broadcast op reads
 * for the output multi-index `idx` (leading dims dropped, size-1 dims pinned to 0).
 */
export function broadcastIndex(idx: readonly number[], shape: readonly number[]): number {
  const lead = idx.length - shape.length;
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d]! + (shape[d] === 1 ? 0 : idx[d + lead]!);
  return flat;
}
