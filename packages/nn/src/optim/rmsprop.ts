/** RMSprop: gradients scaled by a running root-mean-square, optionally centered and with momentum. */
import { type Tensor, zerosLike } from '@dynconv/core';
import { boolean, learningRate, nonNegative, unitClosed } from './check.js';
import { type BaseOptions, Optimizer, type ParamGroup, type Params } from './optimizer.js';

/** Options of {@link RMSprop} (PyTorch's names in camelCase). */
export interface RMSpropOptions extends BaseOptions {
  /** Learning rate γ (default 1e-2). */
  lr: number;
  /** Smoothing constant α of the running averages (default 0.99). */
  alpha: number;
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** L2 penalty λ, added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor μ (default 0). */
  momentum: number;
  /** Normalize by an estimate of the gradient's variance instead of its second moment (default false). */
  centered: boolean;
  /** Ascend the objective instead of descending (default false). */
  maximize: boolean;
}

/** Per-parameter state of {@link RMSprop}. */
export type RMSpropState = {
  /** Steps taken so far. */
  step?: number;
  /** Running average v of squared gradients. */
  squareAvg?: Tensor;
  /** Momentum buffer b (momentum > 0 only). */
  momentumBuffer?: Tensor;
  /** Running average of gradients (centered only). */
  gradAvg?: Tensor;
};

const DEFAULTS: RMSpropOptions = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false };

/**
 * RMSprop (Hinton's lecture 6e) with PyTorch's update rule (torch.optim.RMSprop), per step:
 *
 *     g ← maximize ? -∇f(θ) : ∇f(θ);   if λ ≠ 0:  g ← g + λθ
 *     v ← αv + (1 - α)g²;   ṽ ← v
 *     centered:  ḡ ← αḡ + (1 - α)g;   ṽ ← v - ḡ²
 *     μ > 0:  b ← μb + g / (√ṽ + ε);   θ ← θ - γb
 *     else:   θ ← θ - γ g / (√ṽ + ε)
 *
 * v, ḡ and b start at zero. `alpha` must lie in [0, 1] (PyTorch only requires >= 0; above 1
 * the "average" goes negative and the square root NaN).
 */
export class RMSprop extends Optimizer<RMSpropOptions, RMSpropState> {
  constructor(params: Params<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(
      params,
      {
        name: 'RMSprop',
        defaults: DEFAULTS,
        rules: { lr: learningRate, alpha: unitClosed, eps: nonNegative, weightDecay: nonNegative, momentum: nonNegative, centered: boolean, maximize: boolean },
        stateKeys: { step: 'count', squareAvg: 'nonNegativeTensor', momentumBuffer: 'tensor', gradAvg: 'tensor' },
      },
      options,
    );
  }

  protected updateParam(p: Tensor, grad: Tensor, state: RMSpropState, group: ParamGroup<RMSpropOptions>): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    let g = maximize ? grad.neg() : grad;
    if (weightDecay !== 0) g = g.add(p, weightDecay);
    state.step = (state.step ?? 0) + 1;
    const v = (state.squareAvg ?? zerosLike(p)).mul(alpha).add(g.mul(g), 1 - alpha);
    state.squareAvg = v;
    let variance = v;
    if (centered) {
      const avg = (state.gradAvg ?? zerosLike(p)).mul(alpha).add(g, 1 - alpha);
      state.gradAvg = avg;
      variance = v.sub(avg.mul(avg));
    }
    const denom = variance.sqrt().add(eps);
    if (momentum > 0) {
      const buf = (state.momentumBuffer ?? zerosLike(p)).mul(momentum).add(g.div(denom));
      state.momentumBuffer = buf;
      p.copy_(p.add(buf, -lr));
    } else {
      p.copy_(p.add(g.div(denom), -lr));
    }
  }
}
