/**
 * The paper's Dy-mobile, built from MobileNetV2: each inverted residual becomes three dynamic
 * layers with no expansion (1x1 to the block's output width, 3x3 grouped conv with 6 channels
 * per group, linear 1x1), widths rounded to multiples of 6, one predictor per block fed by the
 * block input. Stem, the last 1x1 conv (1280 channels) and the classifier stay static.
 * Keys: `features.0.0` (static stem), `features.N.predictor.fc`, `features.N.conv.0.0`
 * (dynamic conv), `features.N.conv.0.1` (its BN), ..., `features.18.0`, `classifier.1`.
 */
import type { Tensor } from '@dynconv/core';
import { CoefficientPredictor, Module, ReLU6 } from '@dynconv/nn';
import { type DyModelOptions, layerOptions, resolveGroupSize } from '../common.js';
import { MobileNetV2, type MobileNetV2Blocks } from '../mobilenet-v2.js';
import { DyChain } from './dy-chain.js';
import { DyConvNormActivation } from './dy-conv-norm.js';

/** Options of {@link dyMobile}. */
export interface DyMobileOptions extends DyModelOptions {
  /** Input channels per group of the 3x3 dynamic conv (default 6: the paper's groups = C / 6). */
  channelsPerGroup?: number;
}

const relu6 = () => new ReLU6();

/**
 * Dy-mobile's block: predictor (one FC layer) on the block input, then `conv` = dynamic 1x1
 * (inp -> oup) + BN + ReLU6, dynamic 3x3 grouped (stride) + BN + ReLU6, dynamic 1x1 + BN;
 * residual when the shape is unchanged.
 */
export class DyInvertedResidual extends Module {
  /** Predicts the coefficients of the block's three dynamic convs from the block input. */
  readonly predictor: CoefficientPredictor;
  /** The three dynamic conv + BN (+ ReLU6) layers, in order. */
  readonly conv: DyChain;
  /** Whether the input is added to the output: stride 1 and as many output channels as input. */
  readonly useResConnect: boolean;

  constructor(inp: number, oup: number, stride: number, groupSize: number, channelsPerGroup: number, opts: DyModelOptions = {}) {
    super();
    this.useResConnect = stride === 1 && inp === oup;
    const groups = Math.max(1, Math.floor(oup / channelsPerGroup));
    const chain = new DyChain(
      new DyConvNormActivation(inp, oup, 1, groupSize, { activation: relu6 }, opts),
      new DyConvNormActivation(oup, oup, 3, groupSize, { stride, groups, activation: relu6 }, opts),
      new DyConvNormActivation(oup, oup, 1, groupSize, { activation: null }, opts),
    );
    this.predictor = this.module('predictor', new CoefficientPredictor(inp, chain.numCoefficients, layerOptions(opts)));
    this.conv = this.module('conv', chain);
  }

  forward(x: Tensor): Tensor {
    const y = this.conv.forward(x, this.predictor.forward(x));
    return this.useResConnect ? y.add(x) : y;
  }
}

/**
 * Dy-mobile: MobileNetV2's layout with {@link DyInvertedResidual} blocks (no expansion), block
 * widths rounded to multiples of `channelsPerGroup` so the grouped conv divides them.
 */
export class DyMobile extends MobileNetV2 {
  constructor(opts: DyMobileOptions = {}) {
    super(opts, dyMobileBlocks(opts));
  }
}

function dyMobileBlocks(opts: DyMobileOptions): MobileNetV2Blocks {
  const groupSize = resolveGroupSize('dyMobile', opts);
  const perGroup = opts.channelsPerGroup ?? 6;
  if (!Number.isInteger(perGroup) || perGroup < 1) throw new Error(`dyMobile: channelsPerGroup must be a positive integer, got ${perGroup}`);
  return { name: 'dyMobile', divisor: perGroup, makeBlock: (inp, oup, stride) => new DyInvertedResidual(inp, oup, stride, groupSize, perGroup, opts) };
}

/** The paper's Dy-mobile (from MobileNetV2 1.0), group size 6. */
export function dyMobile(opts: DyMobileOptions = {}): DyMobile {
  return new DyMobile(opts);
}
