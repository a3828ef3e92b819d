/**
 * Solutions to the exercises of docs/course/07-trusting-gradients.md. Each test states its
 * exercise and solves it, on tiny float64 tensors, so the file takes a few seconds at most.
 * DYNCONV_NUM_RUNS sets the cases per property (default 12), DYNCONV_SEED replays one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromTypedArray, Generator, gradcheck, gradgradcheck, rand, record, type Tensor } from '@dynconv/core';

const NUM_RUNS = Number(process.env.DYNCONV_NUM_RUNS ?? 12);
const runs = (): fc.Parameters<unknown> => ({ numRuns: NUM_RUNS, ...(process.env.DYNCONV_SEED ? { seed: Number(process.env.DYNCONV_SEED) } : {}) });

describe('chapter 7 exercises: trusting gradients', () => {
  it('exercise 1: halving h divides the forward difference error by about 2 and the central one by about 4', () => {
    // Functions with known derivatives, at points where f'' and f''' are not 0 (so both
    // truncation terms, h/2 f'' and h²/6 f''', are really there).
    const cases: { name: string; f: (x: number) => number; df: (x: number) => number; points: number[] }[] = [
      { name: 'sin', f: Math.sin, df: Math.cos, points: [1, 2, -0.5] },
      { name: 'exp', f: Math.exp, df: Math.exp, points: [-1, 0.3, 1.5] },
      { name: 'log', f: Math.log, df: (x) => 1 / x, points: [0.5, 2, 3] },
      { name: 'x^3 + x', f: (x) => x ** 3 + x, df: (x) => 3 * x ** 2 + 1, points: [0.7, -1.2, 2] },
    ];
    const forward = (f: (x: number) => number, x: number, h: number) => (f(x + h) - f(x)) / h;
    const central = (f: (x: number) => number, x: number, h: number) => (f(x + h) - f(x - h)) / (2 * h);
    for (const { name, f, df, points } of cases) {
      for (const x of points) {
        // h from 1e-2 down to 2.5e-3: the truncation error (>= 1e-7) dwarfs rounding (~1e-14).
        for (const h of [1e-2, 5e-3]) {
          const ratio = (d: typeof forward) => Math.abs(d(f, x, h) - df(x)) / Math.abs(d(f, x, h / 2) - df(x));
          expect(ratio(forward), `${name} at ${x}, forward, h = ${h}`).toBeGreaterThan(1.8);
          expect(ratio(forward), `${name} at ${x}, forward, h = ${h}`).toBeLessThan(2.2);
          expect(ratio(central), `${name} at ${x}, central, h = ${h}`).toBeGreaterThan(3.8);
          expect(ratio(central), `${name} at ${x}, central, h = ${h}`).toBeLessThan(4.2);
        }
      }
    }
  });

  it('exercise 2: a correct gradient passes gradcheck in float64, fails in float32 with eps 1e-6, and passes in float32 only with eps and tolerances near 1e-2', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        // Eight values in [0.5, 2].
        const base = rand([8], { dtype: 'float64', generator: new Generator(seed) }).mul(1.5).add(0.5);
        const x64 = base.detach().requiresGrad_();
        const x32 = base.float().detach().requiresGrad_();
        const exp = (a: Tensor) => a.exp();
        expect(gradcheck(exp, [x64])).toBe(true);
        // Rounding error u|f|/eps = 6e-8 * 7 / 1e-6, about 0.4: far beyond rtol 1e-3.
        expect(gradcheck(exp, [x32], { allowFloat32: true, raiseException: false })).toBe(false);
        // Near float32's best step (about 1e-2) the error is about 1e-4: it passes with loose tolerances.
        expect(gradcheck(exp, [x32], { allowFloat32: true, eps: 1e-2, atol: 1e-2, rtol: 1e-2 })).toBe(true);
        // And gradcheck refuses float32 unless asked, pointing at the fix.
        expect(() => gradcheck(exp, [x32])).toThrow(/float32.*\.double\(\)/);
      }),
      runs(),
    );
  });

  it('exercise 3: gradcheck catches a forgotten factor (full and fast mode), only gradgradcheck catches a detached input, and gradcheck passes a wrong forward whose backward matches it', () => {
    const x = rand([5], { dtype: 'float64', generator: new Generator(3) }).mul(2).sub(1).detach().requiresGrad_();

    // x² whose backward forgets the 2.
    const badSquare = (a: Tensor) => record('badSquare', a.detach().mul(a.detach()), [a], (g) => [g.mul(a)]);
    expect(() => gradcheck(badSquare, [x])).toThrow(/Jacobian mismatch for output 0 with respect to input 0: input index \[0\][\s\S]*analytic = [\s\S]*numeric  = /);
    expect(() => gradcheck(badSquare, [x], { fastMode: true })).toThrow(/vᵀJu mismatch/);

    // x³ whose backward 3 g x² uses a detached x: right first derivative, wrong second.
    const cube = (a: Tensor) => record('cube', a.detach().pow(3), [a], (g) => [g.mul(a.detach().pow(2)).mul(3)]);
    expect(gradcheck(cube, [x])).toBe(true);
    expect(gradgradcheck(cube, [x], null, { raiseException: false })).toBe(false);
    expect(gradgradcheck((a: Tensor) => a.pow(3), [x])).toBe(true);

    // A "sigmoid" that computes tanh, with tanh's derivative as its backward: wrong, but consistent.
    const notSigmoid = (a: Tensor) => record('notSigmoid', a.detach().tanh(), [a], (g) => [g.mul(a.tanh().pow(2).neg().add(1))]);
    expect(gradcheck(notSigmoid, [x])).toBe(true);
    expect(gradgradcheck(notSigmoid, [x])).toBe(true);
    // Only a forward check against a reference finds it.
    const got = Array.from(notSigmoid(x).dataSync());
    const reference = Array.from(x.dataSync(), (v) => 1 / (1 + Math.exp(-v)));
    expect(got.some((v, i) => Math.abs(v - reference[i]!) > 1e-3)).toBe(true);
  });

  it('exercise 4: gradcheck and gradgradcheck of logSoftmax over generated shapes, dims and layouts (contiguous, permuted, strided, expanded)', () => {
    type Kind = 'contiguous' | 'permuted' | 'strided' | 'expanded';
    /** A leaf of `baseShape` and the view that turns it into a tensor of the wanted shape, laid out as `kind` says. */
    interface Layout {
      kind: Kind;
      baseShape: number[];
      view: (leaf: Tensor) => Tensor;
    }
    const layoutArb = (shape: number[]): fc.Arbitrary<Layout> => {
      const nd = shape.length;
      const contiguous = fc.constant<Layout>({ kind: 'contiguous', baseShape: shape, view: (t) => t });
      // The leaf holds the dims in `perm` order; permuting by the inverse gives `shape` back.
      const permuted = fc.shuffledSubarray([...Array(nd).keys()], { minLength: nd, maxLength: nd }).map((perm): Layout => {
        const inverse = perm.map((_, i) => perm.indexOf(i));
        return { kind: 'permuted', baseShape: perm.map((p) => shape[p]!), view: (t) => t.permute(inverse) };
      });
      // Every dim sliced with a step of 1-3 from an offset of 0-2, out of a larger leaf.
      const strided = fc
        .tuple(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: nd, maxLength: nd }), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: nd, maxLength: nd }))
        .map(([steps, starts]): Layout => ({
          kind: 'strided',
          baseShape: shape.map((d, i) => starts[i]! + (d - 1) * steps[i]! + 1),
          view: (t) => shape.reduce<Tensor>((acc, d, i) => acc.slice(i, starts[i]!, starts[i]! + (d - 1) * steps[i]! + 1, steps[i]!), t),
        }));
      // Some dims stored once and broadcast (stride 0).
      const expanded = fc.array(fc.boolean(), { minLength: nd, maxLength: nd }).map((ones): Layout => ({
        kind: 'expanded',
        baseShape: shape.map((d, i) => (ones[i] ? 1 : d)),
        view: (t) => t.expand(shape),
      }));
      return fc.oneof(contiguous, permuted, strided, expanded);
    };
    const caseArb = fc
      .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 })
      .chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 }), layoutArb(shape), fc.integer({ min: 0, max: 2 ** 31 - 1 })));

    const kinds = new Set<Kind>();
    fc.assert(
      fc.property(caseArb, ([shape, dim, layout, seed]) => {
        const g = new Generator(seed);
        const n = layout.baseShape.reduce((a, b) => a * b, 1);
        const leaf = fromTypedArray(Float64Array.from({ length: n }, () => g.nextNormal()), layout.baseShape, 'float64').requiresGrad_();
        const fn = (t: Tensor) => layout.view(t).logSoftmax(dim);
        expect(fn(leaf).shape).toEqual(shape);
        // The full Jacobian for small inputs, random projections for larger ones.
        const opts = { fastMode: n > 48 };
        expect(gradcheck(fn, [leaf], opts)).toBe(true);
        expect(gradgradcheck(fn, [leaf], null, opts)).toBe(true);
        kinds.add(layout.kind);
      }),
      { ...runs(), numRuns: Math.max(NUM_RUNS, 8) },
    );
    // Not part of the exercise: a reminder that the generator does reach non-contiguous layouts.
    expect(kinds.size).toBeGreaterThan(1);
  });
});
