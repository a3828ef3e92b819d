/**
 * Dy-MobileNetV3-Small: MobileNetV3-Small with the same widths, every conv of every bneck made
 * dynamic (expansion 1x1, depthwise k x k, projection 1x1), one predictor per bneck fed by its
 * input; squeeze-excitation, stem, last conv and classifier stay static. The paper reports
 * this network's accuracy (70.3% top-1, +2.9 over the static one at the same cost) but not its
 * layout; docs/models.md gives the reasons for this one. Keys follow torchvision's
 * (`features.1.block.0.0.weight` is now a dynamic conv's bank, `features.1.block.1.fc1` the
 * static SE) plus `features.N.predictor.fc`.
 */
import type { Tensor } from '@dynconv/core';
import { CoefficientPredictor, Module, SqueezeExcitation } from '@dynconv/nn';
import { type DyModelOptions, layerOptions, makeDivisible, resolveGroupSize, resolveOptions } from '../common.js';
import { bneckActivation, type BneckConfig, MOBILENET_V3_NORM, MobileNetV3, mobilenetV3SmallSetting, squeezeChannels } from '../mobilenet-v3.js';
import { type ChainLayer, DyChain } from './dy-chain.js';
import { DyConvNormActivation } from './dy-conv-norm.js';

/** A bneck with dynamic convs and a shared predictor; `block` mirrors torchvision's indices. */
export class DyInvertedResidualV3 extends Module {
  /** Predicts the coefficients of the bneck's dynamic convs from its input. */
  readonly predictor: CoefficientPredictor;
  /**
   * The dynamic expansion (when it changes the width), depthwise conv, static SE (when used) and
   * dynamic projection, in order.
   */
  readonly block: DyChain;
  /** Whether the input is added to the output: stride 1 and as many output channels as input. */
  readonly useResConnect: boolean;

  constructor(cnf: BneckConfig, groupSize: number, opts: DyModelOptions = {}) {
    super();
    this.useResConnect = cnf.stride === 1 && cnf.inputChannels === cnf.outChannels;
    const act = bneckActivation(cnf.activation);
    const norm = MOBILENET_V3_NORM;
    const e = cnf.expandedChannels;
    const layers: ChainLayer[] = [];
    if (e !== cnf.inputChannels) layers.push(new DyConvNormActivation(cnf.inputChannels, e, 1, groupSize, { activation: act, norm }, opts));
    layers.push(new DyConvNormActivation(e, e, cnf.kernel, groupSize, { stride: cnf.stride, groups: e, activation: act, norm }, opts));
    if (cnf.useSe) layers.push(new SqueezeExcitation(e, squeezeChannels(e), layerOptions(opts)));
    layers.push(new DyConvNormActivation(e, cnf.outChannels, 1, groupSize, { activation: null, norm }, opts));
    const chain = new DyChain(...layers);
    this.predictor = this.module('predictor', new CoefficientPredictor(cnf.inputChannels, chain.numCoefficients, layerOptions(opts)));
    this.block = this.module('block', chain);
  }

  forward(x: Tensor): Tensor {
    const y = this.block.forward(x, this.predictor.forward(x));
    return this.useResConnect ? y.add(x) : y;
  }
}

/** Dy-MobileNetV3-Small (group size 6 by default). */
export function dyMobilenetV3Small(opts: DyModelOptions = {}): MobileNetV3 {
  const { numClasses, widthMult } = resolveOptions('dyMobilenetV3Small', opts);
  const groupSize = resolveGroupSize('dyMobilenetV3Small', opts);
  return new MobileNetV3(mobilenetV3SmallSetting(widthMult), makeDivisible(1024 * widthMult, 8), numClasses, (cnf) => new DyInvertedResidualV3(cnf, groupSize, opts), opts);
}
