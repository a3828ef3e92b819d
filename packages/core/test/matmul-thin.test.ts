/**
 * Products with fewer than 8 columns run as their transpose (cpu/matmul.ts: C^T = B^T A^T into
 * a scratch block, then transposed into place). Checked against the reference backend over
 * generated sizes, batch counts, operand layouts and dtypes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, randn } from '../src/index.js';
import { runs } from '@dynconv/testing';

describe('thin matmul (N < 8) on the CPU backend', () => {
  it('matches the reference backend', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }), fc.integer({ min: 4, max: 90 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 7 }),
        fc.boolean(), fc.boolean(), fc.constantFrom('float32', 'float64' as const), fc.integer({ min: 0, max: 1e6 }),
        (B, M, K, N, ta, tb, dtype, seed) => {
          const g = new Generator(seed);
          const a0 = randn(ta ? [B, K, M] : [B, M, K], { generator: g, dtype });
          const b0 = randn(tb ? [B, N, K] : [B, K, N], { generator: g, dtype });
          const a = ta ? a0.transpose(1, 2) : a0;
          const b = tb ? b0.transpose(1, 2) : b0;
          const fast = a.matmul(b).dataSync();
          const ref = a.to('reference').matmul(b.to('reference')).dataSync();
          const tol = dtype === 'float64' ? 1e-10 : 1e-4;
          expect(fast.length).toBe(B * M * N);
          for (let i = 0; i < ref.length; i++) expect(Math.abs(fast[i]! - ref[i]!)).toBeLessThan(tol * (1 + Math.sqrt(K)));
        },
      ),
      runs(),
    );
  });
});
