/** Scalar functions JavaScript's Math lacks, accurate enough for float64 gradient checks. */

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * The error function, from the everywhere-positive series
 * erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)),
 * which has no cancellation, so it keeps full double precision (unlike the usual
 * 1e-7 rational approximations, which would wreck finite differences). erf(6) is 1 in double.
 */
export function erf(x: number): number {
  if (x !== x) return x;
  const ax = Math.abs(x);
  if (ax >= 6) return x > 0 ? 1 : -1;
  const x2 = 2 * ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 400; n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const r = TWO_OVER_SQRT_PI * Math.exp(-ax * ax) * sum;
  return x < 0 ? -r : r;
}

/** Round half to even, as PyTorch's `round` does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Numerically stable logistic function. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * max(x, 0) without a data-dependent branch for finite x, where the branch of `x < 0 ? 0 : x`
 * is mispredicted on mixed signs (measured: docs/benchmarks.md, "Issue 11"): (x + |x|) / 2 is
 * exact for values of float32 range computed in double (doubling never rounds or overflows
 * there). Its one wrong case, -Infinity (giving NaN), and NaN itself take the rarely taken
 * branch. Negative zero gives +0, as PyTorch's relu does. Not for float64 inputs beyond 2^1023
 * (x + x overflows).
 */
export function reluFloat32(x: number): number {
  const r = (x + Math.abs(x)) * 0.5;
  return r === r ? r : x === x ? 0 : x;
}

/**
 * min(max(x, 0), 6) for values of float32 range, branch-free in the common case: with
 * r = max(x, 0), min(r, 6) = r - max(r - 6, 0), exact for r < 2^24 (r - 6 is then exact in
 * double); larger r, infinities and NaN take the rarely taken branch.
 */
export function relu6Float32(x: number): number {
  const r = reluFloat32(x);
  return r < 16777216 ? r - reluFloat32(r - 6) : r === r ? 6 : r;
}
