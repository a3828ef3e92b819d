/**
 * Fused optimizer updates: one kernel pass per parameter that writes the parameter and its
 * state in place. The optimizers of @dynconv/nn use them when every tensor is a dense,
 * same-dtype block, and their rules written with tensor ops otherwise (the readable
 * definitions, which tests compare these against).
 */
import type { AdamScalars } from '../backend/backend.js';
import { runKernel } from '../backend/registry.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { isFloating } from '../dtype.js';
import { fmt, isContiguous, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkTensor, commonBackend } from './util.js';


/**
 * One Adam/AdamW step in place (PyTorch's rule, see `adamUpdate` in @dynconv/nn):
 * `param`, `expAvg`, `expAvgSq` (and `maxExpAvgSq` with amsgrad) are overwritten with their
 * new values. All tensors must have the parameter's shape and floating dtype, live on one
 * backend and be contiguous (grad may have any layout); the call must run with grad mode off (inside `noGrad`), since
 * in-place writes are not recorded.
 */
export function adamStep_(param: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor | null, scalars: AdamScalars): void {
  const op = 'adamStep_';
  const named: [string, Tensor | null][] = [['param', param], ['grad', grad], ['expAvg', expAvg], ['expAvgSq', expAvgSq], ['maxExpAvgSq', maxExpAvgSq]];
  for (const [name, t] of named) {
    if (t === null) continue;
    checkTensor(op, name, t);
    if (!shapesEqual(t.shape, param.shape)) throw new Error(`${op}: ${name} has shape ${fmt(t.shape)}, the parameter ${fmt(param.shape)}`);
    if (t.dtype !== param.dtype || !isFloating(t.dtype)) throw new Error(`${op}: ${name} is ${t.dtype}; every tensor must have the parameter's floating dtype (${param.dtype})`);
    if (name !== 'grad' && !isContiguous(t.shape, t.strides)) throw new Error(`${op}: ${name} of shape ${fmt(t.shape)} must be contiguous`);
  }
  if (scalars.amsgrad !== (maxExpAvgSq !== null)) throw new Error(`${op}: maxExpAvgSq must be given exactly when amsgrad is set`);
  if (!Number.isInteger(scalars.step) || scalars.step < 1) throw new Error(`${op}: step must be an integer >= 1, got ${scalars.step}`);
  if (isGradEnabled() && param.requiresGrad) throw new Error(`${op}: cannot update a parameter that requires grad while grad mode is on; wrap the update in noGrad()`);
  const tensors = named.map(([, t]) => t).filter((t): t is Tensor => t !== null);
  const backend = commonBackend(op, tensors);
  const storages = new Set([param, expAvg, expAvgSq, maxExpAvgSq].filter((t) => t !== null).map((t) => t!.storage));
  if (storages.size !== (maxExpAvgSq ? 4 : 3)) throw new Error(`${op}: param, expAvg, expAvgSq and maxExpAvgSq must not share storage`);
  runKernel(backend, 'AdamStep', param, grad, expAvg, expAvgSq, maxExpAvgSq, scalars);
}
