/** expectClose passes within tolerance, and fails with a message that names the worst element. */
import { tensor } from '@dynconv/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectClose, runs } from '../src/index.js';

describe('expectClose', () => {
  it('passes equal and nearly equal values, NaN against NaN and equal infinities', () => {
    expectClose([1, 2, 3], [1, 2, 3]);
    expectClose(Float32Array.from([1, 2]), [1, 2 + 1e-13]);
    expectClose([NaN, Infinity, -Infinity, 0], [NaN, Infinity, -Infinity, -0]);
    expectClose(1.5, 1.5 + 1e-3, { atol: 1e-2 });
    expectClose(100, 101, { rtol: 0.01, atol: 0 });
  });

  it('accepts tensors, nested arrays and numbers, and compares their shapes', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    expectClose(t, [[1, 2, 3], [4, 5, 6]]);
    expectClose(t, Float64Array.from([1, 2, 3, 4, 5, 6])); // flat: only the count must match
    expectClose(t.sum(), 21);
    expect(() => expectClose(t, [[1, 2], [3, 4], [5, 6]])).toThrow('shape mismatch: got [2, 3], expected [3, 2]');
    expect(() => expectClose(t, t.reshape([6]))).toThrow('shape mismatch: got [2, 3], expected [6]');
    expect(() => expectClose(t.sum(), [21])).not.toThrow(); // a flat array of one
    expect(() => expectClose([1, 2], [1, 2, 3])).toThrow('size mismatch: got 2 elements, expected 3 elements');
    expect(() => expectClose([[1, 2], [3]], [[1, 2], [3, 4]])).toThrow(/actual is ragged at \[1\]/);
  });

  it('names the worst element, its values, the difference and the tolerance', () => {
    let message = '';
    try {
      expectClose([1, 2.001, 3.1, 4], [1, 2, 3, 4], { rtol: 0, atol: 1e-6 });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('2 of 4 elements differ; worst is element 2: got 3.1, expected 3, |diff| 0.10000000000000009 > tolerance 0.000001 (atol 0.000001 + rtol 0 * |expected|)');
    expect(() => expectClose(tensor([[0, 0], [0, 5]]), [[0, 0], [0, 0]], { label: 'grad of w' })).toThrow(
      /^grad of w: 1 of 4 elements differ; worst is element \[1, 1\] \(flat 3\): got 5, expected 0/,
    );
    expect(() => expectClose([1, NaN], [1, 1])).toThrow(/worst is element 1: got NaN, expected 1/);
    expect(() => expectClose([Infinity], [-Infinity])).toThrow(/got Infinity, expected -Infinity/);
  });

  it('the worst element is the one furthest outside its tolerance (relative to |expected|)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 20 }), fc.nat(), (xs, k) => {
        const expected = xs.map((x) => x + 1000);
        const actual = expected.map((e, i) => (i === k % xs.length ? e * 1.5 : e * 1.01));
        let message = '';
        try {
          expectClose(actual, expected, { rtol: 1e-3, atol: 0 });
        } catch (e) {
          message = (e as Error).message;
        }
        expect(message).toContain(`${xs.length} of ${xs.length} elements differ; worst is element ${k % xs.length}:`);
      }),
      runs(),
    );
  });

  it('agrees with the definition on random pairs', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ noNaN: true, min: -1e3, max: 1e3 }), fc.double({ noNaN: true, min: -1e3, max: 1e3 }))), fc.double({ min: 0, max: 1, noNaN: true }), (pairs, tol) => {
        const ok = pairs.every(([a, e]) => a === e || Math.abs(a - e) <= tol + tol * Math.abs(e));
        const run = () => expectClose(pairs.map((p) => p[0]), pairs.map((p) => p[1]), { rtol: tol, atol: tol });
        if (ok) expect(run).not.toThrow();
        else expect(run).toThrow(/elements differ; worst is element/);
      }),
      runs(),
    );
  });

  it('refuses what it cannot compare', () => {
    expect(() => expectClose('1' as never, 1)).toThrow('expectClose: actual must be a Tensor, an array or a number, got string');
    expect(() => expectClose([1], [1], { rtol: -1 })).toThrow(/rtol and atol must be >= 0/);
  });
});
