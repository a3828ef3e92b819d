/**
 * Summary statistics and Welch's t-test, with the Student t distribution computed from the
 * regularized incomplete beta function (no tables, no dependencies).
 *
 * The numerics follow the classic recipes: a Lanczos approximation of ln Γ (about 15 digits)
 * and the continued fraction of the incomplete beta function evaluated by the modified Lentz
 * method (Press et al., Numerical Recipes, §6.1 and §6.4), which converges fast on the side of
 * `x < (a + 1) / (a + b + 2)`; the other side uses the symmetry `I_x(a, b) = 1 - I_{1-x}(b, a)`.
 */

/** Mean, sample standard deviation and count of a sample. */
export interface SampleSummary {
  /** How many values. */
  n: number;
  /** Their mean (NaN for an empty sample). */
  mean: number;
  /** The sample standard deviation (n - 1 in the denominator; NaN below two values). */
  std: number;
  /** The smallest and largest value. */
  min: number;
  /** The largest value. */
  max: number;
}

/** The mean of `values` (NaN when empty). */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

/** The sample variance, with n - 1 in the denominator (NaN below two values). Two passes, so no cancellation. */
export function sampleVariance(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return NaN;
  const m = mean(values);
  let s = 0;
  for (let i = 0; i < n; i++) s += (values[i]! - m) ** 2;
  return s / (n - 1);
}

/** n, mean, sample standard deviation, min and max of `values`. */
export function summarize(values: ArrayLike<number>): SampleSummary {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
  }
  return { n: values.length, mean: mean(values), std: Math.sqrt(sampleVariance(values)), min: values.length ? min : NaN, max: values.length ? max : NaN };
}

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7, nine terms; reflection below 0.5). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma: x must be positive, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The continued fraction of I_x(a, b), by the modified Lentz method. */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  const EPS = 1e-16;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) return h;
  }
  throw new Error(`regularizedIncompleteBeta: the continued fraction did not converge (x ${x}, a ${a}, b ${b})`);
}

/**
 * The regularized incomplete beta function `I_x(a, b) = B(x; a, b) / B(a, b)`, for x in [0, 1]
 * and a, b > 0.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`regularizedIncompleteBeta: a and b must be positive, got a ${a}, b ${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`regularizedIncompleteBeta: x must be in [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  // x^a (1-x)^b / (a B(a, b)), in logs.
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** The regularized upper incomplete gamma function Q(a, x), by its series (x < a + 1) or continued fraction. */
function upperIncompleteGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  const logFront = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let n = 0; n < 10_000 && Math.abs(del) > Math.abs(sum) * 1e-17; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
    }
    return 1 - sum * Math.exp(logFront);
  }
  const TINY = 1e-300;
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(logFront) * h;
}

/** The standard normal CDF, Φ(z) = erfc(-z / √2) / 2, with erfc(u) = Q(1/2, u²) for u >= 0. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  const u = Math.abs(z) / Math.SQRT2;
  const upper = 0.5 * upperIncompleteGamma(0.5, u * u); // P(Z >= |z|)
  return z >= 0 ? 1 - upper : upper;
}

/**
 * P(T <= t) for Student's t distribution with `df` degrees of freedom (df > 0, not necessarily
 * an integer): `1 - I_{df/(df+t²)}(df/2, 1/2) / 2` for t >= 0, and by symmetry below 0.
 * df = Infinity gives the standard normal CDF.
 */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentTCdf: df must be positive, got ${df}`);
  if (Number.isNaN(t)) return NaN;
  if (df === Infinity) return normalCdf(t);
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * twoSided(t, df);
  return t >= 0 ? 1 - tail : tail;
}

/** The two-sided p-value of a t statistic: P(|T| >= |t|) = I_{df/(df+t²)}(df/2, 1/2). */
export function studentTTwoSidedP(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentTTwoSidedP: df must be positive, got ${df}`);
  if (Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return 0;
  if (df === Infinity) return 2 * normalCdf(-Math.abs(t));
  return twoSided(t, df);
}

/**
 * I_{df/(df+t²)}(df/2, 1/2), or for small t its complement 1 - I_{t²/(df+t²)}(1/2, df/2): there
 * df/(df+t²) rounds to 1 in float64 (t = 1e-10) and would lose the whole tail.
 */
function twoSided(t: number, df: number): number {
  const t2 = t * t;
  const x = df / (df + t2);
  return x < 0.5 ? regularizedIncompleteBeta(x, df / 2, 0.5) : 1 - regularizedIncompleteBeta(t2 / (df + t2), 0.5, df / 2);
}

/** The t value with P(T <= t) = p (bisection on {@link studentTCdf}, to about 1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (p === 0.5) return 0;
  let lo = -1;
  let hi = 1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, Math.abs(lo)); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** {@link welchTTest}'s answer. */
export interface WelchResult {
  /** The two samples' summaries. */
  a: SampleSummary;
  /** The second sample's summary. */
  b: SampleSummary;
  /** mean(a) - mean(b). */
  difference: number;
  /** The standard error of the difference, sqrt(var_a / n_a + var_b / n_b). */
  standardError: number;
  /** difference / standardError. */
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value from the Student t distribution with df degrees of freedom. */
  p: number;
  /** The 95% confidence interval of the difference, [low, high]. */
  ci95: [number, number];
}

/**
 * Welch's unequal-variances t-test of mean(a) = mean(b):
 *
 *   t = (m_a - m_b) / sqrt(s_a²/n_a + s_b²/n_b)
 *   df = (s_a²/n_a + s_b²/n_b)² / ((s_a²/n_a)² / (n_a - 1) + (s_b²/n_b)² / (n_b - 1))
 *
 * and the two-sided p-value from the t distribution with that (fractional) df. When both
 * samples have zero variance the test degenerates: p is 1 if the means are equal, else 0
 * (t is then ±Infinity and df is n_a + n_b - 2).
 * @throws RangeError when a sample has fewer than two values.
 */
export function welchTTest(a: ArrayLike<number>, b: ArrayLike<number>): WelchResult {
  if (a.length < 2 || b.length < 2) throw new RangeError(`welchTTest: each sample needs at least two values, got ${a.length} and ${b.length}`);
  const sa = summarize(a);
  const sb = summarize(b);
  const va = sa.std ** 2 / sa.n;
  const vb = sb.std ** 2 / sb.n;
  const se2 = va + vb;
  const difference = sa.mean - sb.mean;
  if (se2 === 0) {
    const df = sa.n + sb.n - 2;
    const t = difference === 0 ? 0 : difference > 0 ? Infinity : -Infinity;
    return { a: sa, b: sb, difference, standardError: 0, t, df, p: difference === 0 ? 1 : 0, ci95: [difference, difference] };
  }
  const standardError = Math.sqrt(se2);
  const t = difference / standardError;
  const df = (se2 * se2) / ((va * va) / (sa.n - 1) + (vb * vb) / (sb.n - 1));
  const q = studentTQuantile(0.975, df);
  return { a: sa, b: sb, difference, standardError, t, df, p: studentTTwoSidedP(t, df), ci95: [difference - q * standardError, difference + q * standardError] };
}
