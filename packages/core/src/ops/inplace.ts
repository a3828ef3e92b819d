/**
 * In-place writes, for what must mutate storage: running statistics, optimizer steps,
 * loading weights. They are not recorded on the tape, so they refuse tensors that autograd
 * may still need (a leaf that requires grad, while grad mode is on).
 */
import { runKernel } from '../backend/registry.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cast } from './cast.js';
import { full } from './creation.js';
import { checkTensor, commonBackend } from './util.js';
import { expand } from './views.js';

function checkWritable(op: string, dst: Tensor): void {
  if (dst.requiresGrad && isGradEnabled()) {
    throw new Error(`${op}: cannot write in place into a tensor that requires grad (shape ${fmt(dst.shape)}) while grad mode is on; wrap the update in noGrad()`);
  }
  if (dst.strides.some((s, i) => s === 0 && dst.shape[i]! > 1)) {
    throw new Error(`${op}: cannot write in place into an expanded (broadcast) view of shape ${fmt(dst.shape)}`);
  }
}

/** Writes `src` (broadcast to dst's shape, cast to its dtype) into `dst`'s storage; returns dst. */
export function copyInto(dst: Tensor, src: Tensor | number): Tensor {
  checkTensor('copy_', 'dst', dst);
  checkWritable('copy_', dst);
  const s = typeof src === 'number' ? full([], src, { dtype: dst.dtype, backend: dst.backend.name }) : checkTensor('copy_', 'src', src);
  commonBackend('copy_', [dst, s]);
  let value: Tensor;
  try {
    value = expand(cast(s.detach(), dst.dtype), dst.shape);
  } catch {
    throw new Error(`copy_: source of shape ${fmt(s.shape)} cannot be broadcast to the destination's shape ${fmt(dst.shape)}`);
  }
  // Copy first when source and destination share storage, so overlapping reads see old values.
  if (value.storage === dst.storage) value = value.clone();
  runKernel(dst.backend, 'Assign', dst, value);
  return dst;
}
