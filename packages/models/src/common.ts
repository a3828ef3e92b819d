/**
 * Pieces every backbone shares: the options, torchvision's channel rounding, and
 * `convNormActivation`, torchvision's `Conv2dNormActivation` (conv, BatchNorm, activation in a
 * Sequential, so its keys are `0.weight`, `1.running_mean`, ...).
 */
import type { Generator } from '@dynconv/core';
import { BatchNorm2d, type BatchNormOptions, Conv2d, type FusionMode, type LayerOptions, type Module, Sequential } from '@dynconv/nn';

/** Options every model builder takes. */
export interface ModelOptions {
  /** Classifier outputs (default 1000, ImageNet). */
  numClasses?: number;
  /**
   * Channel multiplier (default 1). Each model rounds the scaled widths the way torchvision
   * does for it (MobileNets: to a multiple of 8; ShuffleNetV2: torchvision's four published
   * widths, 0.5, 1, 1.5 and 2; ResNet: to the nearest integer).
   */
  widthMult?: number;
  /** Generator for the initial weights (the default generator when absent). */
  generator?: Generator;
  /** float32 (default) or float64 (for exact comparisons in tests). */
  dtype?: 'float32' | 'float64';
  /** Dropout before the classifier, where the model has one (torchvision's default when absent). */
  dropout?: number;
  /**
   * Initial weights of the static builders: 'torchvision' (default; each family's torchvision
   * rule, see `torchvisionInit`) or 'pytorch' (the layers' own PyTorch defaults, drawn anyway).
   * The Dy- builders always keep the layers' defaults.
   */
  init?: 'torchvision' | 'pytorch';
}

/** Options of the Dy- (DyNet) variants. */
export interface DyModelOptions extends ModelOptions {
  /** Fixed kernels per output channel of every dynamic conv, the paper's g (default 6). */
  groupSize?: number;
  /**
   * Fusion path of every DynamicConv2d. Absent: the paper's choice, output fusion in training
   * mode and kernel fusion in eval mode.
   */
  fusion?: FusionMode;
}

/** Builds one activation module (a fresh instance per use, as torchvision does). */
export type ActivationFactory = () => Module;

/**
 * torchvision's `_make_divisible` (from the TensorFlow MobileNet code): `v` rounded to the
 * nearest multiple of `divisor`, at least `divisor`, and never more than 10% below `v`.
 */
export function makeDivisible(v: number, divisor: number, minValue = divisor): number {
  let n = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/** The weight options of `opts` for nn's layers. */
export function layerOptions(opts: ModelOptions): LayerOptions {
  return { dtype: opts.dtype, generator: opts.generator };
}

/** Checks the options shared by all models and fills in the defaults. */
export function resolveOptions(name: string, opts: ModelOptions): { numClasses: number; widthMult: number } {
  const numClasses = opts.numClasses ?? 1000;
  const widthMult = opts.widthMult ?? 1;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`${name}: numClasses must be a positive integer, got ${numClasses}`);
  if (!(widthMult > 0) || !Number.isFinite(widthMult)) throw new Error(`${name}: widthMult must be a positive number, got ${widthMult}`);
  if (opts.dropout !== undefined && !(opts.dropout >= 0 && opts.dropout <= 1)) throw new Error(`${name}: dropout must be in [0, 1], got ${opts.dropout}`);
  return { numClasses, widthMult };
}

/** Checks a Dy- model's group size and returns it (default 6, the paper's). */
export function resolveGroupSize(name: string, opts: DyModelOptions): number {
  const g = opts.groupSize ?? 6;
  if (!Number.isInteger(g) || g < 1) throw new Error(`${name}: groupSize must be a positive integer, got ${g}`);
  return g;
}

/** Options of {@link convNormActivation}. */
export interface ConvNormActivationOptions {
  /** Stride of the conv (default 1). */
  stride?: number;
  /** Channel groups of the conv (default 1; the channel count for depthwise). */
  groups?: number;
  /** The activation after the BatchNorm; null for none (a linear bottleneck). */
  activation: ActivationFactory | null;
  /** BatchNorm options (MobileNetV3 uses eps 0.001, momentum 0.01). */
  norm?: BatchNormOptions;
}

/**
 * torchvision's `Conv2dNormActivation`: a bias-free conv with "same" padding for odd kernels
 * (`(k - 1) / 2`), BatchNorm, and an optional activation, as a Sequential, so the state-dict
 * keys are `0.weight` and `1.{weight, bias, running_mean, running_var, num_batches_tracked}`.
 */
export function convNormActivation(inC: number, outC: number, kernelSize: number, opts: ConvNormActivationOptions, model: ModelOptions): Sequential {
  const conv = new Conv2d(inC, outC, kernelSize, { stride: opts.stride ?? 1, padding: (kernelSize - 1) / 2, groups: opts.groups ?? 1, bias: false, ...layerOptions(model) });
  const bn = new BatchNorm2d(outC, { ...opts.norm, dtype: model.dtype });
  return opts.activation ? new Sequential(conv, bn, opts.activation()) : new Sequential(conv, bn);
}
