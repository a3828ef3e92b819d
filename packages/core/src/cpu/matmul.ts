import type { Backend, Storage, TensorInfo } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { stridedOffsets } from '../shape.js';
import { allocFor, dataOf } from './storage.js';

/**
 * Batched matmul over strided views. Each output row is accumulated in a Float64Array so
 * float32 results are rounded once, and the i-k-j order streams rows of b.
 */
export function matmul(backend: Backend, a: TensorInfo, b: TensorInfo, outDtype: DType): Storage {
  const nd = a.shape.length;
  const M = a.shape[nd - 2]!;
  const K = a.shape[nd - 1]!;
  const N = b.shape[nd - 1]!;
  const batchShape = a.shape.slice(0, nd - 2);
  const aBatch = stridedOffsets(batchShape, a.strides.slice(0, nd - 2), a.offset);
  const bBatch = stridedOffsets(batchShape, b.strides.slice(0, nd - 2), b.offset);
  const out = allocFor(backend, outDtype, aBatch.length * M * N);
  const o = out.data;
  const ad = dataOf(a);
  const bd = dataOf(b);
  const [as0, as1] = [a.strides[nd - 2]!, a.strides[nd - 1]!];
  const [bs0, bs1] = [b.strides[nd - 2]!, b.strides[nd - 1]!];
  const row = new Float64Array(N);
  for (let t = 0; t < aBatch.length; t++) {
    const aOff = aBatch[t]!;
    const bOff = bBatch[t]!;
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const aik = ad[aOff + i * as0 + k * as1]!;
        const bRow = bOff + k * bs0;
        if (bs1 === 1) for (let j = 0; j < N; j++) row[j]! += aik * bd[bRow + j]!;
        else for (let j = 0; j < N; j++) row[j]! += aik * bd[bRow + j * bs1]!;
      }
      o.set(row, (t * M + i) * N);
    }
  }
  return out;
}
