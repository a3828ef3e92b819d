/**
 * The arbitraries obey their bounds: shapes, broadcast pairs (they broadcast, by core's own
 * rule), value domains, layouts (the logical shape, each kind's strides, the same values as
 * a contiguous copy) and inputs.
 */
import { broadcastShapes, contiguousStrides, Generator } from '@dynconv/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { broadcastIndex, broadcastPairArb, DOMAINS, drawValue, inputArb, layoutArb, type LayoutKind, runs, shapeArb, tensorArb, unravel, values } from '../src/index.js';

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

describe('shapeArb', () => {
  it('defaults: 0 to 4 dims of sizes 1 to 5', () => {
    fc.assert(
      fc.property(shapeArb(), (s) => {
        expect(s.length).toBeLessThanOrEqual(4);
        for (const d of s) expect(d >= 1 && d <= 5).toBe(true);
      }),
      runs(4),
    );
  });

  it('keeps every bound it is given, maxNumel included', () => {
    const opts = fc.record({ minDims: fc.integer({ min: 0, max: 3 }), extraDims: fc.integer({ min: 0, max: 3 }), minSize: fc.integer({ min: 0, max: 3 }), extraSize: fc.integer({ min: 0, max: 6 }), maxNumel: fc.option(fc.integer({ min: 27, max: 200 }), { nil: undefined }) });
    fc.assert(
      fc.property(
        opts.chain((o) => fc.tuple(fc.constant(o), shapeArb({ minDims: o.minDims, maxDims: o.minDims + o.extraDims, minSize: o.minSize, maxSize: o.minSize + o.extraSize, maxNumel: o.maxNumel }))),
        ([o, s]) => {
          expect(s.length >= o.minDims && s.length <= o.minDims + o.extraDims).toBe(true);
          for (const d of s) expect(d >= o.minSize && d <= o.minSize + o.extraSize).toBe(true);
          if (o.maxNumel !== undefined) expect(numel(s)).toBeLessThanOrEqual(o.maxNumel);
        },
      ),
      runs(4),
    );
  });

  it('refuses bounds no shape meets', () => {
    expect(() => shapeArb({ minDims: 3, maxDims: 2 })).toThrow(/minDims <= maxDims/);
    expect(() => shapeArb({ minSize: 2, maxSize: 1 })).toThrow(/minSize <= maxSize/);
    expect(() => shapeArb({ minDims: 3, minSize: 2, maxNumel: 7 })).toThrow(/maxNumel=7 is below the smallest allowed shape/);
  });
});

describe('broadcastPairArb', () => {
  it('gives pairs that broadcast, to a shape within the bounds', () => {
    fc.assert(
      fc.property(broadcastPairArb({ maxDims: 3, maxSize: 4 }), ([a, b]) => {
        const out = broadcastShapes('test', a, b);
        expect(out.length).toBeLessThanOrEqual(3);
        for (const d of out) expect(d).toBeLessThanOrEqual(4);
        // broadcastIndex reads each operand's element for every output index.
        for (let i = 0; i < numel(out); i++) {
          const idx = unravel(i, out);
          expect(broadcastIndex(idx, a)).toBeLessThan(numel(a));
          expect(broadcastIndex(idx, b)).toBeLessThan(numel(b));
        }
      }),
      runs(4),
    );
  });
});

describe('value domains', () => {
  it.each(DOMAINS)('%s values lie where the domain says', (domain) => {
    const xs = values([1000], 7, domain);
    expect(xs.length).toBe(1000);
    for (const x of xs) {
      expect(Number.isFinite(x)).toBe(true);
      if (domain === 'positive') expect(x >= 0.5 && x <= 2).toBe(true);
      if (domain === 'nonzero') expect(Math.abs(x) >= 0.25 && Math.abs(x) <= 2).toBe(true);
      if (domain === 'unit') expect(x > -1 && x < 1).toBe(true);
    }
    if (domain === 'nonzero' || domain === 'real' || domain === 'unit') expect(xs.some((x) => x < 0) && xs.some((x) => x > 0)).toBe(true);
  });

  it('are reproducible from the seed', () => {
    expect(values([3, 4], 42)).toEqual(values([3, 4], 42));
    expect(values([3, 4], 42)).not.toEqual(values([3, 4], 43));
    const g = new Generator(5);
    expect(drawValue(g, 'real')).toBe(values([1], 5)[0]);
    expect(() => drawValue(g, 'imaginary' as never)).toThrow(/unknown domain "imaginary"/);
  });
});

describe('layoutArb', () => {
  it('presents the logical shape, with the strides of its kind, and the values of a contiguous copy', () => {
    const seen = new Set<LayoutKind>();
    fc.assert(
      fc.property(shapeArb({ minDims: 1, minSize: 2, maxSize: 4 }).chain((s) => inputArb(s)), (inp) => {
        const x = inp.view();
        const shape = x.shape;
        seen.add(inp.layout.kind);
        expect(inp.leaf.shape).toEqual(inp.layout.baseShape);
        const copy = x.contiguous();
        expect(copy.strides).toEqual(contiguousStrides(shape));
        expect(Array.from(x.dataSync())).toEqual(Array.from(copy.dataSync()));
        // Each element of the view is the leaf's element at offset + Σ idx·stride.
        const leaf = inp.leaf.dataSync();
        for (let i = 0; i < x.numel(); i++) {
          const at = unravel(i, shape).reduce((o, k, d) => o + k * x.strides[d]!, x.offset);
          expect(x.dataSync()[i]).toBe(leaf[at]);
        }
        switch (inp.layout.kind) {
          case 'contiguous':
            expect(x.strides).toEqual(contiguousStrides(shape));
            break;
          case 'expanded':
            for (let d = 0; d < shape.length; d++) if (inp.layout.baseShape[d] === 1) expect(x.strides[d]).toBe(0);
            break;
          case 'strided':
            expect(numel(inp.layout.baseShape)).toBeGreaterThanOrEqual(numel(shape));
            break;
          case 'permuted':
            expect([...x.strides].sort((a, b) => a - b)).toEqual([...contiguousStrides(inp.layout.baseShape)].sort((a, b) => a - b));
            break;
        }
      }),
      { ...runs(), numRuns: Math.max(60, runs().numRuns ?? 0) },
    );
    expect([...seen].sort()).toEqual(['contiguous', 'expanded', 'permuted', 'strided']);
  });

  it('a scalar is only ever contiguous', () => {
    fc.assert(
      fc.property(layoutArb([]), (l) => {
        expect(l.kind).toBe('contiguous');
      }),
      runs(),
    );
  });
});

describe('inputArb and tensorArb', () => {
  it('give float leaves that require grad, with values from the domain', () => {
    fc.assert(
      fc.property(tensorArb({ maxDims: 3, domain: 'positive', dtype: 'float32' }), shapeArb({ maxDims: 2 }).chain((s) => inputArb(s, 'unit')), (a, b) => {
        expect(a.leaf.dtype).toBe('float32');
        expect(a.leaf.requiresGrad && a.leaf.isLeaf).toBe(true);
        for (const v of a.view().dataSync()) expect(v >= 0.5 && v <= 2).toBe(true);
        expect(b.leaf.dtype).toBe('float64');
        for (const v of b.view().dataSync()) expect(Math.abs(v)).toBeLessThan(1);
      }),
      runs(),
    );
  });

  it('view(l) differentiates through the layout', () => {
    fc.assert(
      fc.property(tensorArb({ minDims: 1, maxDims: 3 }), (inp) => {
        const y = inp.view(inp.leaf).sum();
        y.backward();
        // Each leaf element's gradient counts how many view elements read it.
        const counts = new Float64Array(inp.leaf.numel());
        const x = inp.view();
        for (let i = 0; i < x.numel(); i++) counts[unravel(i, x.shape).reduce((o, k, d) => o + k * x.strides[d]!, x.offset)]! += 1;
        expect(Array.from(inp.leaf.grad!.dataSync())).toEqual(Array.from(counts));
      }),
      runs(),
    );
  });
});

describe('unravel and broadcastIndex', () => {
  it('unravel is the row-major multi-index', () => {
    expect(unravel(0, [])).toEqual([]);
    expect(unravel(5, [2, 3])).toEqual([1, 2]);
    expect(unravel(7, [2, 2, 2])).toEqual([1, 1, 1]);
  });

  it('broadcastIndex drops leading dims and pins size-1 dims', () => {
    expect(broadcastIndex([1, 2], [3])).toBe(2);
    expect(broadcastIndex([1, 2], [2, 1])).toBe(1);
    expect(broadcastIndex([1, 2], [])).toBe(0);
  });
});
