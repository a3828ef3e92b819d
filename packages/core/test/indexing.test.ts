/**
 * Property tests of gather, scatterAdd, indexSelect and oneHot: values against index loops,
 * gradients (first and second order) with the float inputs in generated layouts, index
 * tensors (int32, in generated layouts too) built from valid positions of the shapes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, gather, indexSelect, oneHot, randint, scatterAdd, tensor, type Tensor } from '../src/index.js';
import { checkGradients, expectClose, inputArb, layoutArb, runs, shapeArb, unravel } from '@dynconv/testing';

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const ravel = (idx: readonly number[], shape: readonly number[]) => idx.reduce((f, k, d) => f * shape[d]! + k, 0);
const norm = (d: number, nd: number) => (d < 0 ? d + Math.max(nd, 1) : d);
const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** An int32 index tensor of `shape` with values in [0, high), laid out as a generated layout. */
function indexArb(shape: readonly number[], high: number): fc.Arbitrary<Tensor> {
  return fc.tuple(layoutArb(shape), seedArb).map(([layout, seed]) => {
    const g = new Generator(seed);
    const data = Int32Array.from({ length: numel(layout.baseShape) }, () => g.nextInt(0, high));
    return layout.view(tensor(data).reshape(layout.baseShape));
  });
}

/** x, a dim, and an index shape that gather/scatterAdd accept: no larger than x outside dim. */
const gatherCaseArb = shapeArb({ minDims: 1 }).chain((shape) =>
  fc.integer({ min: -shape.length, max: shape.length - 1 }).chain((dim) => {
    const d = norm(dim, shape.length);
    const idxShape = fc.tuple(...shape.map((s, i) => fc.integer({ min: 1, max: i === d ? 4 : s })));
    return idxShape.chain((is) => fc.tuple(fc.constant(shape), fc.constant(dim), inputArb(shape), indexArb(is, shape[d]!)));
  }),
);

function refGather(x: Tensor, dim: number, index: Tensor): number[] {
  const d = norm(dim, x.ndim);
  const xv = x.dataSync();
  const iv = index.dataSync();
  return Array.from({ length: index.numel() }, (_, p) => {
    const at = unravel(p, index.shape);
    at[d] = iv[p]!;
    return xv[ravel(at, x.shape)]!;
  });
}

describe('gather', () => {
  it('out[p] = x[p with dim replaced by index[p]], with x and index in any layout', () => {
    fc.assert(
      fc.property(gatherCaseArb, ([, dim, inp, index]) => {
        const x = inp.view();
        for (const y of [gather(x, dim, index), x.gather(dim, index)]) {
          expect(y.shape).toEqual(index.shape);
          expect(y.dtype).toBe('float64');
          expectClose(y.dataSync(), refGather(x, dim, index), { rtol: 0, atol: 0 });
        }
      }),
      runs(),
    );
  });

  it('passes gradcheck and gradgradcheck', () => {
    fc.assert(
      fc.property(gatherCaseArb, ([, dim, inp, index]) => {
        checkGradients((l) => gather(inp.view(l), dim, index), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('its gradient counts how often each element was gathered', () => {
    fc.assert(
      fc.property(gatherCaseArb, ([shape, dim, inp, index]) => {
        const x = inp.view().detach().requiresGrad_();
        gather(x, dim, index).sum().backward();
        const counts = new Array<number>(numel(shape)).fill(0);
        const d = norm(dim, shape.length);
        const iv = index.dataSync();
        for (let p = 0; p < index.numel(); p++) {
          const at = unravel(p, index.shape);
          at[d] = iv[p]!;
          counts[ravel(at, shape)]! += 1;
        }
        expectClose(x.grad!.dataSync(), counts, { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it('hand-checked example', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(gather(x, 1, tensor([[0, 0], [1, 0]], { dtype: 'int32' })).toArray()).toEqual([[1, 1], [4, 3]]);
    expect(gather(x, 0, tensor([[1, 0, 1]], { dtype: 'int32' }).narrow(1, 0, 2)).toArray()).toEqual([[3, 2]]);
  });
});

/** base, a dim, an index and a src at least as large as the index. */
const scatterCaseArb = gatherCaseArb.chain(([shape, dim, base, index]) =>
  fc
    .tuple(...index.shape.map((s) => fc.integer({ min: s, max: s + 1 })))
    .chain((srcShape) => fc.tuple(fc.constant(shape), fc.constant(dim), fc.constant(base), fc.constant(index), inputArb(srcShape))),
);

describe('scatterAdd', () => {
  it('adds src[p] at base[p with dim replaced by index[p]] (repeats accumulate; extra src is ignored)', () => {
    fc.assert(
      fc.property(scatterCaseArb, ([shape, dim, ib, index, is]) => {
        const base = ib.view();
        const src = is.view();
        const d = norm(dim, shape.length);
        const expected = [...base.dataSync()];
        const iv = index.dataSync();
        const sv = src.dataSync();
        for (let p = 0; p < index.numel(); p++) {
          const at = unravel(p, index.shape);
          const s = sv[ravel(at, src.shape)]!;
          at[d] = iv[p]!;
          expected[ravel(at, shape)]! += s;
        }
        const before = [...base.dataSync()];
        const y = scatterAdd(base, dim, index, src);
        expect(y.shape).toEqual(shape);
        expectClose(y.dataSync(), expected, { rtol: 1e-15, atol: 1e-15 });
        expect([...base.dataSync()]).toEqual(before); // out of place
      }),
      runs(),
    );
  });

  it('passes gradcheck and gradgradcheck in base and src', () => {
    fc.assert(
      fc.property(scatterCaseArb, ([, dim, ib, index, is]) => {
        checkGradients((b, s) => scatterAdd(ib.view(b), dim, index, is.view(s)), [ib.leaf, is.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('hand-checked example', () => {
    const base = tensor([[0, 0, 0], [0, 0, 0]]);
    const index = tensor([[0, 2, 0]], { dtype: 'int32' });
    const src = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(scatterAdd(base, 1, index, src).toArray()).toEqual([[4, 0, 2], [0, 0, 0]]);
  });
});

describe('indexSelect', () => {
  const caseArb = shapeArb({ minDims: 1 }).chain((shape) =>
    fc.integer({ min: -shape.length, max: shape.length - 1 }).chain((dim) => {
      const size = shape[norm(dim, shape.length)]!;
      return fc.tuple(
        fc.constant(dim),
        inputArb(shape),
        fc.oneof(
          fc.array(fc.integer({ min: 0, max: size - 1 }), { maxLength: 5 }).map((ix) => tensor(ix, { dtype: 'int32' })),
          fc.integer({ min: 0, max: size - 1 }).map((i) => tensor(i, { dtype: 'int32' })),
          seedArb.map((s) => randint(0, size, [3], { dtype: 'int32', generator: new Generator(s) })),
        ),
      );
    }),
  );

  it('picks the listed slices along dim (repeats allowed) in any layout', () => {
    fc.assert(
      fc.property(caseArb, ([dim, inp, index]) => {
        const x = inp.view();
        const d = norm(dim, x.ndim);
        const iv = [...index.dataSync()];
        const outShape = x.shape.map((s, i) => (i === d ? iv.length : s));
        const xv = x.dataSync();
        const expected = Array.from({ length: numel(outShape) }, (_, k) => {
          const at = unravel(k, outShape);
          at[d] = iv[at[d]!]!;
          return xv[ravel(at, x.shape)]!;
        });
        for (const y of [indexSelect(x, dim, index), x.indexSelect(dim, index)]) {
          expect(y.shape).toEqual(outShape);
          expectClose(y.dataSync(), expected, { rtol: 0, atol: 0 });
        }
      }),
      runs(),
    );
  });

  it('passes gradcheck and gradgradcheck', () => {
    fc.assert(
      fc.property(caseArb, ([dim, inp, index]) => {
        checkGradients((l) => indexSelect(inp.view(l), dim, index), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });
});

describe('oneHot', () => {
  it('puts a single 1 at each class value; not differentiable; numClasses=-1 infers max + 1', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((shape) =>
          fc.integer({ min: 1, max: 5 }).chain((c) => fc.tuple(fc.constant(c), indexArb(shape, c), fc.integer({ min: 0, max: 2 }))),
        ),
        ([c, index, extra]) => {
          const iv = [...index.dataSync()];
          const y = oneHot(index, c + extra);
          expect(y.dtype).toBe('int32');
          expect(y.requiresGrad).toBe(false);
          expect(y.shape).toEqual([...index.shape, c + extra]);
          expect([...y.dataSync()]).toEqual(iv.flatMap((v) => Array.from({ length: c + extra }, (_, k) => (k === v ? 1 : 0))));
          const inferred = oneHot(index);
          expect(inferred.shape).toEqual([...index.shape, Math.max(...iv) + 1]);
          expect(oneHot(index, c, { dtype: 'float64' }).dtype).toBe('float64');
        },
      ),
      runs(),
    );
  });
});

describe('bad input', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });

  it('gather/scatterAdd reject out-of-range indices and mismatched index shapes, naming the op and values', () => {
    expect(() => gather(x, 1, tensor([[0, 3]], { dtype: 'int32' }))).toThrow(/gather: index 3 is out of bounds for dim 1 with size 3/);
    expect(() => gather(x, 0, tensor([[-1]], { dtype: 'int32' }))).toThrow(/gather: index -1 is out of bounds for dim 0 with size 2/);
    expect(() => gather(x, 1, tensor([0, 1], { dtype: 'int32' }))).toThrow(/gather: index \[2\] must have the same number of dims as x \[2, 3\]/);
    expect(() => gather(x, 1, tensor([[0], [0], [0]], { dtype: 'int32' }))).toThrow(/gather: index \[3, 1\] .*x \[2, 3\]/);
    expect(() => gather(x, 2, tensor([[0]], { dtype: 'int32' }))).toThrow(/gather: dim=2 is out of range/);
    expect(() => gather(x, 1, tensor([[true]], { dtype: 'bool' }))).toThrow(/gather: index must hold integers.*bool/);
    const src = tensor([[1, 1]], { dtype: 'float64' });
    expect(() => scatterAdd(x, 1, tensor([[5, 0]], { dtype: 'int32' }), src)).toThrow(/scatterAdd: index 5 is out of bounds for dim 1 with size 3/);
    expect(() => scatterAdd(x, 1, tensor([[0, 1, 2]], { dtype: 'int32' }), src)).toThrow(/scatterAdd: src \[1, 2\] must be at least as large as index \[1, 3\]/);
    expect(() => scatterAdd(x, 0, tensor([[0, 1, 2, 0]], { dtype: 'int32' }), src)).toThrow(/scatterAdd: index \[1, 4\] .*base \[2, 3\]/);
  });

  it('indexSelect rejects 2-D and out-of-range indices, naming the op', () => {
    expect(() => indexSelect(x, 0, tensor([[0]], { dtype: 'int32' }))).toThrow(/indexSelect: index must be 0-D or 1-D, got shape \[1, 1\]/);
    expect(() => indexSelect(x, 1, tensor([0, 3], { dtype: 'int32' }))).toThrow(/indexSelect: index 3 is out of range for dim 1 of size 3/);
    expect(() => indexSelect(x, -3, tensor([0], { dtype: 'int32' }))).toThrow(/indexSelect: dim=-3 is out of range/);
  });

  it('oneHot rejects values >= numClasses and negative values, naming the value', () => {
    expect(() => oneHot(tensor([0, 5, 1], { dtype: 'int32' }), 3)).toThrow(/oneHot: class value 5 is out of range for numClasses=3/);
    expect(() => oneHot(tensor([0, 3], { dtype: 'int32' }), 3)).toThrow(/oneHot: class value 3 is out of range for numClasses=3/);
    expect(() => oneHot(tensor([0, -1], { dtype: 'int32' }), 3)).toThrow(/oneHot: class values must be non-negative integers, got -1/);
    expect(() => oneHot(tensor([0, 1], { dtype: 'int32' }), -2)).toThrow(/oneHot: numClasses must be a non-negative integer or -1, got -2/);
  });
});
