/**
 * DyNet's dynamic convolution: a bank of `outChannels * groupSize` fixed kernels, mixed per
 * image by predicted coefficients into `outChannels` kernels.
 */
import { computeConv2dInfo, conv2d, type Conv2dOptions, enableGrad, grad, noGrad, onesLike, type Pair, type Tensor, zeros } from '@dynconv/core';
import { defaultLayerInit } from '../init.js';
import { type LayerOptions, tuple } from '../layers/options.js';
import { Module } from '../module.js';
import { type AutoFusionChoice, type FusionPath, type FusionTimer, fusionSignature, wallClockTimer } from './auto-fusion.js';
import { type KernelFusionVariant, kernelFusionConv2d, outputFusionConv2d } from './fusion.js';
import { CoefficientPredictor } from './predictor.js';

/** `'output'` or `'kernel'` fusion always, or `'auto'`: whichever measures faster. */
export type FusionMode = FusionPath | 'auto';

/** Where a {@link DynamicConv2d}'s coefficients come from (see {@link DynamicConv2dOptions.predictor}). */
export type DynamicPredictorKind = 'own' | 'external' | 'fixed';

/** Options of {@link DynamicConv2d}. */
export interface DynamicConv2dOptions extends LayerOptions {
  /** Step of the window (default 1). */
  stride?: Pair;
  /** A number, [h, w], 'valid' or 'same' (stride 1 only), as for Conv2d. */
  padding?: Pair | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Channel groups of the convolution (default 1). */
  groups?: number;
  /** A bias [outChannels], added after the fusion (default true). */
  bias?: boolean;
  /** Fixed kernels per output channel, the paper's g (default 6). */
  groupSize?: number;
  /**
   * Which path forward() takes. Not given: the paper's choice, output fusion in training mode
   * and kernel fusion in eval mode. `'auto'`: measure both (see {@link DynamicConv2d.autoFusionCache}).
   */
  fusion?: FusionMode;
  /**
   * `'own'` (default): the layer owns a {@link CoefficientPredictor} fed by its own input.
   * `'external'`: forward() must be given the coefficients (from a predictor shared by a block).
   * `'fixed'`: no predictor, every coefficient fixed at 1 (the paper's "Fix" ablation: the same
   * kernels without the dynamics), so each output channel convolves with the plain sum of its g
   * kernels, the same for every image.
   */
  predictor?: DynamicPredictorKind;
  /** Hidden width of the own predictor (two FC layers); one FC layer when absent. */
  hidden?: number;
  /** How kernel fusion convolves (default `'batched'`, the faster one measured here). */
  kernelFusion?: KernelFusionVariant;
  /** The timer of `fusion: 'auto'` (default {@link wallClockTimer}); inject one in tests. */
  timer?: FusionTimer;
}

/**
 * Dynamic convolution (DyNet, Zhang et al. 2020). The layer holds a fixed weight
 * [outChannels * groupSize, inChannels / groups, kh, kw]; kernel i of output channel o is
 * `weight[o * groupSize + i]`. For each image n and coefficients `eta [N, outChannels * groupSize]`
 * it computes the convolution with the fused kernels
 *
 *   w~[n, o] = sum_i eta[n, o * groupSize + i] * weight[o * groupSize + i]
 *
 * and adds the optional bias [outChannels] after the fusion (so the bias, and a BatchNorm after
 * the layer, see the same thing on both paths).
 *
 * Two equal ways to compute it: output fusion (convolve with every fixed kernel, then mix the
 * outputs; the paper's training path) and kernel fusion (mix the kernels, then one small
 * convolution per image; the paper's inference path). See docs/dynamic-conv.md.
 *
 * State-dict keys: `weight`, `bias`, and with an own predictor `predictor.fc.*` (or
 * `predictor.fc1.*`, `predictor.fc2.*` with a hidden layer).
 */
export class DynamicConv2d extends Module {
  /** The bank of fixed kernels, [outChannels * groupSize, inChannels / groups, kh, kw]. */
  readonly weight: Tensor;
  /** The bias [outChannels] added after the fusion, or null without one. */
  readonly bias: Tensor | null;
  /** The own coefficient predictor, or null when coefficients come from outside (or are fixed). */
  readonly predictor: CoefficientPredictor | null;
  /** Where the coefficients come from: the own predictor, the caller, or fixed at 1. */
  readonly predictorKind: DynamicPredictorKind;
  /** Kernel height and width. */
  readonly kernelSize: [number, number];
  /** Channel groups of the convolution. */
  readonly groups: number;
  /** Fixed kernels per output channel, the paper's g. */
  readonly groupSize: number;
  /** Coefficients per image this layer consumes: `outChannels * groupSize`. */
  readonly numCoefficients: number;
  /** The fusion mode; undefined means the paper's choice (output when training, kernel in eval). May be changed. */
  fusion: FusionMode | undefined;
  /** How kernel fusion convolves; may be changed. */
  kernelFusion: KernelFusionVariant;
  /** The timer used by `fusion: 'auto'`; may be replaced. */
  timer: FusionTimer;
  /**
   * `fusion: 'auto'` choices by input signature (shape, dtype, train or eval; see
   * {@link fusionSignature}). Each signature is measured once, on its first forward: both paths
   * are run on that input (forward, plus backward in training mode) through {@link timer}, and
   * the cheaper one is kept. Inspect it, clear it to re-measure (say after changing
   * {@link kernelFusion}), or set entries to skip timing.
   */
  readonly autoFusionCache = new Map<string, AutoFusionChoice>();
  /** The path the most recent forward() took (null before the first). */
  lastPath: FusionPath | null = null;
  /** Names the layer in error messages. */
  private readonly label: string;

  constructor(
    /** Input channels. */
    readonly inChannels: number,
    /** Output channels (each a mix of groupSize fixed kernels). */
    readonly outChannels: number,
    kernelSize: Pair,
    /** The options it was built with. */
    readonly opts: DynamicConv2dOptions = {},
  ) {
    super();
    this.kernelSize = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : [kernelSize[0], kernelSize[1]];
    this.groups = opts.groups ?? 1;
    this.groupSize = opts.groupSize ?? 6;
    const label = `DynamicConv2d(${inChannels}, ${outChannels}, kernel_size=${tuple(this.kernelSize)}, group_size=${this.groupSize})`;
    const positive = (name: string, v: number) => {
      if (!Number.isInteger(v) || v < 1) throw new Error(`${label}: ${name} must be a positive integer, got ${v}`);
    };
    positive('inChannels', inChannels);
    positive('outChannels', outChannels);
    positive('kernel size', this.kernelSize[0]);
    positive('kernel size', this.kernelSize[1]);
    positive('groups', this.groups);
    positive('groupSize', this.groupSize);
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new Error(`${label}: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${this.groups})`);
    }
    if (opts.fusion !== undefined && !['output', 'kernel', 'auto'].includes(opts.fusion)) {
      throw new Error(`${label}: fusion must be 'output', 'kernel' or 'auto', got ${JSON.stringify(opts.fusion)}`);
    }
    const predictor = opts.predictor ?? 'own';
    if (predictor !== 'own' && predictor !== 'external' && predictor !== 'fixed') {
      throw new Error(`${label}: predictor must be 'own', 'external' or 'fixed', got ${JSON.stringify(predictor)}`);
    }
    if (predictor !== 'own' && opts.hidden !== undefined) {
      throw new Error(`${label}: hidden (${opts.hidden}) configures the layer's own predictor, but predictor is '${predictor}'`);
    }
    this.predictorKind = predictor;
    const [sh, sw] = pairOf(opts.stride ?? 1);
    if (opts.padding === 'same' && (sh !== 1 || sw !== 1)) {
      throw new Error(`${label}: padding 'same' needs stride 1, got stride ${tuple([sh, sw])}`);
    }
    this.label = label;
    this.numCoefficients = outChannels * this.groupSize;
    this.fusion = opts.fusion;
    this.kernelFusion = opts.kernelFusion ?? 'batched';
    this.timer = opts.timer ?? wallClockTimer;

    const t = { dtype: opts.dtype, backend: opts.backend };
    this.weight = this.param('weight', zeros([this.numCoefficients, inChannels / this.groups, ...this.kernelSize], t));
    this.bias = this.param('bias', opts.bias === false ? null : zeros([outChannels], t));
    // PyTorch's conv default; fan_in = inChannels / groups * kh * kw, read off the weight's shape.
    defaultLayerInit(this.weight, this.bias, opts);
    this.predictor =
      predictor === 'own'
        ? this.module('predictor', new CoefficientPredictor(inChannels, this.numCoefficients, { hidden: opts.hidden, dtype: opts.dtype, generator: opts.generator, backend: opts.backend }))
        : null;
  }

  /** The conv2d options (stride, padding, dilation, groups) both paths use. */
  get convOptions(): Conv2dOptions {
    const { stride, padding, dilation } = this.opts;
    return { stride, padding, dilation, groups: this.groups };
  }

  /** The output shape [N, outChannels, Ho, Wo] for an input of shape [N, inChannels, H, W]. */
  outputShape(inputShape: readonly number[]): [number, number, number, number] {
    this.checkInputShape(inputShape);
    // The same geometry conv2d computes (one formula, in core), for the per-output-channel filter.
    const filter = [this.outChannels, this.inChannels / this.groups, ...this.kernelSize];
    const [N, K, Ho, Wo] = computeConv2dInfo(inputShape, filter, this.convOptions, this.label).outShape;
    return [N, K, Ho, Wo];
  }

  private checkInputShape(shape: readonly number[]): void {
    if (shape.length !== 4 || shape[1] !== this.inChannels) {
      throw new Error(`${this.label}: expects input [N, ${this.inChannels}, H, W], got [${shape.join(', ')}]`);
    }
  }

  /**
   * x [N, inChannels, H, W] -> [N, outChannels, Ho, Wo]. `eta` [N, outChannels * groupSize] are
   * the coefficients: required with an external predictor; with an own predictor they are
   * computed from x unless given (given ones take precedence). With fixed coefficients and no
   * `eta`, the layer is one convolution with {@link summedWeight} (equal to `eta = 1` on both
   * fusion paths, and cheaper than either); {@link lastPath} then reads `'kernel'`.
   */
  override forward(x: Tensor, eta?: Tensor): Tensor {
    this.checkInputShape(x.shape);
    const N = x.shape[0]!;
    if (eta === undefined && this.predictorKind === 'fixed') {
      this.lastPath = 'kernel';
      return conv2d(x, this.summedWeight(), this.bias, this.convOptions);
    }
    if (eta === undefined) {
      if (!this.predictor) {
        throw new Error(`${this.label}: predictor is 'external', so forward(x, eta) needs eta of shape [${N}, ${this.numCoefficients}] (outChannels ${this.outChannels} x groupSize ${this.groupSize}); input [${x.shape.join(', ')}]`);
      }
      eta = this.predictor.forward(x);
    }
    if (eta.ndim !== 2 || eta.shape[0] !== N || eta.shape[1] !== this.numCoefficients) {
      throw new Error(`${this.label}: eta must have shape [${N}, ${this.numCoefficients}] (batch x outChannels ${this.outChannels} * groupSize ${this.groupSize}), got [${eta.shape.join(', ')}] for input [${x.shape.join(', ')}]`);
    }
    const path = this.choosePath(x, eta);
    this.lastPath = path;
    const y = this.compute(path, x, eta, this.weight);
    return this.bias ? y.add(this.bias.reshape([1, this.outChannels, 1, 1])) : y;
  }

  /**
   * Each output channel's g kernels summed, [outChannels, inChannels / groups, kh, kw]: the
   * kernels of the layer with every coefficient at 1 (differentiable, so training through it
   * trains the whole bank).
   */
  summedWeight(): Tensor {
    const [K, Cg, kh, kw] = this.weight.shape as [number, number, number, number];
    return this.weight.reshape([K / this.groupSize, this.groupSize, Cg, kh, kw]).sum(1);
  }

  private compute(path: FusionPath, x: Tensor, eta: Tensor, weight: Tensor): Tensor {
    return path === 'output'
      ? outputFusionConv2d(x, weight, eta, this.groupSize, this.convOptions)
      : kernelFusionConv2d(x, weight, eta, this.groupSize, this.convOptions, this.kernelFusion);
  }

  /** The path forward() takes for this input in the current mode (measuring it first under 'auto'). */
  private choosePath(x: Tensor, eta: Tensor): FusionPath {
    const mode = this.fusion ?? (this.training ? 'output' : 'kernel');
    if (mode !== 'auto') return mode;
    const key = fusionSignature(x.shape, x.dtype, this.training);
    let choice = this.autoFusionCache.get(key);
    if (!choice) {
      const outputMs = this.timer(this.timingRun('output', x, eta), 'output', key);
      const kernelMs = this.timer(this.timingRun('kernel', x, eta), 'kernel', key);
      // A tie goes to the paper's choice for the mode.
      const path: FusionPath = outputMs === kernelMs ? (this.training ? 'output' : 'kernel') : outputMs < kernelMs ? 'output' : 'kernel';
      choice = { path, outputMs, kernelMs };
      this.autoFusionCache.set(key, choice);
    }
    return choice.path;
  }

  /**
   * One measurable run of a path on detached copies of the inputs, so timing leaves no trace
   * on the tape or in any `.grad`. In training mode it includes the backward pass to x, eta and
   * the weight, the cost a training step pays. The predictor and the bias are the same on both
   * paths, so they are left out.
   */
  private timingRun(path: FusionPath, x: Tensor, eta: Tensor): () => void {
    const [xd, ed, wd] = [x.detach(), eta.detach(), this.weight.detach()];
    if (!this.training) return () => void noGrad(() => this.compute(path, xd, ed, wd));
    return () =>
      void enableGrad(() => {
        const leaves = [xd, ed, wd].map((t) => t.detach().requiresGrad_());
        const y = this.compute(path, leaves[0]!, leaves[1]!, leaves[2]!);
        grad(y, leaves, { gradOutputs: onesLike(y) });
      });
  }

  override extraRepr(): string {
    const { stride = 1, padding = 0, dilation = 1 } = this.opts;
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=${tuple(stride)}`;
    if (padding !== 0) s += `, padding=${typeof padding === 'string' ? padding : tuple(padding)}`;
    if (dilation !== 1) s += `, dilation=${tuple(dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    s += `, group_size=${this.groupSize}, fusion=${this.fusion ?? 'paper'}`;
    if (this.kernelFusion !== 'batched') s += `, kernel_fusion=${this.kernelFusion}`;
    if (this.predictorKind !== 'own') s += `, predictor=${this.predictorKind}`;
    return s;
  }
}

function pairOf(v: Pair): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}
