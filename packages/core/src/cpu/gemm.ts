/**
 * General matrix multiply on host arrays, the workhorse of matmul and convolution:
 *   C[M x N] = beta * C + op(A)[M x K] . op(B)[K x N]
 * row-major, with leading dimensions (lda, ldb, ldc) and offsets, op(X) = X or X^T.
 * Float32 and Float64 arrays; all three arrays of one type.
 */
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

/** Reference implementation: i-k-j loops with a float64 row accumulator. */
export function gemm(a: GemmArgs): void {
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
