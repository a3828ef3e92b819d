/**
 * Run by gemm-fma.test.ts in a child `node --experimental-wasm-relaxed-simd` (Node 20 needs the
 * flag for relaxed SIMD): checks the FMA GEMM kernels against the reference loops over random
 * problems, with one and two threads, and prints one JSON line with the outcome.
 */
import { gemmReference, type GemmArgs } from '../../src/cpu/gemm.js';
import { F32_FMA_SHAPE, F64_FMA_SHAPE, gemmSimdF32, gemmSimdF64, gemmUsesFma } from '../../src/cpu/gemm/simd-gemm.js';
import { simdKernel } from '../../src/cpu/gemm/simd-kernel.js';
import { setNumThreads } from '../../src/cpu/gemm/threads.js';

let seed = 12345;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 31 - 1);
const problems: string[] = [];
let worst = 0;
const available = simdKernel(F32_FMA_SHAPE) !== null && simdKernel(F64_FMA_SHAPE) !== null;
if (available) {
  for (let t = 0; t < 40; t++) {
    const [M, N, K] = [1 + Math.floor(((rand() + 1) / 2) * 150), 1 + Math.floor(((rand() + 1) / 2) * 150), 1 + Math.floor(((rand() + 1) / 2) * 300)];
    const f64 = t % 2 === 1;
    const transA = rand() > 0;
    const transB = rand() > 0;
    const beta = rand() > 0 ? 1 : 0;
    const arr = (n: number) => (f64 ? Float64Array.from({ length: n }, rand) : Float32Array.from({ length: n }, rand));
    const g: GemmArgs = { M, N, K, transA, transB, beta, A: arr(M * K), aOffset: 0, lda: transA ? M : K, B: arr(K * N), bOffset: 0, ldb: transB ? K : N, C: arr(M * N), cOffset: 0, ldc: N };
    const exact = { ...g, A: Float64Array.from(g.A), B: Float64Array.from(g.B), C: Float64Array.from(g.C) };
    gemmReference(exact);
    const results = [1, 2].map((threads) => {
      setNumThreads(threads);
      const C = g.C.slice();
      (f64 ? gemmSimdF64 : gemmSimdF32)({ ...g, C }, f64 ? F64_FMA_SHAPE : F32_FMA_SHAPE);
      return C;
    });
    for (let i = 0; i < M * N; i++) {
      // |error| relative to K (sum of K products of values in [-1, 1]).
      const err = Math.abs(results[0]![i]! - exact.C[i]!) / K;
      worst = Math.max(worst, f64 ? err * 1e7 : err); // float64 errors scaled to be comparable
      if (results[0]![i] !== results[1]![i]) problems.push(`${M}x${N}x${K}: thread counts differ at ${i}`);
    }
  }
}
console.log(JSON.stringify({ available, usesFma: gemmUsesFma(), worst, problems: problems.slice(0, 5) }));
