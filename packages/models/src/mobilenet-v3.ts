/**
 * MobileNetV3-Small (Howard et al. 2019) as torchvision builds it
 * (`torchvision.models.mobilenetv3`): keys `features.0.0`, `features.1.block.0.0`,
 * `features.1.block.1.fc1` (squeeze-excitation), `features.12.0`, `classifier.0`,
 * `classifier.3`, ...
 */
import type { Tensor } from '@dynconv/core';
import { AdaptiveAvgPool2d, type BatchNormOptions, Dropout, Hardswish, Linear, Module, ReLU, Sequential, SqueezeExcitation } from '@dynconv/nn';
import { type ActivationFactory, convNormActivation, layerOptions, makeDivisible, type ModelOptions, resolveOptions } from './common.js';
import { withInit } from './init.js';

/** One bneck row: input, kernel, expanded and output channels, SE, activation, stride. */
export interface BneckConfig {
  /** Input channels. */
  inputChannels: number;
  /** Kernel size of the depthwise conv. */
  kernel: number;
  /** Channels after the 1x1 expansion (the depthwise conv's width). */
  expandedChannels: number;
  /** Output channels of the 1x1 projection. */
  outChannels: number;
  /** Whether a squeeze-excitation follows the depthwise conv. */
  useSe: boolean;
  /** 'HS' hardswish, 'RE' ReLU. */
  activation: 'HS' | 'RE';
  /** Stride of the depthwise conv. */
  stride: number;
}

/** MobileNetV3's BatchNorm (torchvision: eps 0.001, momentum 0.01). */
export const MOBILENET_V3_NORM: BatchNormOptions = { eps: 0.001, momentum: 0.01 };

/** The activation module of a bneck row. */
export function bneckActivation(a: 'HS' | 'RE'): ActivationFactory {
  return a === 'HS' ? () => new Hardswish() : () => new ReLU();
}

/**
 * MobileNetV3-Small's bneck table (torchvision's `_mobilenet_v3_conf`), channels scaled by
 * `widthMult` and rounded to multiples of 8.
 */
export function mobilenetV3SmallSetting(widthMult = 1): BneckConfig[] {
  const rows: [number, number, number, number, boolean, 'HS' | 'RE', number][] = [
    [16, 3, 16, 16, true, 'RE', 2],
    [16, 3, 72, 24, false, 'RE', 2],
    [24, 3, 88, 24, false, 'RE', 1],
    [24, 5, 96, 40, true, 'HS', 2],
    [40, 5, 240, 40, true, 'HS', 1],
    [40, 5, 240, 40, true, 'HS', 1],
    [40, 5, 120, 48, true, 'HS', 1],
    [48, 5, 144, 48, true, 'HS', 1],
    [48, 5, 288, 96, true, 'HS', 2],
    [96, 5, 576, 96, true, 'HS', 1],
    [96, 5, 576, 96, true, 'HS', 1],
  ];
  const adjust = (c: number) => makeDivisible(c * widthMult, 8);
  return rows.map(([i, k, e, o, se, a, s]) => ({ inputChannels: adjust(i), kernel: k, expandedChannels: adjust(e), outChannels: adjust(o), useSe: se, activation: a, stride: s }));
}

/** Squeeze channels of MobileNetV3's SE: a quarter of the expanded channels, rounded to a multiple of 8. */
export function squeezeChannels(expanded: number): number {
  return makeDivisible(Math.floor(expanded / 4), 8);
}

/**
 * MobileNetV3's bneck: 1x1 expansion (absent when it would not change the width), k x k
 * depthwise conv (with the stride), optional squeeze-excitation, 1x1 linear projection; BN
 * after every conv; a residual connection when the shape is unchanged. Submodule `block`.
 */
export class InvertedResidualV3 extends Module {
  /**
   * The expansion (when it changes the width), depthwise conv, SE (when used) and projection, in
   * order.
   */
  readonly block: Sequential;
  /** Whether the input is added to the output: stride 1 and as many output channels as input. */
  readonly useResConnect: boolean;

  constructor(cnf: BneckConfig, opts: ModelOptions = {}) {
    super();
    this.useResConnect = cnf.stride === 1 && cnf.inputChannels === cnf.outChannels;
    const act = bneckActivation(cnf.activation);
    const norm = MOBILENET_V3_NORM;
    const layers: Module[] = [];
    if (cnf.expandedChannels !== cnf.inputChannels) layers.push(convNormActivation(cnf.inputChannels, cnf.expandedChannels, 1, { activation: act, norm }, opts));
    layers.push(convNormActivation(cnf.expandedChannels, cnf.expandedChannels, cnf.kernel, { stride: cnf.stride, groups: cnf.expandedChannels, activation: act, norm }, opts));
    if (cnf.useSe) layers.push(new SqueezeExcitation(cnf.expandedChannels, squeezeChannels(cnf.expandedChannels), layerOptions(opts)));
    layers.push(convNormActivation(cnf.expandedChannels, cnf.outChannels, 1, { activation: null, norm }, opts));
    this.block = this.module('block', new Sequential(...layers));
  }

  forward(x: Tensor): Tensor {
    const y = this.block.forward(x);
    return this.useResConnect ? y.add(x) : y;
  }
}

/**
 * MobileNetV3: 3x3 stride-2 stem with hardswish, the bnecks, a 1x1 conv to 6x the last width
 * (hardswish), global average pooling, and `classifier` = Linear, Hardswish, Dropout(0.2), Linear.
 * The blocks come from a factory, so Dy-MobileNetV3 reuses this class.
 */
export class MobileNetV3 extends Module {
  /** Stem, bnecks and the final 1x1 conv, in order. */
  readonly features: Sequential;
  /** Global average pooling (no parameters). */
  readonly avgpool: AdaptiveAvgPool2d;
  /** Linear, Hardswish, Dropout, Linear. */
  readonly classifier: Sequential;

  constructor(setting: readonly BneckConfig[], lastChannel: number, numClasses: number, makeBlock: (cnf: BneckConfig) => Module, opts: ModelOptions = {}) {
    super();
    const hs = () => new Hardswish();
    const features: Module[] = [convNormActivation(3, setting[0]!.inputChannels, 3, { stride: 2, activation: hs, norm: MOBILENET_V3_NORM }, opts)];
    for (const cnf of setting) features.push(makeBlock(cnf));
    const lastIn = setting.at(-1)!.outChannels;
    const lastOut = 6 * lastIn;
    features.push(convNormActivation(lastIn, lastOut, 1, { activation: hs, norm: MOBILENET_V3_NORM }, opts));
    this.features = this.module('features', new Sequential(...features));
    this.avgpool = this.module('avgpool', new AdaptiveAvgPool2d(1));
    const lo = layerOptions(opts);
    this.classifier = this.module('classifier', new Sequential(new Linear(lastOut, lastChannel, lo), new Hardswish(), new Dropout(opts.dropout ?? 0.2), new Linear(lastChannel, numClasses, lo)));
  }

  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.avgpool.forward(this.features.forward(x)).flatten(1));
  }
}

/** torchvision's `mobilenet_v3_small`: 2,542,856 parameters with 1000 classes. */
export function mobilenetV3Small(opts: ModelOptions = {}): MobileNetV3 {
  const { numClasses, widthMult } = resolveOptions('mobilenetV3Small', opts);
  const model = new MobileNetV3(mobilenetV3SmallSetting(widthMult), makeDivisible(1024 * widthMult, 8), numClasses, (cnf) => new InvertedResidualV3(cnf, opts), opts);
  return withInit(model, 'mobilenet', opts);
}
