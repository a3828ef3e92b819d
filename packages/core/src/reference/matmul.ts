/** Batched matrix product of the reference backend: the textbook triple loop per batch. */
import type { Backend, Storage, TensorInfo } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { indicesOf, read, storageFrom } from './storage.js';

/**
 * a [...B, M, K] times b [...B, K, N] (equal batch dims B) gives [...B, M, N]:
 * out[t, i, j] = Σ_k a[t, i, k] * b[t, k, j], summed in double in order of k.
 */
export function matmul(backend: Backend, a: TensorInfo, b: TensorInfo, outDtype: DType): Storage {
  const nd = a.shape.length;
  const [M, K] = [a.shape[nd - 2]!, a.shape[nd - 1]!];
  const N = b.shape[nd - 1]!;
  const values: number[] = [];
  for (const t of indicesOf(a.shape.slice(0, nd - 2))) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += read(a, [...t, i, k]) * read(b, [...t, k, j]);
        values.push(sum);
      }
    }
  }
  return storageFrom(backend, outDtype, values);
}
