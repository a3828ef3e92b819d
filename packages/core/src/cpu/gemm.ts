/**
 * General matrix multiply on host arrays, the workhorse of matmul and convolution:
 *   C[M x N] = beta * C + op(A)[M x K] . op(B)[K x N]
 * row-major, with leading dimensions (lda, ldb, ldc) and offsets, op(X) = X or X^T.
 * Float32 and Float64 arrays; all three arrays of one type.
 *
 * `gemm` dispatches: overlapping C rows to the reference loops; tiny problems, and all where
 * wasm SIMD is unavailable, to a register-tiled JS kernel (gemm/js-kernel.ts); the rest to a
 * WebAssembly SIMD kernel generated at run time (gemm/simd-gemm.ts; f32x4 or f64x2).
 */
import { gemmPackedJs } from './gemm/js-kernel.js';
import { gemmSimdF32, gemmSimdF64 } from './gemm/simd-gemm.js';

export type FloatArray = Float32Array | Float64Array;

export interface GemmArgs {
  M: number;
  N: number;
  K: number;
  /** op(A) = A^T when true: A is stored K x M. */
  transA: boolean;
  /** op(B) = B^T when true: B is stored N x K. */
  transB: boolean;
  A: FloatArray;
  aOffset: number;
  lda: number;
  B: FloatArray;
  bOffset: number;
  ldb: number;
  C: FloatArray;
  cOffset: number;
  ldc: number;
  /** 0: overwrite C; 1: accumulate into C. */
  beta: 0 | 1;
}

/**
 * Below this many multiply-adds the wasm path's fixed cost (several JS-to-wasm calls,
 * staging copies) exceeds its gain and the JS kernel is faster; the JS kernel beats
 * the reference loops at every size measured, down to 4x4x4.
 */
export const GEMM_SMALL = 4096;

/**
 * C = beta C + op(A) op(B). Any leading dimension may be 0 (a broadcast row). C must not
 * share memory with A or B.
 */
export function gemm(a: GemmArgs): void {
  const { M, N, K } = a;
  if (M === 0 || N === 0) return;
  // Overlapping C rows (ldc < N) make the result depend on the order rows are written in;
  // only the reference defines that order.
  if (K === 0 || (a.ldc < N && M > 1)) return gemmReference(a);
  if (M * N * K >= GEMM_SMALL && (a.C instanceof Float32Array ? gemmSimdF32(a) : gemmSimdF64(a))) return;
  gemmPackedJs(a);
}

/** Reference implementation: i-k-j loops with a float64 row accumulator. */
export function gemmReference(a: GemmArgs): void {
  const { M, N, K, A, B, C, lda, ldb, ldc, aOffset, bOffset, cOffset, transA, transB, beta } = a;
  const row = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    const cRow = cOffset + i * ldc;
    if (beta === 1) for (let j = 0; j < N; j++) row[j] = C[cRow + j]!;
    else row.fill(0);
    for (let k = 0; k < K; k++) {
      const aik = A[aOffset + (transA ? k * lda + i : i * lda + k)]!;
      if (transB) for (let j = 0; j < N; j++) row[j]! += aik * B[bOffset + j * ldb + k]!;
      else {
        const bRow = bOffset + k * ldb;
        for (let j = 0; j < N; j++) row[j]! += aik * B[bRow + j]!;
      }
    }
    for (let j = 0; j < N; j++) C[cRow + j] = row[j]!;
  }
}

export { gemmPackedJs } from './gemm/js-kernel.js';
export { gemmSimdF32, gemmSimdF64 } from './gemm/simd-gemm.js';
