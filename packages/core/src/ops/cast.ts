import { getBackend, runKernel } from '../backend/registry.js';
import { record } from '../autograd/record.js';
import { checkDType, type DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { checkTensor, wrap } from './util.js';

/** Converts to `dtype` (a no-op when it already is); gradients flow between float types. */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor('cast', 'x', x);
  checkDType('cast', dtype);
  if (x.dtype === dtype) return x;
  const out = wrap(runKernel(x.backend, 'Copy', x, dtype), x.shape);
  return record('cast', out, [x], (g) => [cast(g, x.dtype)]);
}

/** Copies to the backend named `name`; the gradient is copied back. */
export function toBackend(x: Tensor, name: string): Tensor {
  checkTensor('to', 'x', x);
  const target = getBackend(name);
  if (target === x.backend) return x;
  const data = x.dataSync();
  const out = wrap(target.fromArray(x.dtype, data), x.shape);
  return record('toBackend', out, [x], (g) => [toBackend(g, x.backend.name)]);
}
