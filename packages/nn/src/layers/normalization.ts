import { batchNorm, groupNorm, layerNorm, ones, type Tensor, tensor, zeros } from '@dynconv/core';
import { Module } from '../module.js';
import { type LayerOptions, py } from './options.js';

/** Options of {@link BatchNorm2d}. */
export interface BatchNormOptions extends LayerOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Weight of the new batch statistic; null gives a cumulative average (as PyTorch). */
  momentum?: number | null;
  /** Learnable scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true). */
  trackRunningStats?: boolean;
}

/**
 * What BatchNorm1d and BatchNorm2d share: batch statistics while training (updating the running
 * ones), running statistics in eval mode. State-dict keys are PyTorch's. The subclasses differ
 * only in the input shapes they accept.
 */
export abstract class BatchNorm extends Module {
  /** Learnable scale [numFeatures] (ones at first), or null when not affine. */
  readonly weight: Tensor | null;
  /** Learnable shift [numFeatures] (zeros at first), or null when not affine. */
  readonly bias: Tensor | null;
  /** Running mean (buffer `running_mean`), or null without running statistics. */
  readonly runningMean: Tensor | null;
  /** Running unbiased variance (buffer `running_var`), or null without running statistics. */
  readonly runningVar: Tensor | null;
  /**
   * Training batches seen (int32 buffer `num_batches_tracked`), or null without running statistics.
   */
  readonly numBatchesTracked: Tensor | null;
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Weight of each new batch statistic in the running ones; null: a cumulative average. */
  readonly momentum: number | null;

  constructor(
    /** Channels C of the input. */
    readonly numFeatures: number,
    opts: BatchNormOptions = {},
  ) {
    super();
    const t = { dtype: opts.dtype, backend: opts.backend };
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    const affine = opts.affine ?? true;
    const track = opts.trackRunningStats ?? true;
    this.weight = this.param('weight', affine ? ones([numFeatures], t) : null);
    this.bias = this.param('bias', affine ? zeros([numFeatures], t) : null);
    this.runningMean = this.buffer('running_mean', track ? zeros([numFeatures], t) : null);
    this.runningVar = this.buffer('running_var', track ? ones([numFeatures], t) : null);
    this.numBatchesTracked = this.buffer('num_batches_tracked', track ? tensor(0, { dtype: 'int32', backend: opts.backend }) : null);
  }

  /** Throws unless x has a shape this layer normalises. */
  protected abstract checkInput(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    let momentum = this.momentum ?? 0;
    const useBatchStats = this.training || !this.runningMean;
    if (this.training && this.numBatchesTracked) {
      this.numBatchesTracked.copy_(this.numBatchesTracked.add(1));
      // momentum null: a cumulative moving average, 1 / (batches seen).
      if (this.momentum === null) momentum = 1 / this.numBatchesTracked.item();
    }
    return batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, useBatchStats, momentum, this.eps);
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${py(this.eps)}, momentum=${py(this.momentum)}, affine=${py(this.weight !== null)}, track_running_stats=${py(this.runningMean !== null)}`;
  }
}

/** Batch normalisation over [N, C, H, W] (`torch.nn.BatchNorm2d`). */
export class BatchNorm2d extends BatchNorm {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 4) throw new Error(`BatchNorm2d: expects input of shape [N, C, H, W], got [${x.shape.join(', ')}]`);
  }
}

/** Batch normalisation over [N, C] or [N, C, L] (`torch.nn.BatchNorm1d`). */
export class BatchNorm1d extends BatchNorm {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`BatchNorm1d: expects input of shape [N, C] or [N, C, L], got [${x.shape.join(', ')}]`);
  }
}

/** Options of {@link GroupNorm}. */
export interface GroupNormOptions extends LayerOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learnable per-channel scale and shift (default true). */
  affine?: boolean;
}

/** Group normalisation: channels in `numGroups` groups, each standardised per sample (`torch.nn.GroupNorm`). */
export class GroupNorm extends Module {
  /** Learnable per-channel scale [numChannels], or null when not affine. */
  readonly weight: Tensor | null;
  /** Learnable per-channel shift [numChannels], or null when not affine. */
  readonly bias: Tensor | null;
  /** Added to the variance before the square root. */
  readonly eps: number;

  constructor(
    /** Groups the channels are split into. */
    readonly numGroups: number,
    /** Channels C of the input; a multiple of numGroups. */
    readonly numChannels: number,
    opts: GroupNormOptions = {},
  ) {
    super();
    if (!Number.isInteger(numGroups) || numGroups < 1 || numChannels % numGroups !== 0) {
      throw new Error(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    }
    const t = { dtype: opts.dtype, backend: opts.backend };
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.affine ?? true;
    this.weight = this.param('weight', affine ? ones([numChannels], t) : null);
    this.bias = this.param('bias', affine ? zeros([numChannels], t) : null);
  }

  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${py(this.eps)}, affine=${py(this.weight !== null)}`;
  }
}

/** Layer normalisation over the trailing `normalizedShape` dims. */
export class LayerNorm extends Module {
  /** The trailing dims each sample is standardised over. */
  readonly normalizedShape: number[];
  /** Learnable elementwise scale of `normalizedShape`, or null. */
  readonly weight: Tensor | null;
  /** Learnable elementwise shift of `normalizedShape`, or null. */
  readonly bias: Tensor | null;

  constructor(
    normalizedShape: number | readonly number[],
    /** The options it was built with. */
    readonly opts: LayerOptions & {
      /** Added to the variance before the square root (default 1e-5). */
      eps?: number;
      /** Learnable elementwise scale and shift (default true). */
      elementwiseAffine?: boolean;
      /** With elementwiseAffine, whether there is a shift (default true). */
      bias?: boolean;
    } = {},
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    const t = { dtype: opts.dtype, backend: opts.backend };
    const affine = opts.elementwiseAffine ?? true;
    this.weight = this.param('weight', affine ? ones(this.normalizedShape, t) : null);
    this.bias = this.param('bias', affine && opts.bias !== false ? zeros(this.normalizedShape, t) : null);
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.opts.eps ?? 1e-5);
  }

  override extraRepr(): string {
    const shape = this.normalizedShape.length === 1 ? `(${this.normalizedShape[0]},)` : `(${this.normalizedShape.join(', ')})`; // Python tuples
    return `${shape}, eps=${py(this.opts.eps ?? 1e-5)}, elementwise_affine=${py(this.weight !== null)}`;
  }
}
