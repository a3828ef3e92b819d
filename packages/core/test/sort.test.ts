/**
 * Property tests of sort, topk and cumsum: values against plain-array references (stable order,
 * NaN last), indices that point back at the values, and gradients (first and second order) with
 * every input in a generated layout.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cumsum, sort, tensor, topk, type Tensor } from '../src/index.js';
import { checkGradients, expectClose, inputArb, runs, shapeArb, unravel } from '@dynconv/testing';

/** A shape of 1 to 3 dims and a dim of it (maybe negative). */
const caseArb = shapeArb({ minDims: 1, maxDims: 3 }).chain((shape) =>
  fc.tuple(fc.constant(shape), fc.integer({ min: -shape.length, max: shape.length - 1 }), inputArb(shape)),
);

/** The rows of x along dim d, as arrays, with the flat positions they came from. */
function rowsOf(x: Tensor, d: number): { values: number[]; at: number[] }[] {
  const data = x.dataSync();
  const rows = new Map<string, { values: number[]; at: number[] }>();
  for (let k = 0; k < data.length; k++) {
    const idx = unravel(k, x.shape);
    const key = idx.map((v, i) => (i === d ? '*' : v)).join(',');
    const row = rows.get(key) ?? { values: [], at: [] };
    row.values.push(Number(data[k]));
    row.at.push(k);
    rows.set(key, row);
  }
  return [...rows.values()];
}

const norm = (d: number, nd: number) => (d < 0 ? d + nd : d);

describe('sort and topk', () => {
  it('sort matches a stable reference sort of every row, and the indices point back at the values', () => {
    fc.assert(
      fc.property(caseArb, fc.boolean(), ([, dim, inp], descending) => {
        const x = inp.view();
        const d = norm(dim, x.ndim);
        const { values, indices } = sort(x, dim, { descending });
        expect(indices.dtype).toBe('int32');
        const vRows = rowsOf(values, d);
        const iRows = rowsOf(indices, d);
        rowsOf(x, d).forEach((row, r) => {
          const order = row.values.map((_, i) => i).sort((a, b) => (descending ? row.values[b]! - row.values[a]! : row.values[a]! - row.values[b]!) || a - b);
          expect(iRows[r]!.values).toEqual(order);
          expectClose(vRows[r]!.values, order.map((i) => row.values[i]!), { rtol: 0, atol: 0 });
        });
      }),
      runs(),
    );
  });

  it('topk is the first k of the sort (largest first, or smallest first)', () => {
    fc.assert(
      fc.property(caseArb.chain(([shape, dim, inp]) => fc.tuple(fc.constant(dim), fc.constant(inp), fc.integer({ min: 0, max: shape[norm(dim, shape.length)]! }), fc.boolean())), ([dim, inp, k, largest]) => {
        const x = inp.view();
        const full = sort(x, dim, { descending: largest });
        const top = topk(x, k, { dim, largest });
        expect(top.values.shape).toEqual(x.shape.map((s, i) => (i === norm(dim, x.ndim) ? k : s)));
        expect(Array.from(top.values.dataSync())).toEqual(Array.from(full.values.narrow(norm(dim, x.ndim), 0, k).contiguous().dataSync()));
        expect(Array.from(top.indices.dataSync())).toEqual(Array.from(full.indices.narrow(norm(dim, x.ndim), 0, k).contiguous().dataSync()));
      }),
      runs(),
    );
  });

  it('sort and topk pass gradcheck and gradgradcheck', () => {
    fc.assert(
      fc.property(caseArb, fc.boolean(), ([shape, dim, inp], descending) => {
        checkGradients((l) => sort(inp.view(l), dim, { descending }).values, [inp.leaf], { second: true });
        const k = Math.ceil(shape[norm(dim, shape.length)]! / 2);
        checkGradients((l) => topk(inp.view(l), k, { dim, largest: !descending }).values, [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('NaN sorts above every number, ties keep their order; bad input is refused', () => {
    const x = tensor([3, NaN, -1, 2, -1], { dtype: 'float64' });
    expect(Array.from(sort(x).values.dataSync())).toEqual([-1, -1, 2, 3, NaN]);
    expect(Array.from(sort(x).indices.dataSync())).toEqual([2, 4, 3, 0, 1]);
    expect(Array.from(sort(x, 0, { descending: true }).indices.dataSync())).toEqual([1, 0, 3, 2, 4]);
    expect(Array.from(topk(x, 2, { largest: false }).values.dataSync())).toEqual([-1, -1]);
    expect(() => topk(x, 6)).toThrow(/topk: k must be an integer in \[0, 5\].*got 6/);
    expect(() => sort(x, 1)).toThrow(/sort/);
    expect(() => sort(tensor([true, false]))).toThrow(/sort: bool/);
  });
});

describe('cumsum', () => {
  it('matches running sums along the dim (floats and integers)', () => {
    fc.assert(
      fc.property(caseArb, ([, dim, inp]) => {
        const x = inp.view();
        const d = norm(dim, x.ndim);
        const y = cumsum(x, dim);
        expect(y.shape).toEqual(x.shape);
        const yRows = rowsOf(y, d);
        rowsOf(x, d).forEach((row, r) => {
          let acc = 0;
          expectClose(yRows[r]!.values, row.values.map((v) => (acc += v)), { rtol: 1e-12, atol: 1e-12 });
        });
      }),
      runs(),
    );
    const i = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int32' });
    expect(cumsum(i, 1).dtype).toBe('int32');
    expect(cumsum(i, 1).toArray()).toEqual([[1, 3, 6], [4, 9, 15]]);
    expect(cumsum(i, 0).toArray()).toEqual([[1, 2, 3], [5, 7, 9]]);
  });

  it('passes gradcheck and gradgradcheck', () => {
    fc.assert(
      fc.property(caseArb, ([, dim, inp]) => {
        checkGradients((l) => cumsum(inp.view(l), dim), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('names the op for a bad dim', () => {
    expect(() => cumsum(tensor([1, 2]), 2)).toThrow(/cumsum/);
  });
});
