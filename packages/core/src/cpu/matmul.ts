import type { Backend, Storage, TensorInfo } from '../backend/backend.js';
import type { DType, TypedArray } from '../dtype.js';
import { stridedOffsets } from '../shape.js';
import { type FloatArray, gemm } from './gemm.js';
import { allocFor, dataOf } from './storage.js';

/** How one matrix operand is laid out: row-major, transposed, or neither (needs a copy). */
function operandLayout(rows: number, cols: number, s0: number, s1: number): { trans: boolean; ld: number } | null {
  if (s1 === 1 || cols === 1) return { trans: false, ld: s0 };
  if (s0 === 1 || rows === 1) return { trans: true, ld: s1 };
  return null;
}

/** Copies a strided rows x cols matrix into a new row-major array. */
function packMatrix(src: TypedArray, off: number, rows: number, cols: number, s0: number, s1: number, like: FloatArray): FloatArray {
  const out = like instanceof Float32Array ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = src[off + i * s0 + j * s1]!;
  return out;
}

/**
 * Batched matmul over strided views: each batch is one GEMM call, reading operands in place
 * when their inner strides allow (row-major or transposed) and packing them otherwise.
 */
export function matmul(backend: Backend, a: TensorInfo, b: TensorInfo, outDtype: DType): Storage {
  const nd = a.shape.length;
  const M = a.shape[nd - 2]!;
  const K = a.shape[nd - 1]!;
  const N = b.shape[nd - 1]!;
  const batchShape = a.shape.slice(0, nd - 2);
  const aBatch = stridedOffsets(batchShape, a.strides.slice(0, nd - 2), a.offset);
  const bBatch = stridedOffsets(batchShape, b.strides.slice(0, nd - 2), b.offset);
  const out = allocFor(backend, outDtype, aBatch.length * M * N, false); // every element written
  const ad = dataOf(a);
  const bd = dataOf(b);
  const o = out.data;
  const [as0, as1] = [a.strides[nd - 2]!, a.strides[nd - 1]!];
  const [bs0, bs1] = [b.strides[nd - 2]!, b.strides[nd - 1]!];
  const isFloat = (x: TypedArray): x is FloatArray => x instanceof Float32Array || x instanceof Float64Array;
  if (!isFloat(o) || !isFloat(ad) || !isFloat(bd) || M * N * K === 0) {
    integerMatmul(ad, bd, o, aBatch, bBatch, M, N, K, as0, as1, bs0, bs1);
    return out;
  }
  const la = operandLayout(M, K, as0, as1);
  const lb = operandLayout(K, N, bs0, bs1);
  // A product with fewer columns than the SIMD tile (8) wastes most of its lanes; its
  // transpose, C^T = B^T A^T, has them as rows instead. Computed into a scratch block, then
  // transposed into place (the same dot products, so the same values).
  const thin = N < 8 && M >= 4 * N;
  const scratch = thin ? (o instanceof Float32Array ? new Float32Array(M * N) : new Float64Array(M * N)) : null;
  for (let t = 0; t < aBatch.length; t++) {
    const A = la ? ad : packMatrix(ad, aBatch[t]!, M, K, as0, as1, o);
    const B = lb ? bd : packMatrix(bd, bBatch[t]!, K, N, bs0, bs1, o);
    const a = { trans: la?.trans ?? false, X: A, off: la ? aBatch[t]! : 0, ld: la?.ld ?? K };
    const b = { trans: lb?.trans ?? false, X: B, off: lb ? bBatch[t]! : 0, ld: lb?.ld ?? N };
    if (scratch) {
      gemm({
        M: N, N: M, K,
        transA: !b.trans, A: b.X, aOffset: b.off, lda: b.ld,
        transB: !a.trans, B: a.X, bOffset: a.off, ldb: a.ld,
        C: scratch, cOffset: 0, ldc: M, beta: 0,
      });
      const c0 = t * M * N;
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) o[c0 + i * N + j] = scratch[j * M + i]!;
      continue;
    }
    gemm({
      M, N, K,
      transA: a.trans, A: a.X, aOffset: a.off, lda: a.ld,
      transB: b.trans, B: b.X, bOffset: b.off, ldb: b.ld,
      C: o, cOffset: t * M * N, ldc: N, beta: 0,
    });
  }
  return out;
}

/** Plain loops for integer dtypes and empty products. */
function integerMatmul(
  ad: TypedArray, bd: TypedArray, o: TypedArray, aBatch: Int32Array, bBatch: Int32Array,
  M: number, N: number, K: number, as0: number, as1: number, bs0: number, bs1: number,
): void {
  for (let t = 0; t < aBatch.length; t++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += ad[aBatch[t]! + i * as0 + k * as1]! * bd[bBatch[t]! + k * bs0 + j * bs1]!;
        o[(t * M + i) * N + j] = acc;
      }
    }
  }
}
