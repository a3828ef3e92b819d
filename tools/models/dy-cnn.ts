/**
 * A small Dy-CNN for 28x28 grayscale images (MNIST, Fashion-MNIST), and the two static nets it
 * is compared with:
 *
 *   stem:   Conv2d(1, stem, 3, stride stemStride, pad 1) + BN + ReLU
 *   stage1: block(stem -> widths[0]), two 3x3 convs, the first with stride strides[0]
 *   stage2: block(widths[0] -> widths[1]), the same with strides[1]
 *   head:   global average pooling, Linear(widths[1], numClasses)
 *
 * Every conv is followed by BatchNorm and ReLU. Downsampling is by stride (28 -> 14 -> 7 -> 4
 * with the defaults), not max pooling: on our CPU the cost of a step is mostly elementwise work
 * (BN, ReLU) proportional to the activations' size, so convolving at full resolution and then
 * pooling would cost several times more for little accuracy on 28x28 digits.
 *
 * In the `dynamic` net every block conv is a DynamicConv2d whose coefficients come from ONE
 * CoefficientPredictor per block, fed by the block input (as in the paper's Dy-mobile). The
 * `static` net has the same channels with plain Conv2d layers, so it has the inference FLOPs of
 * the Dy-net minus the predictor and the kernel mixing; `static-wide` has `groupSize` times the
 * block channels, as many kernels as the Dy-net's weight banks hold. `fixed` is the paper's "Fix"
 * ablation: the dynamic net's convs and kernel banks without the predictors, every coefficient
 * fixed at 1 (DynamicConv2d's `predictor: 'fixed'`), so each channel convolves with the sum of its
 * g kernels, the same for every image.
 */
import type { Generator, Tensor } from '@dynconv/core';
import {
  AdaptiveAvgPool2d, BatchNorm2d, CoefficientPredictor, Conv2d, DynamicConv2d, Flatten, type FusionMode, Linear, Module, Sequential, splitCoefficients,
} from '@dynconv/nn';

/** Which of the three nets. */
export type ModelKind = 'dynamic' | 'static' | 'static-wide' | 'fixed';

/** The model kinds, as the command-line tools accept them. */
export const MODEL_KINDS: readonly ModelKind[] = ['dynamic', 'static', 'static-wide', 'fixed'];

/** Everything needed to rebuild a net (saved in checkpoints, so evaluation can rebuild it). */
export interface DyCnnConfig {
  kind: ModelKind;
  /** Channels of the static stem conv. */
  stem: number;
  /** Stride of the stem conv. */
  stemStride: number;
  /** Output channels of the two stages' blocks. */
  widths: [number, number];
  /** Stride of the first conv of each stage (downsampling between stages). */
  strides: [number, number];
  /** The paper's g: fixed kernels per output channel of a dynamic conv. */
  groupSize: number;
  /** Hidden width of the predictors (two FC layers); absent: one FC layer. */
  hidden?: number;
  /** Input channels (1 for grayscale). */
  inChannels: number;
  numClasses: number;
}

/**
 * The default net: small enough to train to >98.5% on MNIST in a few CPU minutes. g = 4 rather
 * than the paper's 6: its ablation puts g = 4 within half a point of g = 6, and the kernel
 * mixing, which grows with g, is already large next to convolutions on 7x7 and 4x4 maps.
 */
export const DEFAULT_CONFIG: Omit<DyCnnConfig, 'kind'> = { stem: 16, stemStride: 2, widths: [32, 64], strides: [2, 2], groupSize: 4, inChannels: 1, numClasses: 10 };

/** Options for building: initial weights' generator, fusion path of the dynamic convs. */
export interface BuildOptions {
  generator?: Generator;
  /** Fusion path of every DynamicConv2d (undefined: the paper's, output in training, kernel in eval). */
  fusion?: FusionMode;
}

/** Conv (no bias: the BN after it has one) + BN + ReLU, the static building block. */
export class ConvBnRelu extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(inC: number, outC: number, stride: number, opts: BuildOptions) {
    super();
    this.conv = this.module('conv', new Conv2d(inC, outC, 3, { stride, padding: 1, bias: false, generator: opts.generator }));
    this.bn = this.module('bn', new BatchNorm2d(outC));
  }

  forward(x: Tensor): Tensor {
    return this.bn.forward(this.conv.forward(x)).relu();
  }
}

/** Two ConvBnRelu in a row: the static block. */
export class StaticBlock extends Module {
  readonly layer1: ConvBnRelu;
  readonly layer2: ConvBnRelu;

  constructor(inC: number, outC: number, stride: number, opts: BuildOptions) {
    super();
    this.layer1 = this.module('layer1', new ConvBnRelu(inC, outC, stride, opts));
    this.layer2 = this.module('layer2', new ConvBnRelu(outC, outC, 1, opts));
  }

  forward(x: Tensor): Tensor {
    return this.layer2.forward(this.layer1.forward(x));
  }
}

/**
 * The dynamic block: two 3x3 DynamicConv2d (external predictor), each followed by BN and ReLU,
 * and one CoefficientPredictor fed by the block input that outputs the coefficients of both.
 */
export class DynamicBlock extends Module {
  readonly predictor: CoefficientPredictor;
  readonly conv1: DynamicConv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: DynamicConv2d;
  readonly bn2: BatchNorm2d;

  constructor(inC: number, outC: number, stride: number, groupSize: number, hidden: number | undefined, opts: BuildOptions) {
    super();
    const conv = { padding: 1, bias: false, groupSize, predictor: 'external' as const, fusion: opts.fusion, generator: opts.generator };
    this.conv1 = this.module('conv1', new DynamicConv2d(inC, outC, 3, { ...conv, stride }));
    this.bn1 = this.module('bn1', new BatchNorm2d(outC));
    this.conv2 = this.module('conv2', new DynamicConv2d(outC, outC, 3, conv));
    this.bn2 = this.module('bn2', new BatchNorm2d(outC));
    const outputs = this.conv1.numCoefficients + this.conv2.numCoefficients;
    this.predictor = this.module('predictor', new CoefficientPredictor(inC, outputs, { hidden, generator: opts.generator }));
  }

  forward(x: Tensor): Tensor {
    const [eta1, eta2] = splitCoefficients(this.predictor.forward(x), [this.conv1, this.conv2]);
    const h = this.bn1.forward(this.conv1.forward(x, eta1)).relu();
    return this.bn2.forward(this.conv2.forward(h, eta2!)).relu();
  }

  /** The dynamic convs, in order. */
  dynamicConvs(): DynamicConv2d[] {
    return [this.conv1, this.conv2];
  }
}

/**
 * The "Fix" block: the dynamic block's two convs and kernel banks, no predictor, every
 * coefficient 1 (the paper's ablation of the dynamics: same channels, same kernels).
 */
export class FixedBlock extends Module {
  readonly conv1: DynamicConv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: DynamicConv2d;
  readonly bn2: BatchNorm2d;

  constructor(inC: number, outC: number, stride: number, groupSize: number, opts: BuildOptions) {
    super();
    const conv = { padding: 1, bias: false, groupSize, predictor: 'fixed' as const, fusion: opts.fusion, generator: opts.generator };
    this.conv1 = this.module('conv1', new DynamicConv2d(inC, outC, 3, { ...conv, stride }));
    this.bn1 = this.module('bn1', new BatchNorm2d(outC));
    this.conv2 = this.module('conv2', new DynamicConv2d(outC, outC, 3, conv));
    this.bn2 = this.module('bn2', new BatchNorm2d(outC));
  }

  forward(x: Tensor): Tensor {
    const h = this.bn1.forward(this.conv1.forward(x)).relu();
    return this.bn2.forward(this.conv2.forward(h)).relu();
  }

  /** The fixed-coefficient convs, in order. */
  dynamicConvs(): DynamicConv2d[] {
    return [this.conv1, this.conv2];
  }
}

/** A stage of the net: static, dynamic or fixed-coefficient. */
export type Block = StaticBlock | DynamicBlock | FixedBlock;

/** The whole net; `config` is kept so a checkpoint can rebuild it. */
export class DyCnn extends Module {
  readonly stem: ConvBnRelu;
  readonly stage1: Block;
  readonly stage2: Block;
  readonly head: Sequential;

  constructor(readonly config: DyCnnConfig, opts: BuildOptions = {}) {
    super();
    const { kind, stem, stemStride, widths, strides, groupSize, hidden, inChannels, numClasses } = config;
    if (!MODEL_KINDS.includes(kind)) throw new Error(`DyCnn: unknown model kind ${JSON.stringify(kind)} (expected ${MODEL_KINDS.join(', ')})`);
    // static-wide: as many kernels per block conv as the dynamic net's weight banks.
    const [w1, w2] = kind === 'static-wide' ? [widths[0] * groupSize, widths[1] * groupSize] : widths;
    const block = (i: number, o: number, s: number): Block =>
      kind === 'dynamic' ? new DynamicBlock(i, o, s, groupSize, hidden, opts) : kind === 'fixed' ? new FixedBlock(i, o, s, groupSize, opts) : new StaticBlock(i, o, s, opts);
    this.stem = this.module('stem', new ConvBnRelu(inChannels, stem, stemStride, opts));
    this.stage1 = this.module('stage1', block(stem, w1, strides[0]));
    this.stage2 = this.module('stage2', block(w1, w2, strides[1]));
    this.head = this.module('head', new Sequential(new AdaptiveAvgPool2d(1), new Flatten(), new Linear(w2, numClasses, { generator: opts.generator })));
  }

  /** x [N, inChannels, 28, 28] -> logits [N, numClasses]. */
  forward(x: Tensor): Tensor {
    return this.head.forward(this.stage2.forward(this.stage1.forward(this.stem.forward(x))));
  }

  /** Every DynamicConv2d of the net (none in the static nets; the fixed-coefficient ones of `fixed`). */
  dynamicConvs(): DynamicConv2d[] {
    return [this.stage1, this.stage2].flatMap((b) => (b instanceof StaticBlock ? [] : b.dynamicConvs()));
  }

  /** Sets the fusion path of every dynamic conv (undefined: the paper's choice by mode). */
  setFusion(fusion: FusionMode | undefined): this {
    for (const c of this.dynamicConvs()) c.fusion = fusion;
    return this;
  }

  override extraRepr(): string {
    return `kind=${this.config.kind}`;
  }
}

