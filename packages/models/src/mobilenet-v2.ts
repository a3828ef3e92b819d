/**
 * MobileNetV2 (Sandler et al. 2018) as torchvision builds it (`torchvision.models.mobilenetv2`):
 * keys `features.0.0`, `features.1.conv.0.0`, `features.2.conv.1.0`, `features.18.0`,
 * `classifier.1`, ...
 */
import type { Tensor } from '@dynconv/core';
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Dropout, Linear, Module, ReLU6, Sequential } from '@dynconv/nn';
import { convNormActivation, layerOptions, makeDivisible, type ModelOptions, resolveOptions } from './common.js';
import { withInit } from './init.js';

/** One row of MobileNetV2's table: expansion t, output channels c, repeats n, first stride s. */
export type InvertedResidualSetting = readonly [t: number, c: number, n: number, s: number];

/** The paper's (and torchvision's) table of inverted-residual stages. */
export const MOBILENET_V2_SETTING: readonly InvertedResidualSetting[] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

const relu6 = () => new ReLU6();

/**
 * The inverted residual block: 1x1 expansion to `inp * t` channels (absent when t = 1), 3x3
 * depthwise conv (with the stride), each with BN and ReLU6, then a linear 1x1 projection and
 * BN; a residual connection when the shape is unchanged. Submodule `conv` is a Sequential of
 * those layers, as in torchvision.
 */
export class InvertedResidual extends Module {
  /** The expansion (when t > 1), depthwise and projection layers, in order. */
  readonly conv: Sequential;
  /** Whether the input is added to the output: stride 1 and as many output channels as input. */
  readonly useResConnect: boolean;

  constructor(inp: number, oup: number, stride: number, expandRatio: number, opts: ModelOptions = {}) {
    super();
    const hidden = Math.round(inp * expandRatio);
    this.useResConnect = stride === 1 && inp === oup;
    const layers: Module[] = [];
    if (expandRatio !== 1) layers.push(convNormActivation(inp, hidden, 1, { activation: relu6 }, opts));
    layers.push(convNormActivation(hidden, hidden, 3, { stride, groups: hidden, activation: relu6 }, opts));
    layers.push(new Conv2d(hidden, oup, 1, { bias: false, ...layerOptions(opts) }), new BatchNorm2d(oup, { dtype: opts.dtype }));
    this.conv = this.module('conv', new Sequential(...layers));
  }

  forward(x: Tensor): Tensor {
    const y = this.conv.forward(x);
    return this.useResConnect ? y.add(x) : y;
  }
}

/** Builds one block of a MobileNetV2 stage (so Dy-mobile can reuse the layout). */
export type InvertedResidualFactory = (inp: number, oup: number, stride: number, expandRatio: number) => Module;

/** The blocks a {@link MobileNetV2} is built from; torchvision's by default. */
export interface MobileNetV2Blocks {
  /** The builder's name, for error messages. */
  name: string;
  /** Builds each block of the stages. */
  makeBlock: InvertedResidualFactory;
  /** Block widths are rounded to multiples of this (torchvision: 8). */
  divisor: number;
}

/**
 * MobileNetV2: a 3x3 stride-2 stem (32 channels), the inverted-residual stages of
 * {@link MOBILENET_V2_SETTING}, a 1x1 conv to 1280 channels, global average pooling, and
 * `classifier` = Dropout(0.2), Linear. `avgpool` has no parameters and so no state-dict key
 * (torchvision pools functionally); it is a module so that the profiler sees the pooling.
 * The blocks come from a factory, so Dy-mobile reuses this class.
 */
export class MobileNetV2 extends Module {
  /**
   * Stem, inverted-residual blocks and the final 1x1 conv, in order (`features.0` ...
   * `features.18`).
   */
  readonly features: Sequential;
  /** Global average pooling (no parameters). */
  readonly avgpool: AdaptiveAvgPool2d;
  /** Dropout, then the Linear classifier. */
  readonly classifier: Sequential;

  constructor(opts: ModelOptions = {}, blocks?: MobileNetV2Blocks) {
    super();
    const { name, makeBlock, divisor } = blocks ?? { name: 'mobilenetV2', makeBlock: (i, o, s, t) => new InvertedResidual(i, o, s, t, opts), divisor: 8 };
    const { numClasses, widthMult } = resolveOptions(name, opts);
    // The stem and head keep multiples of 8 whatever the blocks' divisor.
    let inC = makeDivisible(32 * widthMult, 8);
    const lastChannel = makeDivisible(1280 * Math.max(1, widthMult), 8);
    const features: Module[] = [convNormActivation(3, inC, 3, { stride: 2, activation: relu6 }, opts)];
    for (const [t, c, n, s] of MOBILENET_V2_SETTING) {
      const outC = makeDivisible(c * widthMult, divisor);
      for (let i = 0; i < n; i++) {
        features.push(makeBlock(inC, outC, i === 0 ? s : 1, t));
        inC = outC;
      }
    }
    features.push(convNormActivation(inC, lastChannel, 1, { activation: relu6 }, opts));
    this.features = this.module('features', new Sequential(...features));
    this.avgpool = this.module('avgpool', new AdaptiveAvgPool2d(1));
    this.classifier = this.module('classifier', new Sequential(new Dropout(opts.dropout ?? 0.2), new Linear(lastChannel, numClasses, layerOptions(opts))));
  }

  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.avgpool.forward(this.features.forward(x)).flatten(1));
  }
}

/** torchvision's `mobilenet_v2`: 3,504,872 parameters with 1000 classes. */
export function mobilenetV2(opts: ModelOptions = {}): MobileNetV2 {
  return withInit(new MobileNetV2(opts), 'mobilenet', opts);
}
