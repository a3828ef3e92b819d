/**
 * Dy-ResNet18 and Dy-ResNet50 (DyNet, Zhang et al. 2020): every conv inside a residual block is
 * a dynamic conv with half the channels of torchvision's, all of a block's dynamic convs take
 * their coefficients from one predictor fed by the block input (two FC layers, hidden width
 * C_in / 4), and the stem, the projection shortcuts and `fc` stay static. Key names follow
 * torchvision's (`layer1.0.conv1.weight`, `layer1.0.bn1.*`, `layer2.0.downsample.0.weight`)
 * plus `layerN.M.predictor.fc1/fc2`. See docs/models.md for the choices the paper leaves open.
 */
import type { Tensor } from '@dynconv/core';
import { BatchNorm2d, CoefficientPredictor, type DynamicConv2d, Module, ReLU, type Sequential, splitCoefficients } from '@dynconv/nn';
import { type DyModelOptions, layerOptions, resolveGroupSize, resolveOptions } from '../common.js';
import { expansion, ResNet, type ResNetBlockFactory, type ResNetBlockKind, resnetWidths } from '../resnet.js';
import { dynamicConv } from './dy-conv-norm.js';

/** Options of the Dy-ResNets. */
export interface DyResNetOptions extends DyModelOptions {
  /**
   * Block widths as a fraction of torchvision's (default 0.5, the paper's "half the output
   * channels"). The stem keeps torchvision's 64 * widthMult channels.
   */
  blockWidth?: number;
}

/** The paper's predictor for Dy-ResNets: two FC layers with hidden width C_in / 4. */
function resnetPredictor(inC: number, outputs: number, opts: DyModelOptions): CoefficientPredictor {
  return new CoefficientPredictor(inC, outputs, { hidden: Math.max(1, Math.floor(inC / 4)), ...layerOptions(opts) });
}

/** Dynamic version of torchvision's BasicBlock (two 3x3 dynamic convs). */
export class DyBasicBlock extends Module {
  /**
   * Predicts the coefficients of every dynamic conv of the block from the block input (two FC
   * layers, hidden width C_in / 4).
   */
  readonly predictor: CoefficientPredictor;
  /** First 3x3 dynamic conv, carrying the block's stride. */
  readonly conv1: DynamicConv2d;
  /** BatchNorm after `conv1`. */
  readonly bn1: BatchNorm2d;
  /** The ReLU used after `bn1` and after the sum. */
  readonly relu: ReLU;
  /** Second 3x3 dynamic conv. */
  readonly conv2: DynamicConv2d;
  /** BatchNorm after `conv2`. */
  readonly bn2: BatchNorm2d;
  /**
   * Static projection shortcut (1x1 conv + BN) where the block changes shape; null for the
   * identity.
   */
  readonly downsample: Sequential | null;

  constructor(inC: number, planes: number, stride: number, downsample: Sequential | null, groupSize: number, opts: DyModelOptions = {}) {
    super();
    const conv1 = dynamicConv(inC, planes, 3, groupSize, { stride }, opts);
    const conv2 = dynamicConv(planes, planes, 3, groupSize, {}, opts);
    this.predictor = this.module('predictor', resnetPredictor(inC, conv1.numCoefficients + conv2.numCoefficients, opts));
    this.conv1 = this.module('conv1', conv1);
    this.bn1 = this.module('bn1', new BatchNorm2d(planes, { dtype: opts.dtype }));
    this.relu = this.module('relu', new ReLU());
    this.conv2 = this.module('conv2', conv2);
    this.bn2 = this.module('bn2', new BatchNorm2d(planes, { dtype: opts.dtype }));
    this.downsample = this.module('downsample', downsample);
  }

  forward(x: Tensor): Tensor {
    const [eta1, eta2] = splitCoefficients(this.predictor.forward(x), [this.conv1, this.conv2]) as [Tensor, Tensor];
    const identity = this.downsample ? this.downsample.forward(x) : x;
    const out = this.bn2.forward(this.conv2.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x, eta1))), eta2));
    return this.relu.forward(out.add(identity));
  }
}

/** Dynamic version of torchvision's Bottleneck (1x1, 3x3, 1x1 dynamic convs). */
export class DyBottleneck extends Module {
  /**
   * Predicts the coefficients of every dynamic conv of the block from the block input (two FC
   * layers, hidden width C_in / 4).
   */
  readonly predictor: CoefficientPredictor;
  /** 1x1 dynamic conv reducing to `planes` channels. */
  readonly conv1: DynamicConv2d;
  /** BatchNorm after `conv1`. */
  readonly bn1: BatchNorm2d;
  /** 3x3 dynamic conv, carrying the block's stride. */
  readonly conv2: DynamicConv2d;
  /** BatchNorm after `conv2`. */
  readonly bn2: BatchNorm2d;
  /** 1x1 dynamic conv expanding to 4 * planes channels. */
  readonly conv3: DynamicConv2d;
  /** BatchNorm after `conv3`. */
  readonly bn3: BatchNorm2d;
  /** The ReLU used after `bn1`, `bn2` and the sum. */
  readonly relu: ReLU;
  /**
   * Static projection shortcut (1x1 conv + BN) where the block changes shape; null for the
   * identity.
   */
  readonly downsample: Sequential | null;

  constructor(inC: number, planes: number, stride: number, downsample: Sequential | null, groupSize: number, opts: DyModelOptions = {}) {
    super();
    const outC = planes * expansion('bottleneck');
    const conv1 = dynamicConv(inC, planes, 1, groupSize, {}, opts);
    const conv2 = dynamicConv(planes, planes, 3, groupSize, { stride }, opts);
    const conv3 = dynamicConv(planes, outC, 1, groupSize, {}, opts);
    this.predictor = this.module('predictor', resnetPredictor(inC, conv1.numCoefficients + conv2.numCoefficients + conv3.numCoefficients, opts));
    this.conv1 = this.module('conv1', conv1);
    this.bn1 = this.module('bn1', new BatchNorm2d(planes, { dtype: opts.dtype }));
    this.conv2 = this.module('conv2', conv2);
    this.bn2 = this.module('bn2', new BatchNorm2d(planes, { dtype: opts.dtype }));
    this.conv3 = this.module('conv3', conv3);
    this.bn3 = this.module('bn3', new BatchNorm2d(outC, { dtype: opts.dtype }));
    this.relu = this.module('relu', new ReLU());
    this.downsample = this.module('downsample', downsample);
  }

  forward(x: Tensor): Tensor {
    const [eta1, eta2, eta3] = splitCoefficients(this.predictor.forward(x), [this.conv1, this.conv2, this.conv3]) as [Tensor, Tensor, Tensor];
    const identity = this.downsample ? this.downsample.forward(x) : x;
    let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x, eta1)));
    out = this.relu.forward(this.bn2.forward(this.conv2.forward(out, eta2)));
    out = this.bn3.forward(this.conv3.forward(out, eta3));
    return this.relu.forward(out.add(identity));
  }
}

function build(name: string, block: ResNetBlockKind, layers: [number, number, number, number], opts: DyResNetOptions): ResNet {
  const { numClasses, widthMult } = resolveOptions(name, opts);
  const groupSize = resolveGroupSize(name, opts);
  const blockWidth = opts.blockWidth ?? 0.5;
  if (!(blockWidth > 0) || !Number.isFinite(blockWidth)) throw new Error(`${name}: blockWidth must be a positive number, got ${blockWidth}`);
  const { stem } = resnetWidths(widthMult);
  const { planes } = resnetWidths(widthMult * blockWidth);
  const makeBlock: ResNetBlockFactory = (inC, p, stride, ds) =>
    block === 'basic' ? new DyBasicBlock(inC, p, stride, ds, groupSize, opts) : new DyBottleneck(inC, p, stride, ds, groupSize, opts);
  return new ResNet({ block, layers, stem, planes }, numClasses, makeBlock, opts);
}

/** The paper's Dy-ResNet18: ResNet18 with dynamic blocks of half the width (group size 6). */
export function dyResnet18(opts: DyResNetOptions = {}): ResNet {
  return build('dyResnet18', 'basic', [2, 2, 2, 2], opts);
}

/** The paper's Dy-ResNet50: ResNet50 with dynamic bottlenecks of half the width (group size 6). */
export function dyResnet50(opts: DyResNetOptions = {}): ResNet {
  return build('dyResnet50', 'bottleneck', [3, 4, 6, 3], opts);
}
