/**
 * A chain of layers some of which are dynamic: one block's worth of DyNet layers, all fed by
 * one shared coefficient predictor. Static layers in between (MobileNetV3's squeeze-excitation)
 * run as they are.
 */
import type { Tensor } from '@dynconv/core';
import { Module, splitCoefficients } from '@dynconv/nn';
import { DyConvNormActivation } from './dy-conv-norm.js';

/** A layer of a {@link DyChain}: dynamic (takes coefficients) or static. */
export type ChainLayer = DyConvNormActivation | Module;

/**
 * Layers registered as `0`, `1`, ... (the indices of the static network's Sequential), run in
 * order. `forward(x, eta)` cuts `eta [N, numCoefficients]` into one slice per dynamic layer, in
 * order, with `splitCoefficients` (views, so every layer's gradient reaches the one predictor).
 */
export class DyChain extends Module<[Tensor, Tensor], Tensor> {
  private readonly layers: ChainLayer[];
  /** The dynamic layers, in order. */
  readonly dynamicLayers: DyConvNormActivation[];

  constructor(...layers: ChainLayer[]) {
    super();
    this.layers = layers.map((m, i) => this.module(String(i), m));
    this.dynamicLayers = layers.filter((m): m is DyConvNormActivation => m instanceof DyConvNormActivation);
  }

  /** Coefficients per image for all the dynamic layers: what the block's predictor outputs. */
  get numCoefficients(): number {
    return this.dynamicLayers.reduce((n, l) => n + l.numCoefficients, 0);
  }

  forward(x: Tensor, eta: Tensor): Tensor {
    const etas = splitCoefficients(eta, this.dynamicLayers.map((l) => l.conv));
    let i = 0;
    return this.layers.reduce((h, m) => (m instanceof DyConvNormActivation ? m.forward(h, etas[i++]!) : (m as Module).forward(h)), x);
  }
}
