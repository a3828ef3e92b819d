import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arange, type NestedArray, ones, tensor } from '../src/index.js';
import { runs } from './helpers/arbitraries.js';

/** Nested values as text, every one shown. */
const full = (x: NestedArray): string => (Array.isArray(x) ? `[${x.map(full).join(', ')}]` : String(x));

/** The same, each dim longer than 6 cut to its first 3 and last 3 around `...` (PyTorch's rule). */
const summarized = (x: NestedArray): string => {
  if (!Array.isArray(x)) return String(x);
  const parts = x.length > 6 ? [...x.slice(0, 3).map(summarized), '...', ...x.slice(-3).map(summarized)] : x.map(summarized);
  return `[${parts.join(', ')}]`;
};

describe('printing', () => {
  it('up to 1000 elements, every value, as the nested values read', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 0, maxLength: 3 }), fc.boolean(), (shape, transpose) => {
        const n = shape.reduce((a, b) => a * b, 1);
        let t = arange(0, n, 1, { dtype: 'float64' }).sub(n / 2).mul(0.5).reshape(shape);
        if (transpose && shape.length >= 2) t = t.transpose(0, 1);
        expect(t.toString()).toBe(`tensor(${full(t.toArray())}, dtype=float64)`);
      }),
      runs(),
    );
  });

  it('beyond 1000 elements, each long dim summarized with ... (edge items 3), strided views included', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 }).filter((s) => s.reduce((a, b) => a * b, 1) > 1000), fc.boolean(), (shape, transpose) => {
        let t = arange(shape.reduce((a, b) => a * b, 1)).reshape(shape);
        if (transpose && shape.length >= 2) t = t.transpose(0, 1);
        expect(t.toString()).toBe(`tensor(${summarized(t.toArray())}, shape=[${t.shape.join(', ')}], dtype=float32)`);
      }),
      runs(),
    );
    expect(arange(2000).toString()).toBe('tensor([0, 1, 2, ..., 1997, 1998, 1999], shape=[2000], dtype=float32)');
    expect(tensor([true, false]).toString()).toBe('tensor([true, false], dtype=bool)');
  });

  it('a tensor of 2^31 elements prints at once and refuses toArray at once, with a message', () => {
    const huge = ones([1]).expand([2 ** 31]); // a view: no 8 GiB of storage
    const start = performance.now();
    expect(huge.toString()).toBe('tensor([1, 1, 1, ..., 1, 1, 1], shape=[2147483648], dtype=float32)');
    expect(() => huge.toArray()).toThrow('toArray: the tensor of shape [2147483648] has 2,147,483,648 elements; nested arrays of more than 134,217,728 (2^27) numbers would exhaust the JS heap');
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
