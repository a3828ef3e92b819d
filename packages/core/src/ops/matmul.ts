/** Matrix products. One primitive (batched matmul over equal batch dims) serves them all. */
import { runKernel } from '../backend/registry.js';
import { record } from '../autograd/record.js';
import { broadcastShapes, fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { promoteTypes } from '../dtype.js';
import { cast } from './cast.js';
import { expand, squeeze, transpose, unsqueeze } from './views.js';
import { checkTensor, commonBackend, wrap } from './util.js';

/** a [...B, M, K] @ b [...B, K, N] with identical batch dims (views with stride 0 are fine). */
function batchedMatmul(a: Tensor, b: Tensor): Tensor {
  const nd = a.ndim;
  const y = wrap(runKernel(a.backend, 'MatMul', a, b, a.dtype), [...a.shape.slice(0, nd - 1), b.shape[nd - 1]!]);
  return record('matmul', y, [a, b], (g) => [
    a.requiresGrad ? batchedMatmul(g, transpose(b, -1, -2)) : null,
    b.requiresGrad ? batchedMatmul(transpose(a, -1, -2), g) : null,
  ]);
}

/**
 * `torch.matmul`: dot product for 1-D x 1-D, matrix product for 2-D, and batched products with
 * broadcast batch dims otherwise (a 1-D argument gets a temporary 1 dim that is removed after).
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', 'a', a);
  checkTensor('matmul', 'b', b);
  if (a.ndim === 0 || b.ndim === 0) throw new Error(`matmul: both arguments must be at least 1-D, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  commonBackend('matmul', [a, b]);
  const dtype = promoteTypes(a.dtype, b.dtype);
  const a2 = cast(a.ndim === 1 ? unsqueeze(a, 0) : a, dtype);
  const b2 = cast(b.ndim === 1 ? unsqueeze(b, -1) : b, dtype);
  const [M, K] = a2.shape.slice(-2) as [number, number];
  const [K2, N] = b2.shape.slice(-2) as [number, number];
  if (K !== K2) throw new Error(`matmul: shapes ${fmt(a.shape)} and ${fmt(b.shape)} cannot be multiplied (${K} vs ${K2} in the contracted dim)`);
  const batch = broadcastShapes('matmul', a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  let y = batchedMatmul(expand(a2, [...batch, M, K]), expand(b2, [...batch, K, N]));
  if (a.ndim === 1) y = squeeze(y, -2);
  if (b.ndim === 1) y = squeeze(y, -1);
  return y;
}

/** Matrix product of two 2-D tensors. */
export function mm(a: Tensor, b: Tensor): Tensor {
  checkTensor('mm', 'a', a);
  checkTensor('mm', 'b', b);
  if (a.ndim !== 2 || b.ndim !== 2) throw new Error(`mm: expects two 2-D tensors, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return matmul(a, b);
}

/** Batched product of [B, M, K] and [B, K, N] (no broadcasting). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  checkTensor('bmm', 'a', a);
  checkTensor('bmm', 'b', b);
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1]) {
    throw new Error(`bmm: expects [B, M, K] and [B, K, N], got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
  return matmul(a, b);
}

/** x @ weight^T + bias, with weight [out, in] as in `torch.nn.functional.linear`. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensor('linear', 'x', x);
  checkTensor('linear', 'weight', weight);
  if (weight.ndim !== 2 || x.ndim < 1 || x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new Error(`linear: input ${fmt(x.shape)} does not match weight ${fmt(weight.shape)} (expected weight [out, ${x.shape[x.ndim - 1]}])`);
  }
  const y = matmul(x, transpose(weight, 0, 1));
  if (!bias) return y;
  checkTensor('linear', 'bias', bias);
  if (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0]) {
    throw new Error(`linear: bias ${fmt(bias.shape)} does not match weight ${fmt(weight.shape)} (expected [${weight.shape[0]}])`);
  }
  return y.add(bias);
}
