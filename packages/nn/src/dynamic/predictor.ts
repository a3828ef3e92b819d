/**
 * DyNet's coefficient prediction module: from a block's input, one coefficient in (0, 1) per
 * fixed kernel of every dynamic layer the block holds.
 */
import { adaptiveAvgPool2d, type Tensor } from '@dynconv/core';
import { Linear } from '../layers/linear.js';
import type { LayerOptions } from '../layers/options.js';
import { Module } from '../module.js';

/** Options of {@link CoefficientPredictor}. */
export interface CoefficientPredictorOptions extends LayerOptions {
  /**
   * Width of a hidden layer. Given: two FC layers with a ReLU between them (the paper's
   * Dy-ResNets use `inChannels / 4`). Absent: one FC layer, as in Dy-mobile and Dy-shuffle.
   */
  hidden?: number;
}

/**
 * Global average pooling, then `Linear(inChannels, hidden ?? outputs)`, then (when `hidden`
 * is given) ReLU and `Linear(hidden, outputs)`, then a sigmoid:
 * `x [N, C, H, W] -> eta [N, outputs]`.
 *
 * Submodules (state-dict keys): `fc` with one layer; `fc1` and `fc2` with a hidden layer.
 * The ReLU has no parameters and is applied functionally, so it is not a submodule.
 *
 * One predictor may serve several {@link DynamicConv2d} layers: make `outputs` the sum of
 * their `numCoefficients` and cut its output with {@link splitCoefficients}.
 */
export class CoefficientPredictor extends Module {
  /** The only FC layer (no hidden layer), else null. */
  readonly fc: Linear | null;
  /** The first of two FC layers (with a hidden layer), else null. */
  readonly fc1: Linear | null;
  /** The second of two FC layers (with a hidden layer), else null. */
  readonly fc2: Linear | null;
  /** Hidden width of the two-layer form, or null for one FC layer. */
  readonly hidden: number | null;

  constructor(
    /** Channels C of the input [N, C, H, W]. */
    readonly inChannels: number,
    /** Coefficients per image it outputs. */
    readonly outputs: number,
    opts: CoefficientPredictorOptions = {},
  ) {
    super();
    for (const [name, v] of [['inChannels', inChannels], ['outputs', outputs], ['hidden', opts.hidden ?? 1]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`CoefficientPredictor: ${name} must be a positive integer, got ${v}`);
    }
    const layerOpts: LayerOptions = { dtype: opts.dtype, generator: opts.generator, backend: opts.backend };
    this.hidden = opts.hidden ?? null;
    if (this.hidden === null) {
      this.fc = this.module('fc', new Linear(inChannels, outputs, layerOpts));
      this.fc1 = null;
      this.fc2 = null;
    } else {
      this.fc = null;
      this.fc1 = this.module('fc1', new Linear(inChannels, this.hidden, layerOpts));
      this.fc2 = this.module('fc2', new Linear(this.hidden, outputs, layerOpts));
    }
  }

  /** x [N, inChannels, H, W] -> coefficients [N, outputs], each in (0, 1). */
  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels) {
      throw new Error(`CoefficientPredictor(${this.extraRepr()}): expects input [N, ${this.inChannels}, H, W], got [${x.shape.join(', ')}]`);
    }
    const pooled = adaptiveAvgPool2d(x, 1).flatten(1);
    const logits = this.fc ? this.fc.forward(pooled) : this.fc2!.forward(this.fc1!.forward(pooled).relu());
    return logits.sigmoid();
  }

  override extraRepr(): string {
    return `in_channels=${this.inChannels}, outputs=${this.outputs}${this.hidden === null ? '' : `, hidden=${this.hidden}`}`;
  }
}

/** Anything that says how many coefficients it takes: a DynamicConv2d, or a plain count. */
export type CoefficientConsumer =
  | number
  | {
    /** Coefficients per image it takes. */
    readonly numCoefficients: number;
  };

/**
 * Cuts a predictor's output eta [N, total] into consecutive slices, one per consumer, in
 * order: `[eta[:, 0:n0], eta[:, n0:n0+n1], ...]`. The slices are views, so the gradient of
 * each flows back into the shared predictor. The counts must add up to `total` exactly.
 */
export function splitCoefficients(eta: Tensor, consumers: readonly CoefficientConsumer[]): Tensor[] {
  const sizes = consumers.map((c) => (typeof c === 'number' ? c : c.numCoefficients));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (eta.ndim !== 2 || eta.shape[1] !== total) {
    throw new Error(`splitCoefficients: the consumers take ${sizes.join(' + ')} = ${total} coefficients per image, but eta has shape [${eta.shape.join(', ')}] (expected [N, ${total}])`);
  }
  let at = 0;
  return sizes.map((n) => {
    const slice = eta.narrow(1, at, n);
    at += n;
    return slice;
  });
}

/** The total number of coefficients a shared predictor must output for these consumers. */
export function totalCoefficients(consumers: readonly CoefficientConsumer[]): number {
  return consumers.reduce<number>((n, c) => n + (typeof c === 'number' ? c : c.numCoefficients), 0);
}
