/**
 * Property tests of cat, stack, split, chunk and pad: values against index arithmetic on the
 * inputs, round trips (cat of a split), aliasing of the split views, and gradients (first and
 * second order) with every input in a generated layout.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cat, chunk, pad, type PadMode, split, stack, tensor, type Tensor } from '../src/index.js';
import { checkGradients, expectClose, inputArb, runs, shapeArb, unravel } from '@dynconv/testing';

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const ravel = (idx: readonly number[], shape: readonly number[]) => idx.reduce((f, k, d) => f * shape[d]! + k, 0);
const norm = (d: number, nd: number) => (d < 0 ? d + nd : d);

/** k inputs that agree outside `dim`, each with its own size along it. */
const catCaseArb = shapeArb({ minDims: 1 }).chain((shape) =>
  fc.integer({ min: -shape.length, max: shape.length - 1 }).chain((dim) =>
    fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }).chain((sizes) =>
      fc.tuple(fc.constant(dim), fc.tuple(...sizes.map((s) => inputArb(shape.map((v, i) => (i === norm(dim, shape.length) ? s : v)))))),
    ),
  ),
);

function refCat(xs: Tensor[], dim: number): { shape: number[]; data: number[] } {
  const d = norm(dim, xs[0]!.ndim);
  const shape = [...xs[0]!.shape];
  shape[d] = xs.reduce((n, x) => n + x.shape[d]!, 0);
  const vals = xs.map((x) => x.dataSync());
  const data = Array.from({ length: numel(shape) }, (_, k) => {
    const idx = unravel(k, shape);
    let piece = 0;
    while (idx[d]! >= xs[piece]!.shape[d]!) idx[d]! -= xs[piece++]!.shape[d]!;
    return vals[piece]![ravel(idx, xs[piece]!.shape)]!;
  });
  return { shape, data };
}

describe('cat', () => {
  it('matches index arithmetic over the pieces, in any layouts', () => {
    fc.assert(
      fc.property(catCaseArb, ([dim, inps]) => {
        const xs = inps.map((i) => i.view());
        const ref = refCat(xs, dim);
        const y = cat(xs, dim);
        expect(y.shape).toEqual(ref.shape);
        expectClose(y.dataSync(), ref.data, { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it('passes gradcheck and gradgradcheck in every input', () => {
    fc.assert(
      fc.property(catCaseArb, ([dim, inps]) => {
        checkGradients((...ls) => cat(ls.map((l, i) => inps[i]!.view(l)), dim), inps.map((i) => i.leaf), { second: true });
      }),
      runs(),
    );
  });

  it('promotes dtypes, defaults to dim 0, and accepts empty pieces', () => {
    const y = cat([tensor([[1, 2]], { dtype: 'int32' }), tensor([[0.5, 1.5]], { dtype: 'float64' })]);
    expect(y.dtype).toBe('float64');
    expect(y.toArray()).toEqual([[1, 2], [0.5, 1.5]]);
    const a = tensor([[1], [2]], { dtype: 'float64', requiresGrad: true });
    const e = tensor([[], []], { dtype: 'float64', requiresGrad: true });
    const z = cat([e, a, e], 1);
    expect(z.toArray()).toEqual([[1], [2]]);
    z.mul(tensor([[3], [4]], { dtype: 'float64' })).sum().backward();
    expect(a.grad!.toArray()).toEqual([[3], [4]]);
    expect(e.grad!.shape).toEqual([2, 0]);
  });

  it('rejects mismatched shapes and empty lists, naming cat and the shapes', () => {
    const a = tensor(new Float64Array(6)).reshape([2, 3]);
    const b = tensor(new Float64Array(8)).reshape([2, 4]);
    expect(() => cat([a, b], 0)).toThrow(/cat: tensors\[1\] has shape \[2, 4\], which does not match tensors\[0\] \[2, 3\] outside dim 0/);
    expect(cat([a, b], 1).shape).toEqual([2, 7]);
    expect(() => cat([a, b.reshape([8])], 0)).toThrow(/cat: tensors\[1\] has shape \[8\].*\[2, 3\]/);
    expect(() => cat([a, a], 2)).toThrow(/cat: dim=2 is out of range/);
    expect(() => cat([])).toThrow(/cat: expects a non-empty list/);
  });
});

describe('stack', () => {
  const stackCaseArb = shapeArb().chain((shape) =>
    fc.tuple(
      fc.constant(shape),
      fc.integer({ min: -shape.length - 1, max: shape.length }),
      fc.integer({ min: 1, max: 4 }).chain((k) => fc.array(inputArb(shape), { minLength: k, maxLength: k })),
    ),
  );

  it('matches index arithmetic: out[..., i, ...] = xs[i]', () => {
    fc.assert(
      fc.property(stackCaseArb, ([shape, dim, inps]) => {
        const xs = inps.map((i) => i.view());
        const d = norm(dim, shape.length + 1);
        const outShape = [...shape.slice(0, d), xs.length, ...shape.slice(d)];
        const vals = xs.map((x) => x.dataSync());
        const y = stack(xs, dim);
        expect(y.shape).toEqual(outShape);
        const expected = Array.from({ length: numel(outShape) }, (_, k) => {
          const idx = unravel(k, outShape);
          const [piece] = idx.splice(d, 1);
          return vals[piece!]![ravel(idx, shape)]!;
        });
        expectClose(y.dataSync(), expected, { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it('passes gradcheck and gradgradcheck in every input', () => {
    fc.assert(
      fc.property(stackCaseArb, ([, dim, inps]) => {
        checkGradients((...ls) => stack(ls.map((l, i) => inps[i]!.view(l)), dim), inps.map((i) => i.leaf), { second: true });
      }),
      runs(),
    );
  });

  it('rejects tensors of different shapes, naming stack and both shapes', () => {
    const a = tensor(new Float64Array(6)).reshape([2, 3]);
    expect(() => stack([a, a.reshape([3, 2])])).toThrow(/stack: all tensors must have the same shape, got \[2, 3\] and \[3, 2\] at index 1/);
    expect(() => stack([a, a], 3)).toThrow(/stack: dim=3 is out of range/);
    expect(() => stack([])).toThrow(/stack: expects a non-empty list/);
  });
});

/** An input with a dim of it and a way to split that dim: a piece size or a list of sizes. */
const splitCaseArb = shapeArb({ minDims: 1 }).chain((shape) =>
  fc.integer({ min: -shape.length, max: shape.length - 1 }).chain((dim) => {
    const n = shape[norm(dim, shape.length)]!;
    // A list: cut points in 0..n (repeats give empty pieces).
    const list = fc.array(fc.integer({ min: 0, max: n }), { maxLength: 3 }).map((cuts) => {
      const pts = [0, ...cuts.sort((a, b) => a - b), n];
      return pts.slice(1).map((p, i) => p - pts[i]!);
    });
    return fc.tuple(inputArb(shape), fc.constant(dim), fc.oneof(fc.integer({ min: 1, max: 6 }), list));
  }),
);

function expectedSizes(n: number, how: number | number[]): number[] {
  if (Array.isArray(how)) return how;
  const sizes: number[] = [];
  for (let s = 0; s < n; s += how) sizes.push(Math.min(how, n - s));
  return sizes;
}

describe('split and chunk', () => {
  it('split gives views of the right sizes whose cat is the input', () => {
    fc.assert(
      fc.property(splitCaseArb, ([inp, dim, how]) => {
        const x = inp.view();
        const d = norm(dim, x.ndim);
        const pieces = typeof how === 'number' && how % 2 ? x.split(how, dim) : split(x, how, dim);
        expect(pieces.map((p) => p.shape[d])).toEqual(expectedSizes(x.shape[d]!, how));
        let start = 0;
        for (const p of pieces) {
          expect(p.storage).toBe(x.storage);
          expect(p.shape).toEqual(x.shape.map((v, i) => (i === d ? p.shape[d]! : v)));
          expectClose(p.dataSync(), x.narrow(d, start, p.shape[d]!).contiguous().dataSync(), { rtol: 0, atol: 0 });
          start += p.shape[d]!;
        }
        expectClose(cat(pieces, dim).dataSync(), x.dataSync(), { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it('split passes gradcheck and gradgradcheck (all pieces as outputs)', () => {
    fc.assert(
      fc.property(splitCaseArb, ([inp, dim, how]) => {
        checkGradients((l) => split(inp.view(l), how, dim), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('chunk gives ceil(n / chunks)-sized views (fewer pieces when the dim is small)', () => {
    fc.assert(
      fc.property(
        shapeArb({ minDims: 1 }).chain((shape) =>
          fc.integer({ min: -shape.length, max: shape.length - 1 }).chain((dim) =>
            fc.tuple(inputArb(shape), fc.constant(dim), fc.integer({ min: 1, max: shape[norm(dim, shape.length)]! + 1 })),
          ),
        ),
        ([inp, dim, chunks]) => {
          const x = inp.view();
          const d = norm(dim, x.ndim);
          const n = x.shape[d]!;
          const size = Math.ceil(n / chunks);
          const pieces = chunk(x, chunks, dim);
          expect(pieces.length).toBe(Math.ceil(n / size));
          expect(pieces.length).toBeLessThanOrEqual(chunks);
          expect(pieces.map((p) => p.shape[d])).toEqual(expectedSizes(n, size));
          pieces.forEach((p) => expect(p.storage).toBe(x.storage));
          expectClose(cat(x.chunk(chunks, dim), dim).dataSync(), x.dataSync(), { rtol: 0, atol: 0 });
          checkGradients((l) => chunk(inp.view(l), chunks, dim), [inp.leaf], { second: true });
        },
      ),
      runs(),
    );
  });

  it('hand-checked example and bad input', () => {
    const x = tensor([0, 1, 2, 3, 4], { dtype: 'float64' });
    expect(split(x, 2).map((p) => p.toArray())).toEqual([[0, 1], [2, 3], [4]]);
    expect(split(x, [1, 0, 4]).map((p) => p.toArray())).toEqual([[0], [], [1, 2, 3, 4]]);
    expect(chunk(x, 3).map((p) => p.toArray())).toEqual([[0, 1], [2, 3], [4]]);
    expect(chunk(tensor([0, 1, 2, 3, 4, 5]), 4).map((p) => p.toArray())).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(() => split(x, [2, 2])).toThrow(/split: sizes \[2, 2\] must be non-negative integers summing to 5 \(dim 0 of shape \[5\]\)/);
    expect(() => split(x, 0)).toThrow(/split: splitSize must be a positive integer, got 0/);
    expect(() => split(x, 2, 1)).toThrow(/split: dim=1 is out of range/);
    expect(() => chunk(x, 0)).toThrow(/chunk: chunks must be a positive integer, got 0/);
  });
});

/** An input and a pad list (pairs from the last dim) whose crops fit. */
const padCaseArb = shapeArb({ minDims: 1 }).chain((shape) =>
  fc.integer({ min: 1, max: shape.length }).chain((pairs) =>
    fc
      .tuple(
        inputArb(shape),
        fc.array(fc.tuple(fc.integer({ min: -2, max: 3 }), fc.integer({ min: -2, max: 3 })), { minLength: pairs, maxLength: pairs }),
        fc.constantFrom(0, -1.5, 7),
      )
      .map(([inp, ps, value]) => {
        // Shrink crops that would take more than the dim holds.
        const fixed = ps.map(([lo, hi], i): [number, number] => {
          const size = shape[shape.length - 1 - i]!;
          const clo = Math.max(lo, -size);
          const chi = Math.max(hi, -(size + Math.min(0, clo)));
          return [clo, chi];
        });
        return { inp, pads: fixed.flat(), value };
      }),
  ),
);

describe('pad', () => {
  it('matches index arithmetic: padded positions hold the value, negative pads crop', () => {
    fc.assert(
      fc.property(padCaseArb, ({ inp, pads, value }) => {
        const x = inp.view();
        const nd = x.ndim;
        const before = x.shape.map((_, d) => (nd - 1 - d < pads.length / 2 ? pads[2 * (nd - 1 - d)]! : 0));
        const after = x.shape.map((_, d) => (nd - 1 - d < pads.length / 2 ? pads[2 * (nd - 1 - d) + 1]! : 0));
        const outShape = x.shape.map((s, d) => s + before[d]! + after[d]!);
        const xv = x.dataSync();
        const expected = Array.from({ length: numel(outShape) }, (_, k) => {
          const idx = unravel(k, outShape).map((o, d) => o - before[d]!);
          return idx.every((i, d) => i >= 0 && i < x.shape[d]!) ? xv[ravel(idx, x.shape)]! : value;
        });
        const y = pad(x, pads, value);
        expect(y.shape).toEqual(outShape);
        expectClose(y.dataSync(), expected, { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it('passes gradcheck and gradgradcheck', () => {
    fc.assert(
      fc.property(padCaseArb, ({ inp, pads, value }) => {
        checkGradients((l) => pad(inp.view(l), pads, value), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('hand-checked example and bad input', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    expect(pad(x, [1, -1]).toArray()).toEqual([[0, 1, 2], [0, 4, 5]]);
    expect(pad(x, [0, 0, 1, 0], 9).toArray()).toEqual([[9, 9, 9], [1, 2, 3], [4, 5, 6]]);
    expect(pad(x, [-3, 0]).shape).toEqual([2, 0]);
    expect(() => pad(x, [1])).toThrow(/pad: pad must list an even number of integers.*\[1\] for shape \[2, 3\]/);
    expect(() => pad(x, [1, 1, 1, 1, 1, 1])).toThrow(/pad: .*\[2, 3\]/);
    expect(() => pad(x, [-2, -2])).toThrow(/pad: cropping 4 from dim 1 of size 3 \(shape \[2, 3\]/);
  });
});

/** Source index of a non-constant pad mode along one dim, the textbook way. */
function padSource(mode: Exclude<PadMode, 'constant'>, i: number, n: number): number {
  if (mode === 'replicate') return Math.min(Math.max(i, 0), n - 1);
  if (mode === 'circular') return (i + n) % n;
  return i < 0 ? -i : i >= n ? 2 * n - 2 - i : i;
}

/** An input of 2 to 4 dims and amounts for its last 1 to ndim-1 (at most 3) dims, valid for `mode`. */
const padModeCaseArb = fc.constantFrom<Exclude<PadMode, 'constant'>>('reflect', 'replicate', 'circular').chain((mode) =>
  shapeArb({ minDims: 2, maxDims: 4, minSize: 2, maxSize: 4 }).chain((shape) =>
    fc.integer({ min: 1, max: Math.min(3, shape.length - 1) }).chain((dims) =>
      fc.tuple(
        fc.constant(mode),
        inputArb(shape),
        fc.tuple(...Array.from({ length: 2 * dims }, (_, j) => {
          const n = shape[shape.length - 1 - (j >> 1)]!;
          return fc.integer({ min: 0, max: mode === 'reflect' ? n - 1 : mode === 'circular' ? n : 3 });
        })),
      ),
    ),
  ),
);

describe('pad modes reflect, replicate, circular', () => {
  it('match index arithmetic (mirror without the edge, repeat the edge, wrap around)', () => {
    fc.assert(
      fc.property(padModeCaseArb, ([mode, inp, pads]) => {
        const x = inp.view();
        const nd = x.ndim;
        const before = x.shape.map((_, d) => (nd - 1 - d < pads.length / 2 ? pads[2 * (nd - 1 - d)]! : 0));
        const after = x.shape.map((_, d) => (nd - 1 - d < pads.length / 2 ? pads[2 * (nd - 1 - d) + 1]! : 0));
        const outShape = x.shape.map((s, d) => s + before[d]! + after[d]!);
        const xv = x.dataSync();
        const expected = Array.from({ length: numel(outShape) }, (_, k) => {
          const idx = unravel(k, outShape).map((o, d) => padSource(mode, o - before[d]!, x.shape[d]!));
          return xv[ravel(idx, x.shape)]!;
        });
        const y = pad(x, pads, mode);
        expect(y.shape).toEqual(outShape);
        expectClose(y.dataSync(), expected, { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it('pass gradcheck and gradgradcheck', () => {
    fc.assert(
      fc.property(padModeCaseArb, ([mode, inp, pads]) => {
        checkGradients((l) => pad(inp.view(l), pads, mode), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('hand-checked examples; unknown modes and out-of-range amounts are refused', () => {
    const x = tensor([[1, 2, 3]], { dtype: 'float64' });
    expect(pad(x, [2, 1], 'reflect').toArray()).toEqual([[3, 2, 1, 2, 3, 2]]);
    expect(pad(x, [2, 1], 'replicate').toArray()).toEqual([[1, 1, 1, 2, 3, 3]]);
    expect(pad(x, [2, 1], 'circular').toArray()).toEqual([[2, 3, 1, 2, 3, 1]]);
    expect(pad(x, [1, 0], 'constant', 7).toArray()).toEqual([[7, 1, 2, 3]]);
    // The reported bug: an unknown mode used to fill with NaN.
    expect(() => pad(x, [1, 1], 'mirror' as PadMode)).toThrow(/pad: mode must be one of 'constant', 'reflect', 'replicate', 'circular'.*"mirror"/);
    expect(() => pad(x, [3, 0], 'reflect')).toThrow(/pad: mode 'reflect' needs each amount smaller than the dim \(3\), got 3 and 0 for dim 1 of shape \[1, 3\]/);
    expect(() => pad(x, [4, 0], 'circular')).toThrow(/at most the dim \(3\)/);
    expect(() => pad(x, [-1, 0], 'replicate')).toThrow(/non-negative/);
    expect(() => pad(tensor([1, 2, 3]), [1, 1], 'reflect')).toThrow(/one more dim/);
    expect(() => pad(x, [1, 1], 'reflect', 2)).toThrow(/value is only used by mode 'constant'/);
  });
});
