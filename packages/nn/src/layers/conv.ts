import { channelAffine, conv2d, convTranspose2d, type Pair, relu, relu6, type Tensor, zeros } from '@dynconv/core';
import { defaultLayerInit } from '../init.js';
import { Module } from '../module.js';
import { type LayerOptions, tuple } from './options.js';

/** Options of {@link Conv2d}. */
export interface Conv2dLayerOptions extends LayerOptions {
  /** Step of the window (default 1). */
  stride?: Pair;
  /**
   * Zero padding: a number, [h, w], 'valid' (0) or 'same' (output size = input size; stride 1
   * only). Default 0.
   */
  padding?: Pair | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /**
   * Channel groups: input and output channels are split into this many independent convolutions
   * (default 1).
   */
  groups?: number;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
  /**
   * An activation applied to the output in the same pass as the bias (PyTorch's ConvReLU2d):
   * what `fuseModules` makes of a conv, its BatchNorm and its ReLU. Default none.
   */
  activation?: 'relu' | 'relu6';
}

/** 2-D convolution with a weight [out, in / groups, kh, kw] and an optional bias [out]. */
export class Conv2d extends Module {
  /** The kernels, [outChannels, inChannels / groups, kh, kw]. */
  readonly weight: Tensor;
  /** The bias [outChannels], or null without one. */
  readonly bias: Tensor | null;
  /** Kernel height and width. */
  readonly kernelSize: [number, number];

  constructor(
    /** Input channels. */
    readonly inChannels: number,
    /** Output channels. */
    readonly outChannels: number,
    kernelSize: Pair,
    /** The options it was built with. */
    readonly opts: Conv2dLayerOptions = {},
  ) {
    super();
    if (opts.activation !== undefined && opts.activation !== 'relu' && opts.activation !== 'relu6') {
      throw new Error(`Conv2d: activation must be 'relu' or 'relu6' (or left out), got ${JSON.stringify(opts.activation)}`);
    }
    const groups = opts.groups ?? 1;
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new Error(`Conv2d: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${groups})`);
    }
    this.kernelSize = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : [kernelSize[0], kernelSize[1]];
    const t = { dtype: opts.dtype, backend: opts.backend };
    this.weight = this.param('weight', zeros([outChannels, inChannels / groups, ...this.kernelSize], t));
    this.bias = this.param('bias', opts.bias === false ? null : zeros([outChannels], t));
    defaultLayerInit(this.weight, this.bias, opts);
  }

  forward(x: Tensor): Tensor {
    const { stride, padding, dilation, groups, activation } = this.opts;
    const o = { stride, padding, dilation, groups };
    if (!activation) return conv2d(x, this.weight, this.bias, o);
    const y = conv2d(x, this.weight, null, o);
    // Bias and activation in one pass over the output (one ChannelAffine kernel at inference).
    if (this.bias) return channelAffine(y, null, this.bias, activation);
    return activation === 'relu' ? relu(y) : relu6(y);
  }

  override extraRepr(): string {
    const { stride = 1, padding = 0, dilation = 1, groups = 1 } = this.opts;
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=${tuple(stride)}`;
    if (padding !== 0) s += `, padding=${typeof padding === 'string' ? padding : tuple(padding)}`;
    if (dilation !== 1) s += `, dilation=${tuple(dilation)}`;
    if (groups !== 1) s += `, groups=${groups}`;
    if (!this.bias) s += ', bias=False';
    if (this.opts.activation) s += `, activation=${this.opts.activation}`;
    return s;
  }
}

/** Options of {@link ConvTranspose2d}. */
export interface ConvTranspose2dLayerOptions extends LayerOptions {
  /** Stride of the convolution this one transposes: the upsampling factor (default 1). */
  stride?: Pair;
  /** Rows and columns trimmed from each side of the output (default 0). */
  padding?: Pair;
  /**
   * Extra rows/columns added to one side of the output, to pick the output size (default 0; less
   * than stride or dilation).
   */
  outputPadding?: Pair;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Channel groups (default 1). */
  groups?: number;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
}

/**
 * Transposed 2-D convolution with a weight [in, out / groups, kh, kw] and an optional bias [out]
 * (`torch.nn.ConvTranspose2d`, with its initialisation: the fan-in is weight.shape[1] * kh * kw).
 */
export class ConvTranspose2d extends Module {
  /** The kernels, [inChannels, outChannels / groups, kh, kw]. */
  readonly weight: Tensor;
  /** The bias [outChannels], or null without one. */
  readonly bias: Tensor | null;
  /** Kernel height and width. */
  readonly kernelSize: [number, number];

  constructor(
    /** Input channels. */
    readonly inChannels: number,
    /** Output channels. */
    readonly outChannels: number,
    kernelSize: Pair,
    /** The options it was built with. */
    readonly opts: ConvTranspose2dLayerOptions = {},
  ) {
    super();
    const groups = opts.groups ?? 1;
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new Error(`ConvTranspose2d: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${groups})`);
    }
    this.kernelSize = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : [kernelSize[0], kernelSize[1]];
    const t = { dtype: opts.dtype, backend: opts.backend };
    this.weight = this.param('weight', zeros([inChannels, outChannels / groups, ...this.kernelSize], t));
    this.bias = this.param('bias', opts.bias === false ? null : zeros([outChannels], t));
    defaultLayerInit(this.weight, this.bias, opts);
  }

  forward(x: Tensor): Tensor {
    const { stride, padding, outputPadding, dilation, groups } = this.opts;
    return convTranspose2d(x, this.weight, this.bias, { stride, padding, outputPadding, dilation, groups });
  }

  override extraRepr(): string {
    const { stride = 1, padding = 0, outputPadding = 0, dilation = 1, groups = 1 } = this.opts;
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=${tuple(stride)}`;
    if (padding !== 0) s += `, padding=${tuple(padding)}`;
    if (outputPadding !== 0) s += `, output_padding=${tuple(outputPadding)}`;
    if (dilation !== 1) s += `, dilation=${tuple(dilation)}`;
    if (groups !== 1) s += `, groups=${groups}`;
    if (!this.bias) s += ', bias=False';
    return s;
  }
}
