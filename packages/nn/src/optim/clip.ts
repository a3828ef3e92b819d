/** Gradient clipping by total norm and by value (torch.nn.utils.clip_grad_norm_ / clip_grad_value_). */
import { notATensorError, Tensor, div, noGrad, stack, tensor, zeros } from '@dynconv/core';
import { show } from './check.js';

function gradsOf(op: string, params: Tensor | Iterable<Tensor>): Tensor[] {
  const list: unknown[] = params instanceof Tensor ? [params] : typeof (params as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] === 'function' ? [...params] : [params];
  const out: Tensor[] = [];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw notATensorError(op, `params[${i}]`, p, show(p));
    if (p.grad !== null) out.push(p);
  });
  return out;
}

/** The p-norm of all elements of `t` (max |x| for p = Infinity), as a 0-d tensor. */
function vectorNorm(t: Tensor, p: number): Tensor {
  if (t.numel() === 0) return zeros([], { dtype: t.dtype, backend: t.backend.name });
  const a = t.abs();
  if (p === Infinity) return a.amax();
  if (p === 1) return a.sum();
  if (p === 2) return a.mul(a).sum().sqrt();
  return a.pow(p).sum().pow(1 / p);
}

/**
 * Scales the gradients of `params` so that their total norm (the norm of all gradients
 * concatenated) is at most `maxNorm`, and returns that total norm (before clipping) as a 0-d
 * tensor. As in PyTorch, the gradients are multiplied by min(1, maxNorm / (total + 1e-6)), so a
 * total just under maxNorm is left alone and a larger one ends slightly below maxNorm.
 * `normType` is any p > 0 or Infinity (the largest absolute value). Parameters with no `.grad`
 * are skipped; with none at all the result is 0.
 *
 * Each clipped `.grad` is a new tensor rather than an in-place write: a leaf's `.grad` may share
 * storage with other tensors (another leaf's gradient, or the gradient given to backward), and
 * scaling shared storage in place would scale it twice or corrupt the caller's tensor.
 */
export function clipGradNorm(params: Tensor | Iterable<Tensor>, maxNorm: number, normType = 2, errorIfNonfinite = false): Tensor {
  if (!(typeof maxNorm === 'number' && maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be a number >= 0, got ${show(maxNorm)}`);
  if (!(typeof normType === 'number' && normType > 0)) throw new Error(`clipGradNorm: normType must be a number > 0 or Infinity, got ${show(normType)}`);
  const ps = gradsOf('clipGradNorm', params);
  return noGrad(() => {
    if (ps.length === 0) return tensor(0);
    const norms = ps.map((p) => vectorNorm(p.grad!, normType));
    // Per-gradient norms first, then the norm of those, as PyTorch does; mixed dtypes meet in the wider.
    const dtype = norms.some((n) => n.dtype === 'float64') ? 'float64' : 'float32';
    const total = norms.length === 1 ? norms[0]! : vectorNorm(stack(norms.map((n) => n.to(dtype))), normType);
    if (errorIfNonfinite && !Number.isFinite(total.item())) {
      throw new Error(`clipGradNorm: the total norm of order ${normType} of the gradients is ${total.item()}; set errorIfNonfinite to false to clip anyway`);
    }
    const coef = div(maxNorm, total.add(1e-6)).clamp(null, 1);
    for (const p of ps) p.grad = p.grad!.mul(coef.to(p.grad!.dtype));
    return total;
  });
}

/**
 * Clamps every gradient of `params` to [-clipValue, clipValue]. Like {@link clipGradNorm} it
 * replaces each `.grad` with a new tensor instead of writing into storage that may be shared.
 */
export function clipGradValue(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  if (!(typeof clipValue === 'number' && clipValue >= 0)) throw new Error(`clipGradValue: clipValue must be a number >= 0, got ${show(clipValue)}`);
  const ps = gradsOf('clipGradValue', params);
  noGrad(() => {
    for (const p of ps) p.grad = p.grad!.clamp(-clipValue, clipValue);
  });
}
