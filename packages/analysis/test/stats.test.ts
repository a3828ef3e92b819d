/**
 * Welch's t-test and the distributions under it, against values computed independently: closed
 * forms of the t distribution for 1 and 2 degrees of freedom, a textbook quantile, Wikipedia's
 * Welch example, and Simpson integration of the t density (normalised numerically too, so no
 * gamma or beta function is shared with the code under test).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logGamma, normalCdf, regularizedIncompleteBeta, studentTCdf, studentTQuantile, studentTTwoSidedP, summarize, welchTTest } from '../src/index.js';

/** Simpson's rule with `m` (even) intervals. */
function simpson(f: (x: number) => number, a: number, b: number, m = 20_000): number {
  const h = (b - a) / m;
  let s = f(a) + f(b);
  for (let i = 1; i < m; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

/**
 * The two-sided p of a t statistic by quadrature: with x = sqrt(df) tan(θ) the t density is
 * proportional to cos(θ)^(df-1) on (-π/2, π/2), so P(|T| < |t|) is the ratio of two integrals of
 * it. θ = (π/2)(1 - s²) smooths the endpoint π/2, where cos(θ)^(df-1) has an unbounded
 * derivative for df < 2: the integrand becomes π s sin(π s²/2)^(df-1) on s in [0, 1].
 */
function pByQuadrature(t: number, df: number): number {
  const f = (s: number) => Math.PI * s * Math.sin((Math.PI * s * s) / 2) ** (df - 1);
  const st = Math.sqrt(1 - (2 * Math.atan(Math.abs(t) / Math.sqrt(df))) / Math.PI);
  return 1 - simpson(f, st, 1, 50_000) / simpson(f, 0, 1, 50_000);
}

describe('the Student t distribution', () => {
  it('matches the closed forms for 1 and 2 degrees of freedom (Cauchy, and 1 - |t|/sqrt(t² + 2))', () => {
    for (const t of [0, 0.1, 0.5, 1, 1.7, 3, 10, 250]) {
      expect(studentTTwoSidedP(t, 1)).toBeCloseTo(1 - (2 / Math.PI) * Math.atan(t), 13);
      expect(studentTTwoSidedP(-t, 2)).toBeCloseTo(1 - t / Math.sqrt(t * t + 2), 13);
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 13);
    }
    // A tiny t: df/(df+t²) rounds to 1, so the tail comes from the complement (found by the property below).
    expect(studentTTwoSidedP(1.5707938408617942e-10, 1)).toBeCloseTo(1 - (2 / Math.PI) * Math.atan(1.5707938408617942e-10), 15);
    expect(studentTTwoSidedP(1.5707938408617942e-10, 1)).toBeLessThan(1);
    expect(studentTCdf(1e-9, 2)).toBeCloseTo(0.5 + 1e-9 / (2 * Math.sqrt(2)), 15);
  });

  it('gives the textbook two-sided 5% point of t(10), 2.228138852, and its quantile back', () => {
    expect(studentTTwoSidedP(2.228138852, 10)).toBeCloseTo(0.05, 9);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138852, 8);
    expect(studentTQuantile(0.975, Infinity)).toBeCloseTo(1.959963985, 8);
  });

  it('agrees with Simpson integration of the density for fractional degrees of freedom (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 60, noNaN: true }), fc.double({ min: -8, max: 8, noNaN: true }), (df, t) => {
        expect(Math.abs(studentTTwoSidedP(t, df) - pByQuadrature(t, df))).toBeLessThan(1e-10);
      }),
      { numRuns: 40 },
    );
  });

  it('is a distribution: symmetric, monotone, and normal in the limit', () => {
    expect(studentTCdf(0, 3.5)).toBe(0.5);
    expect(studentTCdf(-1.3, 4.2) + studentTCdf(1.3, 4.2)).toBeCloseTo(1, 14);
    expect(studentTCdf(Infinity, 3)).toBe(1);
    expect(studentTCdf(1, 3)).toBeLessThan(studentTCdf(1.1, 3));
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 9);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316301, 13);
    expect(studentTCdf(1.5, 1e7)).toBeCloseTo(normalCdf(1.5), 7);
  });
});

describe('special functions', () => {
  it('logGamma matches factorials and Γ(1/2) = √π', () => {
    for (const [x, v] of [[1, 0], [2, 0], [5, Math.log(24)], [11, Math.log(3628800)], [0.5, Math.log(Math.sqrt(Math.PI))], [0.1, Math.log(9.513507698668732)]] as const) {
      expect(logGamma(x)).toBeCloseTo(v, 12);
    }
  });

  it('the regularized incomplete beta function matches closed forms: I_x(a, 1) = x^a, I_x(1, b) = 1 - (1-x)^b, I_x(a, b) = 1 - I_{1-x}(b, a)', () => {
    for (const x of [0, 0.01, 0.3, 0.5, 0.77, 0.99, 1]) {
      expect(regularizedIncompleteBeta(x, 2.5, 1)).toBeCloseTo(x ** 2.5, 13);
      expect(regularizedIncompleteBeta(x, 1, 3.2)).toBeCloseTo(1 - (1 - x) ** 3.2, 13);
      expect(regularizedIncompleteBeta(x, 4, 7) + regularizedIncompleteBeta(1 - x, 7, 4)).toBeCloseTo(1, 13);
    }
    expect(() => regularizedIncompleteBeta(1.5, 1, 1)).toThrow(/x must be in \[0, 1\]/);
  });
});

describe("Welch's t-test", () => {
  it("reproduces Wikipedia's example 1: t = -2.46, df = 25.0, p = 0.021", () => {
    const a = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
    const b = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
    const r = welchTTest(a, b);
    expect(r.t).toBeCloseTo(-2.455356398286006, 12);
    expect(r.df).toBeCloseTo(24.98852929023142, 10);
    expect(r.p).toBeCloseTo(0.021, 3);
    expect(r.p).toBeCloseTo(pByQuadrature(r.t, r.df), 9);
  });

  it('a small example by hand: [1..5] vs [2, 4, .., 10]', () => {
    // Means 3 and 6, variances 2.5 and 10: se² = 0.5 + 2, t = -3/√2.5, df = 2.5² / (0.5²/4 + 2²/4) = 100/17.
    const r = welchTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]);
    expect(r.difference).toBe(-3);
    expect(r.t).toBeCloseTo(-3 / Math.sqrt(2.5), 14);
    expect(r.df).toBeCloseTo(100 / 17, 13);
    expect(r.p).toBeCloseTo(pByQuadrature(-3 / Math.sqrt(2.5), 100 / 17), 10);
    expect(r.p).toBeGreaterThan(0.1);
    expect(r.p).toBeLessThan(0.11);
    const q = studentTQuantile(0.975, 100 / 17);
    expect(r.ci95[0]).toBeCloseTo(-3 - q * Math.sqrt(2.5), 12);
    expect(r.ci95[1]).toBeCloseTo(-3 + q * Math.sqrt(2.5), 12);
  });

  it('is antisymmetric in its samples, and degenerate samples give p 0 or 1', () => {
    const a = [0.981, 0.985, 0.979, 0.99];
    const b = [0.975, 0.97, 0.982];
    const [ab, ba] = [welchTTest(a, b), welchTTest(b, a)];
    expect(ab.t).toBeCloseTo(-ba.t, 14);
    expect(ab.p).toBeCloseTo(ba.p, 14);
    expect(welchTTest([1, 1], [1, 1]).p).toBe(1);
    expect(welchTTest([2, 2, 2], [1, 1]).p).toBe(0);
    expect(() => welchTTest([1], [1, 2])).toThrow(/at least two values/);
  });

  it('summarize: sample standard deviation (n - 1)', () => {
    expect(summarize([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ n: 8, mean: 5, std: Math.sqrt(32 / 7), min: 2, max: 9 });
    expect(summarize([3]).std).toBeNaN();
  });
});
