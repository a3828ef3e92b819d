/**
 * Tests of dropout: the mask replayed from the generator's stream (a plain-JS reference over
 * shapes and layouts), determinism per seed, a kept fraction within 6 sigma of 1 - p,
 * scaling, eval/p=0 identity, p=1, the gradient (mask / (1 - p)) and bad input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dropout, Generator, grad, manualSeed, ones, tensor, type Tensor } from '../src/index.js';
import { checkGradients, expectClose, inputArb, runs, shapeArb } from '@dynconv/testing';

const pArb = fc.oneof(fc.constantFrom(0.1, 0.5, 0.9), fc.double({ min: 0.01, max: 0.99, noNaN: true }));
const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** The keep mask dropout draws from a generator with `seed`: one float64 uniform per element, kept below 1 - p. */
function referenceKeep(n: number, p: number, seed: number): boolean[] {
  const g = new Generator(seed);
  return Array.from({ length: n }, () => g.nextDouble() < 1 - p);
}

describe('dropout', () => {
  it('forward: x / (1 - p) where the replayed Bernoulli(1 - p) draw keeps, else 0, in any layout', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => inputArb(s, 'nonzero')), pArb, seedArb, (inp, p, seed) => {
        const x = inp.view();
        const y = dropout(x, p, true, new Generator(seed));
        expect(y.shape).toEqual(x.shape);
        expect(y.dtype).toBe('float64');
        const keep = referenceKeep(x.numel(), p, seed);
        expectClose(y.dataSync(), Array.from(x.dataSync(), (v, i) => (keep[i] ? v / (1 - p) : 0)), { rtol: 1e-15, atol: 0 });
      }),
      runs(),
    );
  });

  it('is deterministic for a seeded generator (and for the default one after manualSeed)', () => {
    fc.assert(
      fc.property(seedArb, pArb, (seed, p) => {
        const x = ones([200], { dtype: 'float64' });
        const a = dropout(x, p, true, new Generator(seed)).dataSync();
        expect(dropout(x, p, true, new Generator(seed)).dataSync()).toEqual(a);
        manualSeed(seed);
        const d1 = dropout(x, p).dataSync();
        manualSeed(seed);
        expect(dropout(x, p).dataSync()).toEqual(d1);
        expect(d1).toEqual(a);
      }),
      runs(),
    );
    // Successive calls advance the stream: two masks in a row differ.
    const g = new Generator(7);
    const x = ones([200]);
    expect(dropout(x, 0.5, true, g).dataSync()).not.toEqual(dropout(x, 0.5, true, g).dataSync());
  });

  it('keeps a fraction within 6 sigma of 1 - p over a big tensor, and scales kept values by 1 / (1 - p)', () => {
    fc.assert(
      fc.property(seedArb, pArb, (seed, p) => {
        const n = 50_000;
        const y = dropout(ones([n], { dtype: 'float64' }), p, true, new Generator(seed)).dataSync();
        let kept = 0;
        for (const v of y) {
          if (v !== 0) {
            kept++;
            expect(v).toBe(1 / (1 - p));
          }
        }
        // A binomial count is further than 6 standard deviations from its mean with probability < 2e-9.
        expect(Math.abs(kept - n * (1 - p))).toBeLessThanOrEqual(6 * Math.sqrt(n * p * (1 - p)));
        // The mean is preserved in expectation: |mean - 1| within the same bound, scaled.
        const mean = Array.from(y).reduce((a, b) => a + b, 0) / n;
        expect(Math.abs(mean - 1)).toBeLessThanOrEqual((6 * Math.sqrt(n * p * (1 - p))) / (n * (1 - p)) + 1e-12);
      }),
      runs(0.5),
    );
  });

  it('eval mode and p = 0 return the input itself; p = 1 gives zeros (and zero gradient)', () => {
    const x = tensor([1, -2, 3], { dtype: 'float64', requiresGrad: true });
    expect(dropout(x, 0.5, false)).toBe(x);
    expect(dropout(x, 0)).toBe(x);
    expect(dropout(x, 1, false)).toBe(x);
    const z = dropout(x, 1);
    expect(z.toArray()).toEqual([0, -0, 0]);
    expect(grad(z.sum(), x)[0]!.toArray()).toEqual([0, 0, 0]);
    // Eval mode draws nothing: the generator's stream is untouched.
    const g = new Generator(3);
    dropout(x, 0.5, false, g);
    expect(g.nextUint32()).toBe(new Generator(3).nextUint32());
  });

  it('gradient is the mask divided by 1 - p', () => {
    fc.assert(
      fc.property(shapeArb({ minDims: 1 }).chain((s) => inputArb(s, 'nonzero')), pArb, seedArb, (inp, p, seed) => {
        const x = inp.view();
        const y = dropout(x, p, true, new Generator(seed));
        const [g] = grad(y.sum(), inp.leaf);
        // Through the layout's view: the reference gradient of the logical input, summed back onto the leaf.
        const keep = referenceKeep(x.numel(), p, seed);
        const mask = tensor(Float64Array.from(keep, (k) => (k ? 1 / (1 - p) : 0))).reshape(x.shape);
        const [expected] = grad(inp.view().mul(mask).sum(), inp.leaf);
        expectClose(g!.dataSync(), expected!.dataSync(), { rtol: 1e-15, atol: 0 });
        const xc = x.contiguous();
        const [gc] = grad(dropout(xc, p, true, new Generator(seed)).sum(), xc);
        expect(Array.from(gc!.dataSync())).toEqual(Array.from(mask.dataSync()));
      }),
      runs(),
    );
  });

  it('gradcheck and gradgradcheck through layouts with a fixed mask', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => inputArb(s)), pArb, seedArb, (inp, p, seed) => {
        checkGradients((l) => dropout(inp.view(l), p, true, new Generator(seed)), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('float32 in, float32 out and gradients', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8], { requiresGrad: true });
    const y = dropout(x, 0.25, true, new Generator(1));
    expect(y.dtype).toBe('float32');
    expect(grad(y.sum(), x)[0]!.dtype).toBe('float32');
    for (const [v, o] of Array.from(y.dataSync(), (v, i) => [v, i + 1])) expect(v === 0 || Math.abs(v! - o! / 0.75) < 1e-6).toBe(true);
  });

  it('rejects p outside [0, 1], integer tensors and non-tensors, naming the op', () => {
    const x = tensor([1, 2]);
    for (const p of [-0.1, 1.5, NaN]) expect(() => dropout(x, p)).toThrow(new RegExp(`dropout: probability p has to be between 0 and 1, but got ${p}`));
    expect(() => dropout(tensor([1, 2], { dtype: 'int32' }))).toThrow(/dropout: argument 'x' must be float32 or float64, got int32/);
    expect(() => dropout([1, 2] as unknown as Tensor)).toThrow(/dropout: argument 'x' must be a Tensor, got an array/);
    expect(() => dropout(x, 0.5, true, {} as Generator)).toThrow(/dropout: generator must be a Generator/);
  });
});
