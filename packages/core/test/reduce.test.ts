/**
 * Property tests of the reductions: forward values against plain-JS references, gradients
 * (and second derivatives for the smooth ones) by finite differences, over generated shapes,
 * dims (numbers or lists, negatives included), keepdim and layouts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amax, amin, arange, argmax, argmin, grad, logsumexp, max, mean, min, std, sum, tensor, type Tensor, variance } from '../src/index.js';
import { checkGradients, expectClose, inputArb, layoutArb, runs, shapeArb, unravel, values } from '@dynconv/testing';

type DimArg = number | number[] | undefined;

/** A `dim` argument for an `nd`-dim tensor: omitted, one dim, or a non-empty list, each dim possibly negative. */
function dimArgArb(nd: number): fc.Arbitrary<DimArg> {
  const n = Math.max(nd, 1);
  const one = fc.integer({ min: -n, max: n - 1 });
  const list = fc
    .shuffledSubarray([...Array(n).keys()], { minLength: 1 })
    .chain((ds) => fc.array(fc.boolean(), { minLength: ds.length, maxLength: ds.length }).map((neg) => ds.map((d, i) => (neg[i] ? d - n : d))));
  return fc.oneof(fc.constant(undefined), one, list);
}

/** Sorted non-negative axes a dim argument names (a 0-d tensor has none to reduce). */
function axesOf(dim: DimArg, nd: number): number[] {
  if (dim === undefined) return [...Array(nd).keys()];
  const list = typeof dim === 'number' ? [dim] : dim;
  return [...new Set(list.map((d) => (d < 0 ? d + Math.max(nd, 1) : d)))].filter((d) => d < nd).sort((a, b) => a - b);
}

/** A shape with a dim argument and keepdim. */
function reductionCaseArb(opts: Parameters<typeof shapeArb>[0] = {}) {
  return shapeArb(opts).chain((shape) =>
    fc.record({ shape: fc.constant(shape), dim: dimArgArb(shape.length), keepdim: fc.boolean() }),
  );
}

/** Groups of the values (row-major over `shape`) reduced together, in output order. */
function groups(vals: ArrayLike<number>, shape: readonly number[], axes: readonly number[]): number[][] {
  const keptShape = shape.filter((_, i) => !axes.includes(i));
  const nOut = keptShape.reduce((a, b) => a * b, 1);
  const out: number[][] = Array.from({ length: nOut }, () => []);
  for (let i = 0; i < vals.length; i++) {
    const idx = unravel(i, shape).filter((_, d) => !axes.includes(d));
    let flat = 0;
    idx.forEach((k, d) => (flat = flat * keptShape[d]! + k));
    out[flat]!.push(vals[i]!);
  }
  return out;
}

function outShape(shape: readonly number[], axes: readonly number[], keepdim: boolean): number[] {
  return keepdim ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** Reference reduction: `fn` applied to every group; the expected shape alongside. */
function reference(x: Tensor, dim: DimArg, keepdim: boolean, fn: (g: number[]) => number): { shape: number[]; data: number[] } {
  const axes = axesOf(dim, x.ndim);
  return { shape: outShape(x.shape, axes, keepdim), data: groups(x.dataSync(), x.shape, axes).map(fn) };
}

const jsSum = (g: number[]) => g.reduce((a, b) => a + b, 0);
const jsMean = (g: number[]) => jsSum(g) / g.length;
const jsVar = (c: number) => (g: number[]) => {
  const m = jsMean(g);
  return g.reduce((a, v) => a + (v - m) ** 2, 0) / Math.max(0, g.length - c);
};
const jsLse = (g: number[]) => {
  const m = Math.max(...g);
  return m + Math.log(g.reduce((a, v) => a + Math.exp(v - m), 0));
};

function expectMatches(y: Tensor, ref: { shape: number[]; data: number[] }, rtol = 1e-12, atol = 1e-12): void {
  expect(y.shape).toEqual(ref.shape);
  expectClose(y.dataSync(), ref.data, { rtol: rtol, atol: atol });
}

/** Number of elements reduced together. */
const groupSize = (shape: readonly number[], dim: DimArg) => axesOf(dim, shape.length).reduce((n, a) => n * shape[a]!, 1);

/** Small integers in a generated layout: ties are common. */
function tiedInputArb(shape: readonly number[]) {
  return fc.tuple(layoutArb(shape), fc.integer({ min: 0, max: 2 ** 31 - 1 })).map(([layout, seed]) => {
    const data = values(layout.baseShape, seed, 'unit').map((v) => Math.round(v * 2));
    const leaf = tensor(data, { dtype: 'float64' }).reshape(layout.baseShape).detach().requiresGrad_();
    return { leaf, x: layout.view(leaf) };
  });
}

/** A fixed, strictly increasing offset so a reduced group never has zero variance (even an expanded one). */
const spread = (shape: readonly number[]) => arange(0, shape.reduce((a, b) => a * b, 1), 1, { dtype: 'float64' }).mul(0.37).reshape(shape);

describe('sum and mean', () => {
  it('sum matches a reference over dims, keepdim and layouts', () => {
    fc.assert(
      fc.property(reductionCaseArb().chain((c) => fc.tuple(fc.constant(c), inputArb(c.shape))), ([{ dim, keepdim }, inp]) => {
        const x = inp.view();
        const ref = reference(x, dim, keepdim, jsSum);
        expectMatches(sum(x, dim, keepdim), ref, 1e-12, 1e-12);
        expectMatches(x.sum(dim, keepdim), ref);
      }),
      runs(),
    );
  });

  it('mean matches a reference over dims, keepdim and layouts', () => {
    fc.assert(
      fc.property(reductionCaseArb().chain((c) => fc.tuple(fc.constant(c), inputArb(c.shape))), ([{ dim, keepdim }, inp]) => {
        const x = inp.view();
        const ref = reference(x, dim, keepdim, jsMean);
        expectMatches(mean(x, dim, keepdim), ref);
        expectMatches(x.mean(dim, keepdim), ref);
      }),
      runs(),
    );
  });

  it('sum and mean pass gradcheck and gradgradcheck', () => {
    fc.assert(
      fc.property(reductionCaseArb().chain((c) => fc.tuple(fc.constant(c), inputArb(c.shape))), ([{ dim, keepdim }, inp]) => {
        checkGradients((x) => sum(inp.view(x), dim, keepdim), [inp.leaf], { second: true });
        checkGradients((x) => mean(inp.view(x), dim, keepdim), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('the gradient of sum is ones, of mean 1/n, broadcast back over the reduced dims', () => {
    fc.assert(
      fc.property(reductionCaseArb({ minDims: 1 }).chain((c) => fc.tuple(fc.constant(c), inputArb(c.shape))), ([{ shape, dim, keepdim }, inp]) => {
        const x = inp.view(); // a non-leaf for every layout but the contiguous one
        const [gs] = grad(sum(x, dim, keepdim), x, { gradOutputs: sum(x, dim, keepdim).detach().mul(0).add(1), retainGraph: true });
        expect(gs!.shape).toEqual(shape);
        expectClose(gs!.dataSync(), new Array(x.numel()).fill(1));
        const [gm] = grad(mean(x, dim, keepdim), x, { gradOutputs: mean(x, dim, keepdim).detach().mul(0).add(1), retainGraph: true });
        expectClose(gm!.dataSync(), new Array(x.numel()).fill(1 / groupSize(shape, dim)), { rtol: 1e-14, atol: 1e-15 });
      }),
      runs(),
    );
  });

  it('sums bool tensors as int32 and means integer tensors as float32', () => {
    const b = tensor([[true, false, true], [true, true, true]], { dtype: 'bool' });
    expect(sum(b).dtype).toBe('int32');
    expect(sum(b).item()).toBe(5);
    expect(sum(b, 1).toArray()).toEqual([2, 3]);
    const i = tensor([[1, 2], [3, 5]], { dtype: 'int32' });
    expect(mean(i).dtype).toBe('float32');
    expect(mean(i, 0).toArray()).toEqual([2, 3.5]);
  });
});

describe('variance and std', () => {
  const varCaseArb = reductionCaseArb().chain((c) =>
    fc.tuple(fc.constant(c), inputArb(c.shape), fc.oneof(fc.constant({}), fc.record({ unbiased: fc.boolean() }), fc.record({ correction: fc.integer({ min: 0, max: 2 }) }))),
  );
  const corr = (o: { unbiased?: boolean; correction?: number }) => o.correction ?? (o.unbiased === false ? 0 : 1);

  it('var and std match a reference (unbiased, correction, keepdim)', () => {
    fc.assert(
      fc.property(varCaseArb, ([{ dim, keepdim }, inp, o]) => {
        const x = inp.view();
        const ref = reference(x, dim, keepdim, jsVar(corr(o)));
        expectMatches(variance(x, dim, { ...o, keepdim }), ref, 1e-10, 1e-12);
        expectMatches(x.var(dim, { ...o, keepdim }), ref, 1e-10, 1e-12);
        const sref = { shape: ref.shape, data: ref.data.map(Math.sqrt) };
        expectMatches(std(x, dim, { ...o, keepdim }), sref, 1e-10, 1e-12);
        expectMatches(x.std(dim, { ...o, keepdim }), sref, 1e-10, 1e-12);
      }),
      runs(),
    );
  });

  it('var passes gradcheck and gradgradcheck where n > correction', () => {
    fc.assert(
      fc.property(varCaseArb, ([{ shape, dim, keepdim }, inp, o]) => {
        fc.pre(groupSize(shape, dim) > corr(o));
        checkGradients((x) => variance(inp.view(x), dim, { ...o, keepdim }), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('std passes gradcheck and gradgradcheck where the variance is positive', () => {
    fc.assert(
      fc.property(varCaseArb, ([{ shape, dim, keepdim }, inp, o]) => {
        fc.pre(groupSize(shape, dim) > Math.max(1, corr(o)));
        const c = spread(shape);
        checkGradients((x) => std(inp.view(x).add(c), dim, { ...o, keepdim }), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('is unbiased by default and shift invariant', () => {
    const x = tensor([1, 2, 3, 4], { dtype: 'float64' });
    expect(variance(x).item()).toBeCloseTo(5 / 3, 14);
    expect(variance(x, 0, { unbiased: false }).item()).toBeCloseTo(1.25, 14);
    expect(std(x, null, { correction: 2 }).item()).toBeCloseTo(Math.sqrt(2.5), 14);
    fc.assert(
      fc.property(reductionCaseArb({ minDims: 1 }).chain((c) => fc.tuple(fc.constant(c), inputArb(c.shape))), fc.double({ min: -100, max: 100, noNaN: true }), ([{ dim, keepdim }, inp], shift) => {
        const x = inp.view();
        expectClose(variance(x.add(shift), dim, { keepdim }).dataSync(), variance(x, dim, { keepdim }).dataSync(), { rtol: 1e-8, atol: 1e-9 });
      }),
      runs(),
    );
  });

  it('std: the gradient is 0 where the spread is 0 (PyTorch), not NaN; elsewhere unchanged', () => {
    const x = tensor([[2.5, 2.5], [1, 3]], { dtype: 'float64', requiresGrad: true });
    const [g] = grad(std(x, 1, { unbiased: false }).sum(), x);
    // Row 0 has no spread; row 1: (x - mean) / (n std) = [-1, 1] / (2 * 1).
    expect(Array.from(g!.dataSync())).toEqual([0, 0, -0.5, 0.5]);
    const one = tensor([4], { dtype: 'float64', requiresGrad: true });
    expect(grad(std(one, 0, { unbiased: false }), one)[0]!.toArray()).toEqual([0]);
  });
});

describe('amax, amin, max and min', () => {
  it('amax/amin match a reference and pass gradcheck and gradgradcheck away from ties', () => {
    fc.assert(
      fc.property(reductionCaseArb().chain((c) => fc.tuple(fc.constant(c), inputArb(c.shape))), ([{ dim, keepdim }, inp]) => {
        const x = inp.view();
        expectMatches(amax(x, dim, keepdim), reference(x, dim, keepdim, (g) => Math.max(...g)));
        expectMatches(amin(x, dim, keepdim), reference(x, dim, keepdim, (g) => Math.min(...g)));
        expectMatches(x.amax(dim, keepdim), reference(x, dim, keepdim, (g) => Math.max(...g)));
        checkGradients((l) => amax(inp.view(l), dim, keepdim), [inp.leaf], { second: true });
        checkGradients((l) => amin(inp.view(l), dim, keepdim), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('amax/amin split the gradient evenly among tied extremes', () => {
    const x = tensor([1, 3, 3, 2], { dtype: 'float64', requiresGrad: true });
    amax(x).backward();
    expect(x.grad!.toArray()).toEqual([0, 0.5, 0.5, 0]);
    fc.assert(
      fc.property(reductionCaseArb().chain((c) => fc.tuple(fc.constant(c), tiedInputArb(c.shape))), ([{ shape, dim, keepdim }, { x }]) => {
        for (const [op, pick] of [[amax, Math.max], [amin, Math.min]] as const) {
          const y = op(x, dim, keepdim);
          const [g] = grad(y, x, { gradOutputs: y.detach().mul(0).add(1), retainGraph: true });
          const axes = axesOf(dim, shape.length);
          const vals = x.dataSync();
          const gs = groups(vals, shape, axes);
          const best = gs.map((gr) => pick(...gr));
          const count = gs.map((gr, k) => gr.filter((v) => v === best[k]).length);
          // Map every element to its group by reducing the element indices.
          const gid = groups([...vals.keys()], shape, axes);
          const expected = new Array<number>(vals.length).fill(0);
          gid.forEach((members, k) => members.forEach((i) => (expected[i] = vals[i] === best[k] ? 1 / count[k]! : 0)));
          expectClose(g!.dataSync(), expected);
        }
      }),
      runs(),
    );
  });

  const dimCaseArb = shapeArb({ minDims: 1 }).chain((shape) =>
    fc.record({ shape: fc.constant(shape), dim: fc.integer({ min: -shape.length, max: shape.length - 1 }), keepdim: fc.boolean() }),
  );

  it('max/min with a dim return values and int32 indices matching a reference (first index on ties)', () => {
    fc.assert(
      fc.property(dimCaseArb.chain((c) => fc.tuple(fc.constant(c), tiedInputArb(c.shape))), ([{ shape, dim, keepdim }, { x }]) => {
        const axes = axesOf(dim, shape.length);
        const gs = groups(x.dataSync(), shape, axes);
        for (const [r, pick] of [[max(x, dim, keepdim), Math.max], [min(x, dim, keepdim), Math.min], [x.max(dim, keepdim), Math.max]] as const) {
          const best = gs.map((g) => pick(...g));
          expect(r.values.shape).toEqual(outShape(shape, axes, keepdim));
          expect(r.indices.shape).toEqual(outShape(shape, axes, keepdim));
          expect(r.indices.dtype).toBe('int32');
          expect(r.indices.requiresGrad).toBe(false);
          expectClose(r.values.dataSync(), best);
          expect([...r.indices.dataSync()]).toEqual(gs.map((g, k) => g.indexOf(best[k]!)));
        }
      }),
      runs(),
    );
  });

  it('max/min with a dim send the whole gradient to the selected element, even among ties', () => {
    fc.assert(
      fc.property(dimCaseArb.chain((c) => fc.tuple(fc.constant(c), tiedInputArb(c.shape))), ([{ shape, dim, keepdim }, { x }]) => {
        for (const op of [max, min]) {
          const { values: y, indices } = op(x, dim, keepdim);
          const seed = tensor(values(y.shape, 7).map((v) => v + 3), { dtype: 'float64' }).reshape(y.shape);
          const [g] = grad(y, x, { gradOutputs: seed, retainGraph: true });
          const axes = axesOf(dim, shape.length);
          const gid = groups([...Array(x.numel()).keys()], shape, axes);
          const idx = indices.dataSync();
          const sd = seed.dataSync();
          const expected = new Array<number>(x.numel()).fill(0);
          gid.forEach((members, k) => (expected[members[idx[k]!]!] = sd[k]!));
          expectClose(g!.dataSync(), expected);
        }
      }),
      runs(),
    );
  });

  it('max/min with a dim pass gradcheck and gradgradcheck; without a dim give the scalar extreme', () => {
    fc.assert(
      fc.property(dimCaseArb.chain((c) => fc.tuple(fc.constant(c), inputArb(c.shape))), ([{ dim, keepdim }, inp]) => {
        checkGradients((l) => max(inp.view(l), dim, keepdim).values, [inp.leaf], { second: true });
        checkGradients((l) => min(inp.view(l), dim, keepdim).values, [inp.leaf], { second: true });
        const x = inp.view();
        const all = [...x.dataSync()];
        expect(max(x).shape).toEqual([]);
        expect(max(x).item()).toBe(Math.max(...all));
        expect(min(x).item()).toBe(Math.min(...all));
        expect(x.max().item()).toBe(Math.max(...all));
        checkGradients((l) => max(inp.view(l)), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('propagates NaN', () => {
    const x = tensor([[1, NaN, 3], [4, 5, 6]], { dtype: 'float64' });
    expect(Number.isNaN(amax(x, 1).dataSync()[0])).toBe(true);
    expect(amax(x, 1).dataSync()[1]).toBe(6);
    expect(Number.isNaN(amin(x).item())).toBe(true);
  });
});

describe('argmax and argmin', () => {
  it('match a reference (int32, first index on ties, flattened without a dim) and are not differentiable', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((shape) =>
          fc.tuple(fc.constant(shape), tiedInputArb(shape), fc.option(fc.integer({ min: -Math.max(shape.length, 1), max: Math.max(shape.length, 1) - 1 }), { nil: undefined }), fc.boolean()),
        ),
        ([shape, { x }, dim, keepdim]) => {
          const vals = [...x.dataSync()];
          for (const [op, pick] of [[argmax, Math.max], [argmin, Math.min]] as const) {
            const r = op(x, dim, keepdim);
            expect(r.dtype).toBe('int32');
            expect(r.requiresGrad).toBe(false);
            if (dim === undefined) {
              expect(r.shape).toEqual(keepdim ? shape.map(() => 1) : []);
              expect(r.item()).toBe(vals.indexOf(pick(...vals)));
            } else {
              const axes = axesOf(dim, shape.length);
              expect(r.shape).toEqual(outShape(shape, axes, keepdim));
              const gs = groups(vals, shape, axes);
              expect([...r.dataSync()]).toEqual(gs.map((g) => g.indexOf(pick(...g))));
            }
          }
          expect([...x.argmax(dim, keepdim).dataSync()]).toEqual([...argmax(x, dim, keepdim).dataSync()]);
        },
      ),
      runs(),
    );
  });

  it('hand-checked example', () => {
    const x = tensor([[1, 5, 5], [7, 0, 7]]);
    expect(argmax(x, 1).toArray()).toEqual([1, 0]);
    expect(argmin(x, 0).toArray()).toEqual([0, 1, 0]);
    expect(argmax(x).item()).toBe(3);
    expect(argmax(x, -1, true).toArray()).toEqual([[1], [0]]);
  });
});

describe('logsumexp', () => {
  const lseCaseArb = shapeArb().chain((shape) =>
    fc.tuple(
      fc.record({ shape: fc.constant(shape), dim: dimArgArb(shape.length).filter((d): d is number | number[] => d !== undefined), keepdim: fc.boolean() }),
      inputArb(shape),
    ),
  );

  it('matches a reference and stays finite for large values', () => {
    fc.assert(
      fc.property(lseCaseArb, fc.constantFrom(0, 800, -800), ([{ dim, keepdim }, inp], shift) => {
        const x = inp.view().add(shift);
        const ref = reference(x, dim, keepdim, jsLse);
        expectMatches(logsumexp(x, dim, keepdim), ref, 1e-12, 1e-12);
        expectMatches(x.logsumexp(dim, keepdim), ref, 1e-12, 1e-12);
      }),
      runs(),
    );
  });

  it('passes gradcheck and gradgradcheck, and its gradient is softmax', () => {
    fc.assert(
      fc.property(lseCaseArb, ([{ shape, dim, keepdim }, inp]) => {
        checkGradients((l) => logsumexp(inp.view(l), dim, keepdim), [inp.leaf], { second: true });
        const x = inp.view();
        const y = logsumexp(x, dim, keepdim);
        const [g] = grad(y, x, { gradOutputs: y.detach().mul(0).add(1), retainGraph: true });
        const axes = axesOf(dim, shape.length);
        const vals = x.dataSync();
        const lse = groups(vals, shape, axes).map(jsLse);
        const gid = groups([...vals.keys()], shape, axes);
        const expected = new Array<number>(vals.length);
        gid.forEach((members, k) => members.forEach((i) => (expected[i] = Math.exp(vals[i]! - lse[k]!))));
        expectClose(g!.dataSync(), expected, { rtol: 1e-12, atol: 1e-14 });
      }),
      runs(),
    );
  });

  it('handles rows of -inf and +inf', () => {
    const x = tensor([[-Infinity, -Infinity], [Infinity, 1], [0, -Infinity]], { dtype: 'float64' });
    const y = logsumexp(x, 1).dataSync();
    expect(y[0]).toBe(-Infinity);
    expect(y[1]).toBe(Infinity);
    expect(y[2]).toBe(0);
  });
});

describe('bad input', () => {
  it('rejects out-of-range and repeated dims, naming the op and the dim', () => {
    const x = tensor([[1, 2], [3, 4]], { dtype: 'float64' });
    expect(() => sum(x, 5)).toThrow(/sum.*dim=5.*out of range.*2 dimension/);
    expect(() => x.sum(-3)).toThrow(/sum.*dim=-3/);
    expect(() => mean(x, [0, 2])).toThrow(/mean.*dim=2/);
    expect(() => variance(x, 4)).toThrow(/var.*dim=4/);
    expect(() => std(x, 4)).toThrow(/var.*dim=4/);
    expect(() => amax(x, 2)).toThrow(/amax.*dim=2/);
    expect(() => amin(x, -5)).toThrow(/amin.*dim=-5/);
    expect(() => max(x, 2)).toThrow(/max.*dim=2/);
    expect(() => min(x, 3)).toThrow(/min.*dim=3/);
    expect(() => argmax(x, 2)).toThrow(/argmax.*dim=2/);
    expect(() => argmin(x, -3)).toThrow(/argmin.*dim=-3/);
    expect(() => logsumexp(x, 7)).toThrow(/logsumexp.*dim=7/);
    expect(() => sum(x, [0, -2])).toThrow(/sum.*twice/);
    expect(() => sum(x, 0.5)).toThrow(/sum.*dim=0.5/);
  });

  it('rejects extremes over an empty dim and non-tensors', () => {
    const e = tensor([[], []], { dtype: 'float64' });
    expect(e.shape).toEqual([2, 0]);
    expect(() => amax(e, 1)).toThrow(/amax.*zero-size.*\[2, 0\]/);
    expect(() => argmax(e)).toThrow(/argmax.*empty/);
    expect(() => argmin(e, 1)).toThrow(/argmin.*zero-size.*\[2, 0\]/);
    expect(sum(e, 1).toArray()).toEqual([0, 0]);
    expect(() => sum([1, 2] as unknown as Tensor)).toThrow(/sum.*must be a Tensor.*array/);
  });
});
