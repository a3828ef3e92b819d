/**
 * Pearson correlation: against a direct reference on random data (any block split, any shift),
 * the known cases (identical maps 1, negated -1, independent near 0, constant undefined), the
 * S/M/W/N bins, histograms, and the tensor-level helpers on hand-made feature maps and kernels.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, randn, tensor } from '@dynconv/core';
import {
  binCorrelations, binOf, CorrelationAccumulator, correlationMatrix, featureMapCorrelations, histogram, histogramEdges, kernelCorrelations, pairCorrelations, PAPER_BINS, pearson,
  perImageKernelCorrelations, summarizeCorrelations,
} from '../src/index.js';

/** The textbook definition, written out directly. */
function reference(a: number[], b: number[]): number {
  const ma = a.reduce((s, x) => s + x, 0) / a.length;
  const mb = b.reduce((s, x) => s + x, 0) / b.length;
  const num = a.reduce((s, x, i) => s + (x - ma) * (b[i]! - mb), 0);
  const da = Math.sqrt(a.reduce((s, x) => s + (x - ma) ** 2, 0));
  const db = Math.sqrt(b.reduce((s, x) => s + (x - mb) ** 2, 0));
  return num / (da * db);
}

// Values on a grid of 1e-3 (doubles down to subnormals would square to 0: not data a layer makes).
const value = fc.integer({ min: -100_000, max: 100_000 }).map((k) => k / 1000);

describe('pearson', () => {
  it('matches the direct formula on random vectors (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 40 }).chain((n) => fc.tuple(fc.array(value, { minLength: n, maxLength: n }), fc.array(value, { minLength: n, maxLength: n }))), ([a, b]) => {
        const want = reference(a, b);
        fc.pre(Number.isFinite(want) && new Set(a).size > 1 && new Set(b).size > 1);
        expect(pearson(a, b)).toBeCloseTo(want, 9);
      }),
      { numRuns: 100 },
    );
  });

  it('identical vectors give 1, negated -1, an affine image ±1, independent noise near 0, a constant NaN', () => {
    const g = new Generator(3);
    const a = Array.from(randn([5000], { generator: g, dtype: 'float64' }).dataSync());
    const b = Array.from(randn([5000], { generator: g, dtype: 'float64' }).dataSync());
    expect(pearson(a, a)).toBe(1);
    expect(pearson(a, a.map((x) => -x))).toBe(-1);
    expect(pearson(a, a.map((x) => 3 * x + 7))).toBeCloseTo(1, 14);
    expect(pearson(a, a.map((x) => -0.5 * x + 1e6))).toBeCloseTo(-1, 9);
    expect(Math.abs(pearson(a, b))).toBeLessThan(4 / Math.sqrt(5000)); // 4 standard errors
    expect(pearson(a, new Array(5000).fill(2))).toBeNaN();
    expect(() => pearson([1, 2], [1])).toThrow(/different lengths/);
  });
});

describe('CorrelationAccumulator', () => {
  it('streamed in blocks, matches pearson of the concatenated observations, whatever the split and the offset (property)', () => {
    const arb = fc.record({
      variables: fc.integer({ min: 2, max: 5 }),
      blocks: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
      shift: fc.double({ min: -1e4, max: 1e4, noNaN: true }),
      seed: fc.integer({ min: 0, max: 1e6 }),
    });
    fc.assert(
      fc.property(arb, ({ variables, blocks, shift, seed }) => {
        const g = new Generator(seed);
        const series: number[][] = Array.from({ length: variables }, () => []);
        const acc = new CorrelationAccumulator(variables);
        for (const len of blocks) {
          const block = Array.from(randn([variables * len], { generator: g, dtype: 'float64' }).dataSync(), (x, k) => x + shift + (k % len));
          for (let i = 0; i < variables; i++) series[i]!.push(...block.slice(i * len, (i + 1) * len));
          acc.add([0, 0, ...block], len, 2);
        }
        const total = blocks.reduce((a, b) => a + b, 0);
        fc.pre(total >= 3);
        const m = acc.matrix();
        for (let i = 0; i < variables; i++) {
          expect(m[i * variables + i]).toBe(1);
          for (let j = i + 1; j < variables; j++) {
            expect(m[i * variables + j]).toBeCloseTo(reference(series[i]!, series[j]!), 8);
            expect(m[j * variables + i]).toBe(m[i * variables + j]);
          }
        }
        expect(acc.count).toBe(total);
      }),
      { numRuns: 60 },
    );
  });

  it('marks constant variables NaN and leaves them out of the pairs', () => {
    // Variables: x, 2x, const, -x (rows of 4 observations).
    const x = [1, 4, 2, 8];
    const m = correlationMatrix([...x, ...x.map((v) => 2 * v), 5, 5, 5, 5, ...x.map((v) => -v)], 4, 4);
    expect(m[1]).toBeCloseTo(1, 14);
    expect(m[3]).toBeCloseTo(-1, 14);
    expect(m[2]).toBeNaN();
    expect(m[2 * 4 + 2]).toBeNaN();
    const acc = new CorrelationAccumulator(4).add([...x, ...x.map((v) => 2 * v), 5, 5, 5, 5, ...x.map((v) => -v)], 4);
    const p = acc.pairs();
    expect(p.constant).toBe(1);
    expect(Array.from(p.values).map((r) => Math.round(r * 1e9) / 1e9)).toEqual([1, -1, -1]);
    expect(Array.from(acc.means())).toEqual([3.75, 7.5, 5, -3.75]);
    expect(pairCorrelations(m, 4).length).toBe(3);
    expect(() => new CorrelationAccumulator(2).add([1, 2, 3], 2)).toThrow(/needs 4 values, got 3/);
  });
});

describe('bins and histograms', () => {
  it("bins |r| with our thresholds for the paper's S/M/W/N: >= 0.7, [0.5, 0.7), [0.3, 0.5), < 0.3", () => {
    expect(PAPER_BINS).toEqual({ strong: 0.7, medium: 0.5, weak: 0.3 });
    expect([0.7, -0.7, 0.69999, 0.5, -0.5, 0.49, 0.3, 0.2999, 0, -1, 1].map((r) => binOf(r))).toEqual(['strong', 'strong', 'medium', 'medium', 'medium', 'weak', 'weak', 'none', 'none', 'strong', 'strong']);
    expect(binCorrelations([0.9, -0.8, 0.6, 0.4, -0.1, 0.05, NaN])).toEqual({ strong: 2, medium: 1, weak: 1, none: 2 });
    expect(binCorrelations([0.55, 0.85], { strong: 0.9, medium: 0.8, weak: 0.5 })).toEqual({ strong: 0, medium: 1, weak: 1, none: 0 });
    expect(() => binCorrelations([0.1], { strong: 0.3, medium: 0.5, weak: 0.1 })).toThrow(/strong > medium > weak/);
  });

  it('histograms r on [-1, 1] in bins of 0.1, 1 in the last bin; the summary adds the |r| statistics', () => {
    const h = histogram([-1, -0.95, -0.05, 0, 0.05, 0.999, 1, 1.5, NaN]);
    expect(h.counts.length).toBe(20);
    expect(h.counts[0]).toBe(2);
    expect(h.counts[9]).toBe(1);
    expect(h.counts[10]).toBe(2);
    expect(h.counts[19]).toBe(2);
    expect(h.outside).toBe(1);
    expect(histogramEdges(h)[0]).toBe(-1);
    expect(histogramEdges(h).at(-1)).toBe(1);
    const s = summarizeCorrelations([0.9, -0.8, 0.6, 0.4, -0.1, 0.05], 2);
    expect(s.pairs).toBe(6);
    expect(s.constant).toBe(2);
    expect(s.meanAbs).toBeCloseTo(2.85 / 6, 14);
    expect(s.medianAbs).toBeCloseTo(0.5, 14);
    expect(s.fractions).toEqual({ strong: 2 / 6, medium: 1 / 6, weak: 1 / 6, none: 2 / 6 });
    expect(s.histogram.counts.reduce((a, b) => a + b, 0)).toBe(6);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});

describe('feature maps and kernels as tensors', () => {
  it('correlates channels over images and positions together', () => {
    // Two images, three channels of 2x2: c1 = 2 c0 + 1, c2 = -c0 on image 0 but +c0 on image 1.
    const c0 = [[1, 2, 3, 5], [0, -1, 4, 2]];
    const maps = tensor(c0.flatMap((m, n) => [...m, ...m.map((v) => 2 * v + 1), ...m.map((v) => (n === 0 ? -v : v))]), { dtype: 'float64' }).reshape([2, 3, 2, 2]);
    const { values, constant } = featureMapCorrelations(maps);
    expect(constant).toBe(0);
    expect(values[0]).toBeCloseTo(1, 14); // (c0, c1)
    const pooled = c0.flat();
    expect(values[1]).toBeCloseTo(reference(pooled, [...c0[0]!.map((v) => -v), ...c0[1]!]), 14); // (c0, c2), over both images
  });

  it('correlates flattened kernels, and per-image kernels within each image only', () => {
    const w = tensor([1, 2, 3, 4, 2, 4, 6, 8, 4, 3, 2, 1], { dtype: 'float64' }).reshape([3, 1, 2, 2]);
    expect(Array.from(kernelCorrelations(w).values).map((r) => Math.round(r * 1e12) / 1e12)).toEqual([1, -1, -1]);
    const perImage = tensor([1, 2, 3, 4, 2, 4, 6, 8, /* image 1 */ 1, 2, 3, 4, 4, 3, 2, 1], { dtype: 'float64' }).reshape([2, 2, 1, 2, 2]);
    const p = perImageKernelCorrelations(perImage);
    expect(Array.from(p.values).map((r) => Math.round(r * 1e12) / 1e12)).toEqual([1, -1]);
    expect(perImageKernelCorrelations(perImage, 1).values.length).toBe(1);
  });
});
