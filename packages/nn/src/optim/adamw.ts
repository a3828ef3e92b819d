/** AdamW: Adam with decoupled weight decay. */
import type { Tensor } from '@dynconv/core';
import { ADAM_RULES, ADAM_STATE_KEYS, type AdamOptions, type AdamState, adamUpdate } from './adam.js';
import { Optimizer, type ParamGroup, type Params } from './optimizer.js';

const DEFAULTS: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false };

/**
 * AdamW (Loshchilov & Hutter, 2019) with PyTorch's update rule: before the Adam update the
 * parameter decays as θ ← θ(1 - γλ), and λ never enters the moments. Default weightDecay 1e-2.
 */
export class AdamW extends Optimizer<AdamOptions, AdamState> {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { name: 'AdamW', defaults: DEFAULTS, rules: ADAM_RULES, stateKeys: ADAM_STATE_KEYS }, options);
  }

  protected updateParam(p: Tensor, grad: Tensor, state: AdamState, group: ParamGroup<AdamOptions>): void {
    adamUpdate(p, grad, state, group, true);
  }
}
