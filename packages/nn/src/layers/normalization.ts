import { batchNorm, layerNorm, ones, type Tensor, tensor, zeros } from '@dynconv/core';
import { Module } from '../module.js';
import type { LayerOptions } from './options.js';

/** Options of {@link BatchNorm2d}. */
export interface BatchNormOptions extends LayerOptions {
  eps?: number;
  /** Weight of the new batch statistic; null gives a cumulative average (as PyTorch). */
  momentum?: number | null;
  /** Learnable scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true). */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation over [N, C, H, W]: batch statistics while training (updating the running
 * ones), running statistics in eval mode. State-dict keys are PyTorch's.
 */
export class BatchNorm2d extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;

  constructor(readonly numFeatures: number, opts: BatchNormOptions = {}) {
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

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new Error(`BatchNorm2d: expects input of shape [N, C, H, W], got [${x.shape.join(', ')}]`);
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
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}, track_running_stats=${this.runningMean !== null}`;
  }
}

/** Layer normalisation over the trailing `normalizedShape` dims. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], readonly opts: LayerOptions & { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {}) {
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
    return `(${this.normalizedShape.join(', ')},), eps=${this.opts.eps ?? 1e-5}, elementwise_affine=${this.weight !== null}`;
  }
}
