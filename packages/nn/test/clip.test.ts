/** Gradient clipping against norms and clamps computed in plain JS. */
import { Generator, type Tensor, tensor } from '@dynconv/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectClose, runs } from '@dynconv/testing';
import { clipGradNorm, clipGradValue } from '../src/index.js';

const leaf = (values: number[], dtype: 'float32' | 'float64' = 'float64'): Tensor => tensor(values, { dtype }).detach().requiresGrad_();
const withGrad = (values: number[], grad: number[], dtype: 'float32' | 'float64' = 'float64'): Tensor => {
  const p = leaf(values, dtype);
  p.grad = tensor(grad, { dtype });
  return p;
};

/** The p-norm of all the numbers together (max |x| for Infinity). */
function jsNorm(xs: number[], p: number): number {
  if (p === Infinity) return xs.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  return xs.reduce((s, x) => s + Math.abs(x) ** p, 0) ** (1 / p);
}

interface Case {
  grads: number[][];
  shapes: number[][];
  maxNorm: number;
  normType: number;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    shapes: fc.array(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    scale: fc.double({ min: 0.01, max: 10, noNaN: true }),
    maxNorm: fc.double({ min: 0.1, max: 10, noNaN: true }),
    normType: fc.constantFrom(1, 2, 3, 0.5, Infinity),
  })
  .map(({ shapes, seed, scale, maxNorm, normType }) => {
    const g = new Generator(seed);
    const grads = shapes.map((s) => Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => scale * g.nextNormal()));
    return { grads, shapes, maxNorm, normType };
  });

describe('clipGradNorm', () => {
  it('returns the total norm and scales by min(1, maxNorm / (total + 1e-6)), as PyTorch does', () => {
    fc.assert(
      fc.property(caseArb, ({ grads, shapes, maxNorm, normType }) => {
        const ps = grads.map((g, i) => {
          const p = leaf(g.map(() => 0)).reshape(shapes[i]!).detach().requiresGrad_();
          p.grad = tensor(Float64Array.from(g), { dtype: 'float64' }).reshape(shapes[i]!);
          return p;
        });
        const total = clipGradNorm(ps, maxNorm, normType);
        const want = jsNorm(grads.flat(), normType);
        expect(total.dtype).toBe('float64');
        expectClose([total.item()], [want], { rtol: 1e-12, atol: 0 });
        const coef = maxNorm / (want + 1e-6);
        ps.forEach((p, i) => {
          if (coef < 1) expectClose(p.grad!.dataSync(), grads[i]!.map((x) => x * coef), { rtol: 1e-12, atol: 1e-300 });
          else expect(Array.from(p.grad!.dataSync())).toEqual(grads[i]);
          expect(p.grad!.shape).toEqual(shapes[i]);
        });
        if (coef < 1) {
          const after = jsNorm(ps.flatMap((p) => Array.from(p.grad!.dataSync())), normType);
          // maxNorm · total / (total + 1e-6): maxNorm to about 1e-6 / total relative.
          expectClose([after], [(maxNorm * want) / (want + 1e-6)], { rtol: 1e-12, atol: 0 });
          expect(Math.abs(after - maxNorm) / maxNorm).toBeLessThanOrEqual(1e-6 / want + 1e-12);
        }
      }),
      runs(2),
    );
  });

  it('[3, 4] clipped to norm 1', () => {
    const p = withGrad([0, 0], [3, 4]);
    expect(clipGradNorm([p], 1).item()).toBe(5);
    const c = 1 / (5 + 1e-6);
    expectClose(p.grad!.dataSync(), [3 * c, 4 * c], { rtol: 1e-15, atol: 0 });
    expect(jsNorm(Array.from(p.grad!.dataSync()), 2)).toBeCloseTo(1, 6);
  });

  it('infinity norm: the largest absolute value over all gradients', () => {
    const a = withGrad([0, 0], [1, -7]);
    const b = withGrad([0], [3]);
    expect(clipGradNorm([a, b], 3.5, Infinity).item()).toBe(7);
    const c = 3.5 / (7 + 1e-6);
    expectClose(a.grad!.dataSync(), [c, -7 * c], { rtol: 1e-15, atol: 0 });
    expectClose(b.grad!.dataSync(), [3 * c], { rtol: 1e-15, atol: 0 });
  });

  it('leaves a total just below maxNorm alone', () => {
    const p = withGrad([0, 0], [0.6, 0.8]);
    clipGradNorm(p, 1 + 2e-6);
    expect(Array.from(p.grad!.dataSync())).toEqual([0.6, 0.8]);
  });

  it('skips parameters without a gradient; with none the norm is 0', () => {
    const a = leaf([1, 2]);
    const b = withGrad([0], [10]);
    expect(clipGradNorm([a, b], 1).item()).toBe(10);
    expect(a.grad).toBeNull();
    expect(clipGradNorm([a], 1).item()).toBe(0);
  });

  it('float32 gradients: the norm in float32, mixed with float64 in float64', () => {
    const a = withGrad([0, 0], [3, 4], 'float32');
    const t32 = clipGradNorm([a], 10);
    expect(t32.dtype).toBe('float32');
    expect(t32.item()).toBe(5);
    const b = withGrad([0], [12], 'float64');
    const mixed = clipGradNorm([a, b], 1);
    expect(mixed.dtype).toBe('float64');
    expect(mixed.item()).toBe(13);
    expect(a.grad!.dtype).toBe('float32');
  });

  it('scales each gradient once even when gradients share storage', () => {
    // backward gives both leaves views of the same gradient (here the seed itself).
    const x = leaf([0, 0]);
    const y = leaf([0, 0]);
    const seed = tensor([3, 4], { dtype: 'float64' });
    x.add(y).backward(seed);
    const total = clipGradNorm([x, y], 1);
    expect(total.item()).toBeCloseTo(Math.sqrt(50), 14);
    const c = 1 / (Math.sqrt(50) + 1e-6);
    expectClose(x.grad!.dataSync(), [3 * c, 4 * c], { rtol: 1e-14, atol: 0 });
    expectClose(y.grad!.dataSync(), [3 * c, 4 * c], { rtol: 1e-14, atol: 0 });
    expect(Array.from(seed.dataSync())).toEqual([3, 4]);
  });

  it('non-finite norms: NaN gradients by default, an error with errorIfNonfinite', () => {
    const p = withGrad([0, 0], [NaN, 1]);
    expect(() => clipGradNorm([p], 1, 2, true)).toThrow(/clipGradNorm: the total norm of order 2 of the gradients is NaN/);
    expect(clipGradNorm([p], 1).item()).toBeNaN();
    expect(Array.from(p.grad!.dataSync()).every(Number.isNaN)).toBe(true);
  });

  it.each([
    ['clipGradNorm: maxNorm must be a number >= 0, got -1', () => clipGradNorm([withGrad([0], [1])], -1)],
    ['clipGradNorm: normType must be a number > 0 or Infinity, got 0', () => clipGradNorm([withGrad([0], [1])], 1, 0)],
    ['clipGradNorm: normType must be a number > 0 or Infinity, got -Infinity', () => clipGradNorm([withGrad([0], [1])], 1, -Infinity)],
    ['clipGradNorm: params[0] must be a Tensor, got 1', () => clipGradNorm([1] as never, 1)],
  ] as const)('%s', (message, thunk) => {
    expect(thunk).toThrow(message);
  });
});

describe('clipGradValue', () => {
  it('clamps every gradient to [-clipValue, clipValue]', () => {
    fc.assert(
      fc.property(caseArb, fc.double({ min: 0, max: 5, noNaN: true }), ({ grads }, clip) => {
        const ps = grads.map((g) => withGrad(g.map(() => 0), g));
        clipGradValue(ps, clip);
        ps.forEach((p, i) => expect(Array.from(p.grad!.dataSync())).toEqual(grads[i]!.map((x) => Math.min(clip, Math.max(-clip, x)))));
      }),
      runs(),
    );
  });

  it('accepts a single tensor, skips missing gradients, rejects a negative clipValue', () => {
    const p = withGrad([0, 0, 0], [-3, 0.5, 9]);
    clipGradValue(p, 1);
    expect(Array.from(p.grad!.dataSync())).toEqual([-1, 0.5, 1]);
    const q = leaf([1]);
    clipGradValue([q], 1);
    expect(q.grad).toBeNull();
    expect(() => clipGradValue(p, -1)).toThrow('clipGradValue: clipValue must be a number >= 0, got -1');
  });
});
