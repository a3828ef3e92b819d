/**
 * Batched matmul: one thread per output element, a literal-bound loop over K (blocked by 256
 * for float32 accuracy). Operands are read in place with any strides, batch dims included.
 */
import type { DType, TensorInfo } from '@dynconv/core';
import { coalesce, convertTo, dot, lit, unravel } from '../codegen.js';
import type { GpuStorage } from '../storage.js';
import { storageOf } from '../storage.js';
import { checkDType, type GpuBackend } from './common.js';
import { fill } from './elementwise.js';

const BLOCK = 256;

export function matmul(b: GpuBackend, a: TensorInfo, bm: TensorInfo, outDtype: DType): GpuStorage {
  const op = 'MatMul';
  checkDType(op, outDtype);
  checkDType(op, a.dtype);
  const as = storageOf(b, a, op);
  const bs = storageOf(b, bm, op);
  const nd = a.shape.length;
  const M = a.shape[nd - 2]!;
  const K = a.shape[nd - 1]!;
  const N = bm.shape[nd - 1]!;
  const batchShape = a.shape.slice(0, nd - 2);
  const B = batchShape.reduce((p, q) => p * q, 1);
  const n = B * M * N;
  if (n === 0) return b.wrap(outDtype, 0, new Float32Array(0));
  // An empty sum (K = 0) is zero; the operands are empty storages, which gpu.js cannot take as arguments.
  if (K === 0) return fill(b, n, 0, outDtype);
  const batch = coalesce(batchShape, [a.strides.slice(0, nd - 2), bm.strides.slice(0, nd - 2)]);
  const [as0, as1] = [a.strides[nd - 2]!, a.strides[nd - 1]!];
  const [bs0, bs1] = [bm.strides[nd - 2]!, bm.strides[nd - 1]!];
  const key = `MM|${outDtype}|${batch.dims.join('x')}/${batch.strides.map((s) => s.join(',')).join('/')}|${M}x${K}x${N}|${as0},${as1},${bs0},${bs1}|${as.size},${bs.size}`;
  const data = b.ctx.launch(op, key, n, () => {
    const blocked = K > 2 * BLOCK;
    const nb = Math.ceil(K / BLOCK);
    const kLoop = blocked
      ? `for (let kb = 0; kb < ${nb}; kb++) {
let part = 0.0;
for (let ki = 0; ki < ${BLOCK}; ki++) {
const k = kb * ${BLOCK} + ki;
${K % BLOCK !== 0 ? `if (k < ${K}) {` : '{'}
part += xa[ia + k * ${lit(as1)}] * xb[ib + k * ${lit(bs0)}];
}
}
acc += part;
}`
      : `for (let k = 0; k < ${K}; k++) {
acc += xa[ia + k * ${lit(as1)}] * xb[ib + k * ${lit(bs0)}];
}`;
    return `function(xa, oa, xb, ob) {
${unravel('this.thread.x', [B, M, N], 't')}
${unravel('t0', batch.dims, 'c')}
const ia = ${dot('oa', 'c', batch.strides[0]!)} + t1 * ${lit(as0)};
const ib = ${dot('ob', 'c', batch.strides[1]!)} + t2 * ${lit(bs1)};
let acc = 0.0;
${kLoop}
return ${convertTo(outDtype, 'acc')};
}`;
  }, [as.data, a.offset, bs.data, bm.offset]);
  return b.wrap(outDtype, n, data);
}
