/**
 * The dynamic counterpart of torchvision's `Conv2dNormActivation`: a bias-free
 * {@link DynamicConv2d} fed by an external (block-shared) predictor, BatchNorm, and an optional
 * activation. Registered as `0`, `1`, `2`, so its keys read like the static layer's
 * (`0.weight`, `1.running_mean`, ...); the weight has `groupSize` times the kernels.
 */
import type { Tensor } from '@dynconv/core';
import { BatchNorm2d, type BatchNormOptions, DynamicConv2d, Module } from '@dynconv/nn';
import { type ActivationFactory, type DyModelOptions, layerOptions } from '../common.js';

/** Options of {@link DyConvNormActivation}. */
export interface DyConvNormActivationOptions {
  /** Stride of the conv (default 1). */
  stride?: number;
  /** Channel groups of the conv (default 1; the channel count for depthwise). */
  groups?: number;
  /** The activation after the BatchNorm; null for none. */
  activation: ActivationFactory | null;
  /** BatchNorm options (MobileNetV3 uses eps 0.001, momentum 0.01). */
  norm?: BatchNormOptions;
}

/** A bias-free dynamic conv with `(k - 1) / 2` padding and an external predictor (the block's). */
export function dynamicConv(inC: number, outC: number, kernelSize: number, groupSize: number, extra: { stride?: number; groups?: number }, model: DyModelOptions): DynamicConv2d {
  return new DynamicConv2d(inC, outC, kernelSize, {
    stride: extra.stride ?? 1,
    padding: (kernelSize - 1) / 2,
    groups: extra.groups ?? 1,
    bias: false, // the BatchNorm after it has the shift
    groupSize,
    predictor: 'external',
    fusion: model.fusion,
    ...layerOptions(model),
  });
}

/** Dynamic conv, BatchNorm, optional activation; `forward(x, eta)` with this layer's coefficients. */
export class DyConvNormActivation extends Module<[Tensor, Tensor], Tensor> {
  /** The dynamic conv (registered as `0`), without a predictor of its own. */
  readonly conv: DynamicConv2d;
  /** BatchNorm after the conv (registered as `1`). */
  readonly bn: BatchNorm2d;
  /** The activation (registered as `2`), or null for none. */
  readonly activation: Module | null;

  constructor(inC: number, outC: number, kernelSize: number, groupSize: number, opts: DyConvNormActivationOptions, model: DyModelOptions = {}) {
    super();
    this.conv = this.module('0', dynamicConv(inC, outC, kernelSize, groupSize, opts, model));
    this.bn = this.module('1', new BatchNorm2d(outC, { ...opts.norm, dtype: model.dtype }));
    this.activation = opts.activation ? this.module('2', opts.activation()) : null;
  }

  /** Coefficients this layer takes per image (`outChannels * groupSize`). */
  get numCoefficients(): number {
    return this.conv.numCoefficients;
  }

  forward(x: Tensor, eta: Tensor): Tensor {
    const y = this.bn.forward(this.conv.forward(x, eta));
    return this.activation ? this.activation.forward(y) : y;
  }
}
