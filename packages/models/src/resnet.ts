/**
 * ResNet (He et al. 2016) as torchvision builds it (`torchvision.models.resnet`, v1.5: the
 * stride of a bottleneck is on its 3x3 conv). Registration names are torchvision's, so the
 * state dicts have the same keys and shapes: `conv1`, `bn1`, `layer1.0.conv1`,
 * `layer2.0.downsample.0`, `fc`, ...
 */
import type { Tensor } from '@dynconv/core';
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Linear, MaxPool2d, Module, ReLU, Sequential } from '@dynconv/nn';
import { layerOptions, type ModelOptions, resolveOptions } from './common.js';
import { withInit } from './init.js';

/** The kind of residual block: two 3x3 convs (ResNet18/34) or 1x1-3x3-1x1 (ResNet50+). */
export type ResNetBlockKind = 'basic' | 'bottleneck';

/** Output channels of a block over its `planes` (torchvision's `expansion`). */
export function expansion(kind: ResNetBlockKind): number {
  return kind === 'basic' ? 1 : 4;
}

/**
 * Builds the residual block `index` of a stage; `downsample` is its shortcut (null: identity).
 * @inline
 */
export type ResNetBlockFactory = (inChannels: number, planes: number, stride: number, downsample: Sequential | null) => Module;

/** The shape of a ResNet: block kind, blocks per stage, stem and per-stage widths. */
export interface ResNetConfig {
  /** The residual block of every stage. */
  block: ResNetBlockKind;
  /** Blocks in layer1..layer4 ([2, 2, 2, 2] for ResNet18, [3, 4, 6, 3] for ResNet50). */
  layers: readonly [number, number, number, number];
  /** Output channels of the stem conv (64). */
  stem: number;
  /** `planes` of layer1..layer4 (64, 128, 256, 512); a block outputs planes * expansion. */
  planes: readonly [number, number, number, number];
}

/** torchvision's `conv1x1` + BatchNorm shortcut, used when a block changes shape. */
export function downsampleShortcut(inC: number, outC: number, stride: number, opts: ModelOptions): Sequential {
  return new Sequential(new Conv2d(inC, outC, 1, { stride, bias: false, ...layerOptions(opts) }), new BatchNorm2d(outC, { dtype: opts.dtype }));
}

/** ResNet18/34's block: 3x3 conv (with the stride), BN, ReLU, 3x3 conv, BN, plus the shortcut, ReLU. */
export class BasicBlock extends Module {
  /** First 3x3 conv, carrying the block's stride. */
  readonly conv1: Conv2d;
  /** BatchNorm after `conv1`. */
  readonly bn1: BatchNorm2d;
  /** The ReLU used after `bn1` and after the sum. */
  readonly relu: ReLU;
  /** Second 3x3 conv. */
  readonly conv2: Conv2d;
  /** BatchNorm after `conv2`. */
  readonly bn2: BatchNorm2d;
  /** Projection shortcut (1x1 conv + BN) where the block changes shape; null for the identity. */
  readonly downsample: Sequential | null;

  constructor(inC: number, planes: number, stride: number, downsample: Sequential | null, opts: ModelOptions = {}) {
    super();
    const lo = layerOptions(opts);
    this.conv1 = this.module('conv1', new Conv2d(inC, planes, 3, { stride, padding: 1, bias: false, ...lo }));
    this.bn1 = this.module('bn1', new BatchNorm2d(planes, { dtype: opts.dtype }));
    this.relu = this.module('relu', new ReLU());
    this.conv2 = this.module('conv2', new Conv2d(planes, planes, 3, { padding: 1, bias: false, ...lo }));
    this.bn2 = this.module('bn2', new BatchNorm2d(planes, { dtype: opts.dtype }));
    this.downsample = this.module('downsample', downsample);
  }

  forward(x: Tensor): Tensor {
    const identity = this.downsample ? this.downsample.forward(x) : x;
    const out = this.bn2.forward(this.conv2.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x)))));
    return this.relu.forward(out.add(identity));
  }
}

/** ResNet50's block: 1x1 conv to `planes`, 3x3 conv (with the stride), 1x1 conv to 4 * planes, each with BN; the shortcut; ReLU. */
export class Bottleneck extends Module {
  /** 1x1 conv reducing to `planes` channels. */
  readonly conv1: Conv2d;
  /** BatchNorm after `conv1`. */
  readonly bn1: BatchNorm2d;
  /** 3x3 conv, carrying the block's stride. */
  readonly conv2: Conv2d;
  /** BatchNorm after `conv2`. */
  readonly bn2: BatchNorm2d;
  /** 1x1 conv expanding to 4 * planes channels. */
  readonly conv3: Conv2d;
  /** BatchNorm after `conv3`. */
  readonly bn3: BatchNorm2d;
  /** The ReLU used after `bn1`, `bn2` and the sum. */
  readonly relu: ReLU;
  /** Projection shortcut (1x1 conv + BN) where the block changes shape; null for the identity. */
  readonly downsample: Sequential | null;

  constructor(inC: number, planes: number, stride: number, downsample: Sequential | null, opts: ModelOptions = {}) {
    super();
    const lo = layerOptions(opts);
    const outC = planes * expansion('bottleneck');
    this.conv1 = this.module('conv1', new Conv2d(inC, planes, 1, { bias: false, ...lo }));
    this.bn1 = this.module('bn1', new BatchNorm2d(planes, { dtype: opts.dtype }));
    this.conv2 = this.module('conv2', new Conv2d(planes, planes, 3, { stride, padding: 1, bias: false, ...lo }));
    this.bn2 = this.module('bn2', new BatchNorm2d(planes, { dtype: opts.dtype }));
    this.conv3 = this.module('conv3', new Conv2d(planes, outC, 1, { bias: false, ...lo }));
    this.bn3 = this.module('bn3', new BatchNorm2d(outC, { dtype: opts.dtype }));
    this.relu = this.module('relu', new ReLU());
    this.downsample = this.module('downsample', downsample);
  }

  forward(x: Tensor): Tensor {
    const identity = this.downsample ? this.downsample.forward(x) : x;
    let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    out = this.relu.forward(this.bn2.forward(this.conv2.forward(out)));
    out = this.bn3.forward(this.conv3.forward(out));
    return this.relu.forward(out.add(identity));
  }
}

/**
 * The ResNet trunk: 7x7 stride-2 stem conv, BN, ReLU, 3x3 stride-2 max pooling, four stages of
 * residual blocks (the first block of layer2..4 has stride 2), global average pooling and `fc`.
 * The blocks come from a factory, so the Dy-ResNets reuse this class with dynamic blocks.
 */
export class ResNet extends Module {
  /** Stem: 7x7 stride-2 conv from 3 channels. */
  readonly conv1: Conv2d;
  /** BatchNorm after the stem conv. */
  readonly bn1: BatchNorm2d;
  /** ReLU after the stem's BatchNorm. */
  readonly relu: ReLU;
  /** 3x3 stride-2 max pooling ending the stem. */
  readonly maxpool: MaxPool2d;
  /** Stage 1: residual blocks at stride 1. */
  readonly layer1: Sequential;
  /** Stage 2: its first block has stride 2. */
  readonly layer2: Sequential;
  /** Stage 3: its first block has stride 2. */
  readonly layer3: Sequential;
  /** Stage 4: its first block has stride 2. */
  readonly layer4: Sequential;
  /** Global average pooling. */
  readonly avgpool: AdaptiveAvgPool2d;
  /** The classifier. */
  readonly fc: Linear;

  constructor(
    /** The block kind, depths and widths it was built with. */
    readonly config: ResNetConfig,
    numClasses: number,
    makeBlock: ResNetBlockFactory,
    opts: ModelOptions = {},
  ) {
    super();
    this.conv1 = this.module('conv1', new Conv2d(3, config.stem, 7, { stride: 2, padding: 3, bias: false, ...layerOptions(opts) }));
    this.bn1 = this.module('bn1', new BatchNorm2d(config.stem, { dtype: opts.dtype }));
    this.relu = this.module('relu', new ReLU());
    this.maxpool = this.module('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    const exp = expansion(config.block);
    let inC = config.stem;
    const stage = (i: 0 | 1 | 2 | 3): Sequential => {
      const planes = config.planes[i];
      const stride = i === 0 ? 1 : 2;
      const blocks: Module[] = [];
      for (let b = 0; b < config.layers[i]; b++) {
        const s = b === 0 ? stride : 1;
        // torchvision's rule: a projection shortcut exactly where the block changes shape.
        const downsample = b === 0 && (s !== 1 || inC !== planes * exp) ? downsampleShortcut(inC, planes * exp, s, opts) : null;
        blocks.push(makeBlock(inC, planes, s, downsample));
        inC = planes * exp;
      }
      return new Sequential(...blocks);
    };
    this.layer1 = this.module('layer1', stage(0));
    this.layer2 = this.module('layer2', stage(1));
    this.layer3 = this.module('layer3', stage(2));
    this.layer4 = this.module('layer4', stage(3));
    this.avgpool = this.module('avgpool', new AdaptiveAvgPool2d(1));
    this.fc = this.module('fc', new Linear(inC, numClasses, layerOptions(opts)));
  }

  forward(x: Tensor): Tensor {
    let h = this.maxpool.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x))));
    for (const layer of [this.layer1, this.layer2, this.layer3, this.layer4]) h = layer.forward(h);
    return this.fc.forward(this.avgpool.forward(h).flatten(1));
  }
}

/** torchvision's widths scaled by `widthMult` (rounded, at least 1). */
export function resnetWidths(widthMult: number): { stem: number; planes: [number, number, number, number] } {
  const w = (c: number) => Math.max(1, Math.round(c * widthMult));
  return { stem: w(64), planes: [w(64), w(128), w(256), w(512)] };
}

function build(name: string, block: ResNetBlockKind, layers: [number, number, number, number], opts: ModelOptions): ResNet {
  const { numClasses, widthMult } = resolveOptions(name, opts);
  const config: ResNetConfig = { block, layers, ...resnetWidths(widthMult) };
  const makeBlock: ResNetBlockFactory = (inC, planes, stride, ds) => (block === 'basic' ? new BasicBlock(inC, planes, stride, ds, opts) : new Bottleneck(inC, planes, stride, ds, opts));
  return withInit(new ResNet(config, numClasses, makeBlock, opts), 'resnet', opts);
}

/** torchvision's `resnet18`: 11,689,512 parameters with 1000 classes. */
export function resnet18(opts: ModelOptions = {}): ResNet {
  return build('resnet18', 'basic', [2, 2, 2, 2], opts);
}

/** torchvision's `resnet50`: 25,557,032 parameters with 1000 classes. */
export function resnet50(opts: ModelOptions = {}): ResNet {
  return build('resnet50', 'bottleneck', [3, 4, 6, 3], opts);
}
