import { linear, type Tensor, zeros } from '@dynconv/core';
import { defaultLayerInit } from '../init.js';
import { Module } from '../module.js';
import { type LayerOptions, py } from './options.js';

/** y = x W^T + b, with W [outFeatures, inFeatures] initialised as PyTorch does. */
export class Linear extends Module {
  /** The weight W, [outFeatures, inFeatures]. */
  readonly weight: Tensor;
  /** The bias b [outFeatures], or null without one. */
  readonly bias: Tensor | null;

  constructor(
    /** Size of each input's last dim. */
    readonly inFeatures: number,
    /** Size of each output's last dim. */
    readonly outFeatures: number,
    opts: LayerOptions & {
      /** Whether the layer has a bias (default true). */
      bias?: boolean;
    } = {},
  ) {
    super();
    const t = { dtype: opts.dtype, backend: opts.backend };
    this.weight = this.param('weight', zeros([outFeatures, inFeatures], t));
    this.bias = this.param('bias', opts.bias === false ? null : zeros([outFeatures], t));
    defaultLayerInit(this.weight, this.bias, opts);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${py(this.bias !== null)}`;
  }
}
