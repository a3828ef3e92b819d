/**
 * The paper's Dy-shuffle, built from ShuffleNetV2: only the right branch of each unit (1x1,
 * 3x3 depthwise, 1x1) is dynamic, and the channel split of stride-1 units is 3:1 (left:right)
 * instead of 1:1, so their dynamic branch carries a quarter of the width; downsampling units,
 * which have no split, keep torchvision's halves. One predictor per unit, fed by the right
 * branch's input. Stem (`conv1`), the static left branch of downsampling units, `conv5`
 * and `fc` stay static. Keys: `stage2.0.branch1.*` (static, as torchvision's),
 * `stage2.0.branch2.0.0` (dynamic conv), `stage2.0.branch2.0.1` (its BN), ...,
 * `stage2.0.predictor.fc`.
 */
import { cat, type Tensor } from '@dynconv/core';
import { channelShuffle, CoefficientPredictor, Module, ReLU, Sequential } from '@dynconv/nn';
import { type DyModelOptions, layerOptions, resolveGroupSize, resolveOptions } from '../common.js';
import { shuffleBranch1, ShuffleNetV2, type ShuffleNetV2Options, shufflenetV2Widths } from '../shufflenet-v2.js';
import { DyChain } from './dy-chain.js';
import { DyConvNormActivation } from './dy-conv-norm.js';

/** Options of {@link dyShufflenetV2}. */
export interface DyShuffleNetV2Options extends DyModelOptions, Omit<ShuffleNetV2Options, keyof DyModelOptions> {
  /** The dynamic (right) branch's share of a stride-1 unit's channels (default 1/4: the paper's 3:1 split). */
  rightFraction?: number;
  /** Groups of the channel shuffle after each unit (default 4, see docs/models.md). */
  shuffleGroups?: number;
}

const relu = () => new ReLU();

/**
 * Dy-shuffle's unit. Stride 1: the first `oup - right` channels pass unchanged, the last
 * `right = oup * rightFraction` go through the dynamic branch. Stride 2: the static `branch1`
 * (3x3 depthwise with stride, 1x1) and the dynamic `branch2` both see the whole input and each
 * output `oup / 2` channels. Then concatenation and a channel shuffle.
 */
export class DyShuffleUnit extends Module {
  /** Predicts the dynamic branch's coefficients from that branch's input. */
  readonly predictor: CoefficientPredictor;
  /**
   * The static left branch of a stride-2 unit (depthwise conv, BN, 1x1 conv, BN, ReLU); empty at
   * stride 1.
   */
  readonly branch1: Sequential;
  /**
   * The dynamic right branch: 1x1 + BN + ReLU, 3x3 depthwise (with the stride) + BN, 1x1 + BN +
   * ReLU.
   */
  readonly branch2: DyChain;
  /** Channels of the dynamic branch's output (and, at stride 1, of its input). */
  readonly right: number;

  constructor(
    inp: number,
    oup: number,
    /** 1 (split the channels) or 2 (downsample, both branches). */
    readonly stride: number,
    /** Groups of the channel shuffle after the concatenation. */
    readonly shuffleGroups: number,
    rightFraction: number,
    groupSize: number,
    opts: DyModelOptions = {},
  ) {
    super();
    // The 3:1 split is of the split operation, which only stride-1 units have; a downsampling
    // unit keeps torchvision's halves (see docs/models.md).
    const right = stride > 1 ? oup / 2 : Math.round(oup * rightFraction);
    if (!Number.isInteger(right) || right < 1 || right >= oup || (stride === 1 && inp !== oup) || oup % shuffleGroups !== 0) {
      throw new Error(`DyShuffleUnit: needs an integer 0 < right (${right}) < oup (${oup}), inp = oup at stride 1 (inp ${inp}, stride ${stride}), and oup divisible by shuffleGroups (${shuffleGroups})`);
    }
    this.right = right;
    const branchIn = stride > 1 ? inp : right;
    this.branch1 = this.module('branch1', stride > 1 ? shuffleBranch1(inp, oup - right, stride, opts) : new Sequential());
    const chain = new DyChain(
      new DyConvNormActivation(branchIn, right, 1, groupSize, { activation: relu }, opts),
      new DyConvNormActivation(right, right, 3, groupSize, { stride, groups: right, activation: null }, opts),
      new DyConvNormActivation(right, right, 1, groupSize, { activation: relu }, opts),
    );
    this.predictor = this.module('predictor', new CoefficientPredictor(branchIn, chain.numCoefficients, layerOptions(opts)));
    this.branch2 = this.module('branch2', chain);
  }

  forward(x: Tensor): Tensor {
    let out: Tensor;
    if (this.stride === 1) {
      const c = x.shape[1]!;
      const x1 = x.narrow(1, 0, c - this.right);
      const x2 = x.narrow(1, c - this.right, this.right);
      out = cat([x1, this.branch2.forward(x2, this.predictor.forward(x2))], 1);
    } else {
      out = cat([this.branch1.forward(x), this.branch2.forward(x, this.predictor.forward(x))], 1);
    }
    return channelShuffle(out, this.shuffleGroups);
  }
}

/** The paper's Dy-shuffle (from ShuffleNetV2 1.0 by default), group size 6. */
export function dyShufflenetV2(opts: DyShuffleNetV2Options = {}): ShuffleNetV2 {
  const { numClasses } = resolveOptions('dyShufflenetV2', { ...opts, widthMult: undefined });
  const groupSize = resolveGroupSize('dyShufflenetV2', opts);
  const widths = shufflenetV2Widths('dyShufflenetV2', opts);
  const rightFraction = opts.rightFraction ?? 0.25;
  const shuffleGroups = opts.shuffleGroups ?? 4;
  return new ShuffleNetV2(widths, numClasses, (inp, oup, stride) => new DyShuffleUnit(inp, oup, stride, shuffleGroups, rightFraction, groupSize, opts), opts);
}
