/**
 * Loss functions with PyTorch's semantics (`torch.nn.functional`), composed from
 * differentiable ops: class losses pick log-probabilities with `gather` and drop ignored
 * targets with `where`, so their gradients (of any order) need no backward of their own.
 */
import { fmt, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { isFloating } from '../dtype.js';
import { where } from './binary.js';
import { gather } from './indexing.js';
import { abs, log1p, exp } from './unary.js';
import { logSoftmax } from './softmax.js';
import { sum } from './reduce.js';
import { checkFloating, checkTensor, commonBackend } from './util.js';

/** How per-element losses are combined: averaged, summed, or returned as they are. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options shared by every loss. */
export interface LossOptions {
  /** Default 'mean'. */
  reduction?: Reduction;
}

/** Options of {@link smoothL1Loss}. */
export interface SmoothL1LossOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1; 0 gives the L1 loss). */
  beta?: number;
}

/** Options of {@link binaryCrossEntropyWithLogits}. */
export interface BCEWithLogitsOptions extends LossOptions {
  /** Rescales each element's loss; broadcast to the input's shape. */
  weight?: Tensor | null;
  /** Weight of the positive term, per class (broadcast along the last dims, usually [C]). */
  posWeight?: Tensor | null;
}

/** Options of {@link nllLoss}. */
export interface NLLLossOptions extends LossOptions {
  /** Per-class weights, shape [C]. */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing, not even to the 'mean' denominator (default -100). */
  ignoreIndex?: number;
}

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions extends NLLLossOptions {
  /** Mixes the target with the uniform distribution: (1 - s) * target + s / C (default 0). */
  labelSmoothing?: number;
}

function checkReduction(op: string, reduction: unknown): Reduction {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
  }
  return reduction;
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? sum(loss) : loss.mean();
}

/** Checks input and target of an elementwise loss: floating tensors of the same shape. */
function checkPair(op: string, input: Tensor, target: Tensor, inputName = 'input'): void {
  checkTensor(op, inputName, input);
  checkTensor(op, 'target', target);
  checkFloating(op, inputName, input);
  checkFloating(op, 'target', target);
  commonBackend(op, [input, target]);
  if (!shapesEqual(input.shape, target.shape)) {
    throw new Error(`${op}: target of shape ${fmt(target.shape)} must have the same shape as ${inputName} ${fmt(input.shape)}`);
  }
}

/** Mean squared error: (input - target)^2. */
export function mseLoss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  const reduction = checkReduction('mseLoss', opts.reduction ?? 'mean');
  checkPair('mseLoss', input, target);
  const d = input.sub(target);
  return reduce(d.mul(d), reduction);
}

/** Mean absolute error: |input - target| (gradient 0 where they are equal, as PyTorch). */
export function l1Loss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  const reduction = checkReduction('l1Loss', opts.reduction ?? 'mean');
  checkPair('l1Loss', input, target);
  return reduce(abs(input.sub(target)), reduction);
}

/**
 * Huber-style loss: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, with d = input - target.
 * beta = 0 is the L1 loss.
 */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: SmoothL1LossOptions = {}): Tensor {
  const reduction = checkReduction('smoothL1Loss', opts.reduction ?? 'mean');
  const beta = opts.beta ?? 1;
  if (typeof beta !== 'number' || !(beta >= 0) || beta === Infinity) throw new Error(`smoothL1Loss: beta must be a finite number >= 0, got ${beta}`);
  checkPair('smoothL1Loss', input, target);
  const d = input.sub(target);
  const ad = abs(d);
  // beta = 0 would put 0 * inf into the unused quadratic branch's gradient.
  if (beta === 0) return reduce(ad, reduction);
  return reduce(where(ad.lt(beta), d.mul(d).mul(0.5 / beta), ad.sub(0.5 * beta)), reduction);
}

/** An optional tensor that must broadcast to `shape`. */
function checkBroadcastable(op: string, name: string, t: Tensor | null | undefined, shape: readonly number[]): Tensor | null {
  if (t === null || t === undefined) return null;
  checkTensor(op, name, t);
  checkFloating(op, name, t);
  const ok = t.ndim <= shape.length && t.shape.every((d, i) => d === 1 || d === shape[shape.length - t.ndim + i]);
  if (!ok) throw new Error(`${op}: ${name} of shape ${fmt(t.shape)} cannot be broadcast to the input's shape ${fmt(shape)}`);
  return t;
}

/**
 * Binary cross entropy on logits, in the stable form
 * `(1 - y) x + (1 + (posWeight - 1) y) softplus(-x)`, times `weight`;
 * softplus(-x) is written `log1p(exp(-|x|)) + max(-x, 0)` so no exp overflows.
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, opts: BCEWithLogitsOptions = {}): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  const reduction = checkReduction(op, opts.reduction ?? 'mean');
  checkPair(op, logits, target, 'logits');
  const weight = checkBroadcastable(op, 'weight', opts.weight, logits.shape);
  const posWeight = checkBroadcastable(op, 'posWeight', opts.posWeight, logits.shape);
  commonBackend(op, [logits, ...[weight, posWeight].filter((t): t is Tensor => !!t)]);
  // The tie rule of maximum gives the exact derivative -1/2 of softplus(-x) at x = 0.
  const softplusNeg = log1p(exp(abs(logits).neg())).add(logits.neg().maximum(0));
  const positive = posWeight ? posWeight.sub(1).mul(target).add(1).mul(softplusNeg) : softplusNeg;
  let loss = target.neg().add(1).mul(logits).add(positive);
  if (weight) loss = loss.mul(weight);
  return reduce(loss, reduction);
}

/** The class dim of a class-loss input: 0 for [C], else 1 ([N, C] or [N, C, d1, ...]). */
function classDim(input: Tensor): number {
  return input.ndim === 1 ? 0 : 1;
}

function checkClassInput(op: string, name: string, input: Tensor): void {
  checkTensor(op, name, input);
  checkFloating(op, name, input);
  if (input.ndim < 1) throw new Error(`${op}: ${name} must have shape [C], [N, C] or [N, C, d1, ...], got a 0-d tensor`);
}

function checkClassWeight(op: string, weight: Tensor | null | undefined, numClasses: number): Tensor | null {
  if (weight === null || weight === undefined) return null;
  checkTensor(op, 'weight', weight);
  checkFloating(op, 'weight', weight);
  if (weight.ndim !== 1 || weight.shape[0] !== numClasses) {
    throw new Error(`${op}: weight must have shape [${numClasses}] (one value per class), got ${fmt(weight.shape)}`);
  }
  return weight;
}

/** Checks a class-index target: int32, with input's shape minus the class dim. */
function checkIndexTarget(op: string, name: string, input: Tensor, target: Tensor): void {
  const expected = input.shape.filter((_, i) => i !== classDim(input));
  if (target.dtype !== 'int32') {
    throw new Error(
      `${op}: target must hold int32 class indices of shape ${fmt(expected)}` +
        (op === 'crossEntropy' ? ` (or class probabilities of ${name}' shape ${fmt(input.shape)})` : '') +
        `, got ${target.dtype} of shape ${fmt(target.shape)}`,
    );
  }
  if (!shapesEqual(target.shape, expected)) {
    throw new Error(`${op}: target of shape ${fmt(target.shape)} does not match ${name} of shape ${fmt(input.shape)}; expected target shape ${fmt(expected)}`);
  }
}

/**
 * -weight[t] * logProbs[..., t, ...] per element, 0 where t == ignoreIndex, and the weights
 * that count towards the 'mean' denominator (weight[t], or 1, and 0 where ignored).
 */
function pickTargets(op: string, logProbs: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number): { loss: Tensor; weights: Tensor } {
  const d = classDim(logProbs);
  const numClasses = logProbs.shape[d]!;
  const keep = target.ne(ignoreIndex);
  // Ignored positions read class 0 (always valid) and are then masked out.
  const safe = where(keep, target, 0);
  try {
    const picked = gather(logProbs, d, safe.unsqueeze(d)).squeeze(d);
    const w = weight ? gather(weight, 0, safe.reshape([-1])).reshape(target.shape) : null;
    // where, not a product with a 0/1 mask, so -inf log-probabilities at ignored positions do not give NaN.
    const loss = where(keep, w ? picked.mul(w).neg() : picked.neg(), 0);
    return { loss, weights: w ? where(keep, w, 0) : keep.to(loss.dtype) };
  } catch (e) {
    // Name the bad class here rather than in gather's terms; values are read back only on error.
    const bad = [...target.dataSync()].find((t) => t !== ignoreIndex && !(t >= 0 && t < numClasses));
    if (bad === undefined) throw e;
    throw new Error(`${op}: target class ${bad} is out of range for ${numClasses} classes (expected 0 <= target < ${numClasses}, or ignoreIndex=${ignoreIndex})`);
  }
}

/** Reduces a class loss: 'mean' divides by the summed weights of the non-ignored targets. */
function reduceWeighted(loss: Tensor, weights: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? sum(loss) : sum(loss).div(sum(weights));
}

function checkIgnoreIndex(op: string, ignoreIndex: unknown): number {
  if (typeof ignoreIndex !== 'number' || !Number.isInteger(ignoreIndex)) throw new Error(`${op}: ignoreIndex must be an integer, got ${String(ignoreIndex)}`);
  return ignoreIndex;
}

/**
 * Negative log-likelihood of class indices, as `torch.nn.functional.nll_loss`: logProbs
 * [N, C] or [N, C, d1, ...] with int32 target [N, d1, ...], or [C] with a 0-d target.
 * Each element's loss is `-weight[t] * logProbs[t]`; 'mean' divides by the sum of
 * `weight[t]` over targets that are not `ignoreIndex` (NaN when every target is ignored).
 */
export function nllLoss(logProbs: Tensor, target: Tensor, opts: NLLLossOptions = {}): Tensor {
  const op = 'nllLoss';
  const reduction = checkReduction(op, opts.reduction ?? 'mean');
  const ignoreIndex = checkIgnoreIndex(op, opts.ignoreIndex ?? -100);
  checkClassInput(op, 'logProbs', logProbs);
  checkTensor(op, 'target', target);
  checkIndexTarget(op, 'logProbs', logProbs, target);
  const weight = checkClassWeight(op, opts.weight, logProbs.shape[classDim(logProbs)]!);
  commonBackend(op, [logProbs, target, ...(weight ? [weight] : [])]);
  const { loss, weights } = pickTargets(op, logProbs, target, weight, ignoreIndex);
  return reduceWeighted(loss, weights, reduction);
}

/**
 * Cross entropy of logits, as `torch.nn.functional.cross_entropy`. logits are [C], [N, C] or
 * [N, C, d1, ...] (classes in dim 1). `target` is either
 * - int32 class indices of logits' shape without the class dim: the loss is
 *   `(1 - s) * nll + (s / C) * sum_c(-weight[c] * logp[c])` for label smoothing s, zero at
 *   `ignoreIndex`, and 'mean' divides by the summed `weight[target]` of non-ignored elements;
 * - class probabilities of logits' own shape (float): the loss is
 *   `-sum_c(weight[c] * q[c] * logp[c])` with `q = (1 - s) * target + s / C`, and 'mean'
 *   divides by the number of elements N * d1 * ... (weights do not enter the denominator).
 */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  const reduction = checkReduction(op, opts.reduction ?? 'mean');
  const ignoreIndex = checkIgnoreIndex(op, opts.ignoreIndex ?? -100);
  const smoothing = opts.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing <= 1)) {
    throw new Error(`${op}: labelSmoothing must be between 0 and 1, got ${smoothing}`);
  }
  checkClassInput(op, 'logits', logits);
  checkTensor(op, 'target', target);
  const d = classDim(logits);
  const numClasses = logits.shape[d]!;
  const weight = checkClassWeight(op, opts.weight, numClasses);
  commonBackend(op, [logits, target, ...(weight ? [weight] : [])]);
  // Weights shaped [1, C, 1, ...] to broadcast along the class dim.
  const wb = weight ? weight.reshape(logits.shape.map((n, i) => (i === d ? n : 1))) : null;
  const logp = logSoftmax(logits, d);

  // Same shape as logits means class probabilities, as in PyTorch.
  if (shapesEqual(target.shape, logits.shape)) {
    if (!isFloating(target.dtype)) {
      throw new Error(`${op}: a target of logits' shape ${fmt(logits.shape)} holds class probabilities and must be float32 or float64, got ${target.dtype}`);
    }
    if (ignoreIndex >= 0) throw new Error(`${op}: ignoreIndex is not supported for class-probability targets (got ignoreIndex=${ignoreIndex})`);
    const q = smoothing > 0 ? target.mul(1 - smoothing).add(smoothing / numClasses) : target;
    const terms = wb ? logp.mul(q).mul(wb) : logp.mul(q);
    const loss = sum(terms, d).neg();
    if (reduction === 'none') return loss;
    return reduction === 'sum' ? sum(loss) : sum(loss).div(logits.numel() / numClasses);
  }

  checkIndexTarget(op, 'logits', logits, target);
  const { loss: nll, weights } = pickTargets(op, logp, target, weight, ignoreIndex);
  if (smoothing === 0) return reduceWeighted(nll, weights, reduction);
  const smooth = where(target.ne(ignoreIndex), sum(wb ? logp.mul(wb) : logp, d).neg(), 0);
  return reduceWeighted(nll.mul(1 - smoothing).add(smooth.mul(smoothing / numClasses)), weights, reduction);
}
