/**
 * Fused optimizer updates: one kernel pass per parameter that writes the parameter and its
 * state in place. The optimizers of @dynconv/nn use them when every tensor is a dense,
 * same-dtype block, and their rules written with tensor ops otherwise (the readable
 * definitions, which tests compare these against).
 */
import type { AdamScalars, SgdScalars } from '../backend/backend.js';
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
  const backend = checkStep(op, param, [['grad', grad], ['expAvg', expAvg], ['expAvgSq', expAvgSq], ['maxExpAvgSq', maxExpAvgSq]]);
  if (scalars.amsgrad !== (maxExpAvgSq !== null)) throw new Error(`${op}: maxExpAvgSq must be given exactly when amsgrad is set`);
  if (!Number.isInteger(scalars.step) || scalars.step < 1) throw new Error(`${op}: step must be an integer >= 1, got ${scalars.step}`);
  runKernel(backend, 'AdamStep', param, grad, expAvg, expAvgSq, maxExpAvgSq, scalars);
}

/**
 * One SGD step in place (torch.optim.SGD's rule, see `SGD` in @dynconv/nn): `param` and, with
 * momentum, `momentumBuffer` (null without momentum) are overwritten. The same requirements as
 * {@link adamStep_}; results equal the rule written with tensor ops bit for bit.
 */
export function sgdStep_(param: Tensor, grad: Tensor, momentumBuffer: Tensor | null, scalars: SgdScalars): void {
  const op = 'sgdStep_';
  const backend = checkStep(op, param, [['grad', grad], ['momentumBuffer', momentumBuffer]]);
  if ((scalars.momentum !== 0) !== (momentumBuffer !== null)) throw new Error(`${op}: momentumBuffer must be given exactly when momentum is not 0`);
  runKernel(backend, 'SgdStep', param, grad, momentumBuffer, scalars);
}

/**
 * The checks the fused steps share: every tensor of the parameter's shape and floating dtype,
 * state contiguous and not sharing storage with the parameter or each other, one backend,
 * grad mode off for a parameter that requires grad. Returns the backend.
 */
function checkStep(op: string, param: Tensor, rest: [string, Tensor | null][]) {
  const named: [string, Tensor | null][] = [['param', param], ...rest];
  for (const [name, t] of named) {
    if (t === null) continue;
    checkTensor(op, name, t);
    if (!shapesEqual(t.shape, param.shape)) throw new Error(`${op}: ${name} has shape ${fmt(t.shape)}, the parameter ${fmt(param.shape)}`);
    if (t.dtype !== param.dtype || !isFloating(t.dtype)) throw new Error(`${op}: ${name} is ${t.dtype}; every tensor must have the parameter's floating dtype (${param.dtype})`);
    if (name !== 'grad' && !isContiguous(t.shape, t.strides)) throw new Error(`${op}: ${name} of shape ${fmt(t.shape)} must be contiguous`);
  }
  if (isGradEnabled() && param.requiresGrad) throw new Error(`${op}: cannot update a parameter that requires grad while grad mode is on; wrap the update in noGrad()`);
  const tensors = named.map(([, t]) => t).filter((t): t is Tensor => t !== null);
  const backend = commonBackend(op, tensors);
  const state = named.filter(([name, t]) => name !== 'grad' && t !== null).map(([, t]) => t!.storage);
  if (new Set(state).size !== state.length) throw new Error(`${op}: ${named.filter(([n, t]) => n !== 'grad' && t).map(([n]) => n).join(', ')} must not share storage`);
  return backend;
}
