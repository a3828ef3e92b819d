/**
 * The loss modules (`torch.nn.CrossEntropyLoss` and friends): each holds its options and calls
 * the loss function of @dynconv/core. Class weights are buffers, so they are in the state dict
 * under PyTorch's names (weight, pos_weight) when given.
 */
import {
  binaryCrossEntropyWithLogits, type BCEWithLogitsOptions, crossEntropy, type CrossEntropyOptions, l1Loss, type LossOptions, mseLoss,
  nllLoss, type NLLLossOptions, smoothL1Loss, type SmoothL1LossOptions, type Tensor,
} from '@dynconv/core';
import { Module } from '../module.js';

/** A module of (input, target) -> loss. */
abstract class Loss extends Module<[Tensor, Tensor], Tensor> {
  constructor(
    /** How per-element losses are combined: 'mean' (default), 'sum' or 'none'. */
    readonly reduction: LossOptions['reduction'] = 'mean',
  ) {
    super();
  }

  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

/** Mean squared error. */
export class MSELoss extends Loss {
  constructor(opts: LossOptions = {}) {
    super(opts.reduction);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/** Mean absolute error. */
export class L1Loss extends Loss {
  constructor(opts: LossOptions = {}) {
    super(opts.reduction);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/** Huber-style loss, quadratic below beta. */
export class SmoothL1Loss extends Loss {
  /** Where the loss turns from quadratic to linear (default 1). */
  readonly beta: number;

  constructor(opts: SmoothL1LossOptions = {}) {
    super(opts.reduction);
    this.beta = opts.beta ?? 1;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** Binary cross entropy on logits, with optional element weights and positive-class weights. */
export class BCEWithLogitsLoss extends Loss {
  /** Rescales each element's loss (buffer `weight`), or null. */
  readonly weight: Tensor | null;
  /** Weight of the positive term per class (buffer `pos_weight`), or null. */
  readonly posWeight: Tensor | null;

  constructor(opts: BCEWithLogitsOptions = {}) {
    super(opts.reduction);
    this.weight = this.buffer('weight', opts.weight ?? null);
    this.posWeight = this.buffer('pos_weight', opts.posWeight ?? null);
  }

  forward(logits: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(logits, target, { reduction: this.reduction, weight: this.weight, posWeight: this.posWeight });
  }
}

/** Negative log-likelihood of class indices. */
export class NLLLoss extends Loss {
  /** Per-class weights [C] (buffer `weight`), or null. */
  readonly weight: Tensor | null;
  /**
   * Targets equal to this contribute nothing, not even to the 'mean' denominator (default -100).
   */
  readonly ignoreIndex: number;

  constructor(opts: NLLLossOptions = {}) {
    super(opts.reduction);
    this.weight = this.buffer('weight', opts.weight ?? null);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
  }

  forward(logProbs: Tensor, target: Tensor): Tensor {
    return nllLoss(logProbs, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex });
  }
}

/** Cross entropy of logits against class indices or class probabilities. */
export class CrossEntropyLoss extends Loss {
  /** Per-class weights [C] (buffer `weight`), or null. */
  readonly weight: Tensor | null;
  /**
   * Targets equal to this contribute nothing, not even to the 'mean' denominator (default -100).
   */
  readonly ignoreIndex: number;
  /** Mixes the target with the uniform distribution: (1 - s) * target + s / C (default 0). */
  readonly labelSmoothing: number;

  constructor(opts: CrossEntropyOptions = {}) {
    super(opts.reduction);
    this.weight = this.buffer('weight', opts.weight ?? null);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }

  forward(logits: Tensor, target: Tensor): Tensor {
    return crossEntropy(logits, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex, labelSmoothing: this.labelSmoothing });
  }
}
