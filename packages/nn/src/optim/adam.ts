/** Adam (adaptive moment estimation), with optional AMSGrad; the update AdamW shares. */
import { adamStep_, hasKernel, type Tensor, maximum, zerosLike } from '@dynconv/core';
import { type Rule, betaPair, boolean, learningRate, nonNegative } from './check.js';
import { type BaseOptions, Optimizer, type ParamGroup, type Params, type StateKind } from './optimizer.js';

/** Options of {@link Adam} and {@link AdamW} (PyTorch's names in camelCase). */
export interface AdamOptions extends BaseOptions {
  /** Learning rate γ (default 1e-3). */
  lr: number;
  /** Decay rates (β1, β2) of the first and second moment averages (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** Weight decay λ: an L2 penalty added to the gradient in Adam (default 0), decoupled in AdamW (default 1e-2). */
  weightDecay: number;
  /** Use the running maximum of the second moment (AMSGrad; default false). */
  amsgrad: boolean;
  /** Ascend the objective instead of descending (default false). */
  maximize: boolean;
}

/** Per-parameter state of {@link Adam} and {@link AdamW}. */
export type AdamState = {
  /** Steps taken so far (t). */
  step?: number;
  /** First moment m. */
  expAvg?: Tensor;
  /** Second moment v. */
  expAvgSq?: Tensor;
  /** Running maximum of v (AMSGrad only). */
  maxExpAvgSq?: Tensor;
};

/** @internal The option rules and state layout Adam and AdamW share. */
export const ADAM_RULES: { [K in keyof AdamOptions]: Rule } = {
  lr: learningRate,
  betas: betaPair,
  eps: nonNegative,
  weightDecay: nonNegative,
  amsgrad: boolean,
  maximize: boolean,
};

/** @internal */
export const ADAM_STATE_KEYS: Record<string, StateKind> = { step: 'count', expAvg: 'tensor', expAvgSq: 'nonNegativeTensor', maxExpAvgSq: 'nonNegativeTensor' };

/**
 * @internal One Adam step of one parameter, PyTorch's rule (torch.optim.Adam / AdamW):
 *
 *     g ← maximize ? -∇f(θ) : ∇f(θ)
 *     decoupled (AdamW):  θ ← θ(1 - γλ)        else if λ ≠ 0:  g ← g + λθ
 *     m ← β1 m + (1 - β1) g            v ← β2 v + (1 - β2) g²
 *     amsgrad:  vmax ← max(vmax, v), and vmax replaces v below
 *     θ ← θ - γ/(1 - β1^t) · m / (√v / √(1 - β2^t) + ε)
 *
 * The max is taken over the raw second moments, before bias correction, as PyTorch does (and
 * documents since its AMSGrad pseudo-code was corrected in December 2024). Moments start at zero.
 */
export function adamUpdate(p: Tensor, grad: Tensor, state: AdamState, group: ParamGroup<AdamOptions>, decoupled: boolean): void {
  if (fusedAdam && canFuse(p, state, group.amsgrad)) return fusedAdamUpdate(p, grad, state, group, decoupled);
  const { lr, betas, eps, weightDecay, amsgrad, maximize } = group;
  const [beta1, beta2] = betas;
  let g = maximize ? grad.neg() : grad;
  if (weightDecay !== 0) {
    if (decoupled) p.copy_(p.mul(1 - lr * weightDecay));
    else g = g.add(p, weightDecay);
  }
  const step = (state.step ?? 0) + 1;
  const m = (state.expAvg ?? zerosLike(p)).mul(beta1).add(g, 1 - beta1);
  const v = (state.expAvgSq ?? zerosLike(p)).mul(beta2).add(g.mul(g), 1 - beta2);
  state.step = step;
  state.expAvg = m;
  state.expAvgSq = v;
  let second = v;
  if (amsgrad) {
    second = maximum(state.maxExpAvgSq ?? zerosLike(p), v);
    state.maxExpAvgSq = second;
  }
  const stepSize = lr / (1 - beta1 ** step);
  const denom = second.sqrt().div(Math.sqrt(1 - beta2 ** step)).add(eps);
  p.copy_(p.add(m.div(denom), -stepSize));
}

let fusedAdam = true;

/**
 * @internal Turns the fused update (one kernel pass per parameter, core's `adamStep_`) on or
 * off; off, the rule above runs as tensor ops. Returns the old setting. Tests compare the two.
 */
export function setFusedAdam(on: boolean): boolean {
  const old = fusedAdam;
  fusedAdam = on;
  return old;
}

const dense = (t: Tensor | undefined): boolean => t === undefined || t.isContiguous();

/** The fused kernel takes dense tensors of one dtype; anything else runs the composed rule. */
function canFuse(p: Tensor, state: AdamState, amsgrad: boolean): boolean {
  const same = (t: Tensor | undefined) => t === undefined || t.dtype === p.dtype;
  return hasKernel(p.backend, 'AdamStep') && p.isContiguous() && dense(state.expAvg) && dense(state.expAvgSq) && (!amsgrad || dense(state.maxExpAvgSq))
    && same(state.expAvg) && same(state.expAvgSq) && same(state.maxExpAvgSq);
}

/** {@link adamUpdate} in one pass: the same rule, with the moments updated in place. */
function fusedAdamUpdate(p: Tensor, grad: Tensor, state: AdamState, group: ParamGroup<AdamOptions>, decoupled: boolean): void {
  const { lr, betas, eps, weightDecay, amsgrad, maximize } = group;
  const step = (state.step ?? 0) + 1;
  const m = (state.expAvg ??= zerosLike(p));
  const v = (state.expAvgSq ??= zerosLike(p));
  const vmax = amsgrad ? (state.maxExpAvgSq ??= zerosLike(p)) : null;
  adamStep_(p, grad, m, v, vmax, {
    lr, beta1: betas[0], beta2: betas[1], eps, weightDecay, decoupled, amsgrad, maximize, step,
  });
  state.step = step;
}

const DEFAULTS: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false };

/**
 * Adam (Kingma & Ba, 2014) with PyTorch's update rule; `weightDecay` is an L2 penalty added to
 * the gradient (use {@link AdamW} for decoupled weight decay). See `adamUpdate` for the rule.
 */
export class Adam extends Optimizer<AdamOptions, AdamState> {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { name: 'Adam', defaults: DEFAULTS, rules: ADAM_RULES, stateKeys: ADAM_STATE_KEYS }, options);
  }

  protected updateParam(p: Tensor, grad: Tensor, state: AdamState, group: ParamGroup<AdamOptions>): void {
    adamUpdate(p, grad, state, group, false);
  }
}
