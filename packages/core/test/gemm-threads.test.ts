/**
 * Helper threads split each large GEMM block by column panels; every C element is still
 * computed by one thread in the single-thread order, so results must be bitwise identical for
 * any thread count, and match the reference loops.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads, threadsSupported } from '../src/cpu/gemm/threads.js';
import { gemmReference, gemmSimdF32, gemmSimdF64, type GemmArgs } from '../src/cpu/gemm.js';
import { runs } from '@dynconv/testing';

const initial = getNumThreads();
afterAll(() => setNumThreads(initial));

function make(n: number, seed: number, f64: boolean): Float32Array | Float64Array {
  const a = f64 ? new Float64Array(n) : new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

function problem(M: number, N: number, K: number, transA: boolean, transB: boolean, beta: 0 | 1, f64: boolean, seed: number): GemmArgs {
  return {
    M, N, K, transA, transB, beta,
    A: make(M * K, seed, f64), aOffset: 0, lda: transA ? M : K,
    B: make(K * N, seed + 1, f64), bOffset: 0, ldb: transB ? K : N,
    C: make(M * N, seed + 2, f64), cOffset: 0, ldc: N,
  };
}

const run = (p: GemmArgs, threads: number): Float32Array | Float64Array => {
  setNumThreads(threads);
  const C = p.C.slice();
  const ok = (p.C instanceof Float64Array ? gemmSimdF64 : gemmSimdF32)({ ...p, C });
  expect(ok).toBe(true);
  return C;
};

describe.skipIf(!threadsSupported())('gemm on helper threads', () => {
  it('gives bitwise the same C for 1, 2 and 3 threads, close to the reference', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 64, max: 300 }), fc.integer({ min: 16, max: 700 }), fc.integer({ min: 32, max: 600 }),
        fc.boolean(), fc.boolean(), fc.constantFrom<0 | 1>(0, 1), fc.boolean(), fc.integer({ min: 1, max: 1e6 }),
        (M, N, K, tA, tB, beta, f64, seed) => {
          const p = problem(M, N, K, tA, tB, beta, f64, seed);
          const one = run(p, 1);
          expect(run(p, 2)).toEqual(one);
          expect(run(p, 3)).toEqual(one);
          const ref = p.C.slice();
          gemmReference({ ...p, C: ref });
          const tol = f64 ? 1e-9 : 2e-3;
          for (let i = 0; i < ref.length; i += 7) expect(Math.abs(one[i]! - ref[i]!)).toBeLessThan(tol * (1 + Math.abs(ref[i]!)));
        },
      ),
      runs(),
    );
  });

  it('refuses a thread count that is not a positive integer', () => {
    expect(() => setNumThreads(0)).toThrow(/setNumThreads: expects a positive integer, got 0/);
    expect(() => setNumThreads(1.5)).toThrow(/positive integer/);
  });
});
