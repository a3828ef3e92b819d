import { adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, type AvgPool2dOptions, interpolate, type InterpolateOptions, maxPool2d, type MaxPool2dOptions, type Pair, type Tensor } from '@dynconv/core';
import { Module } from '../module.js';
import { py, sizeRepr } from './options.js';

/** Max pooling over [N, C, H, W] windows (`torch.nn.MaxPool2d`, without returnIndices). */
export class MaxPool2d extends Module {
  constructor(
    /** Window height and width (one number for both). */
    readonly kernelSize: Pair,
    /** Stride (default: the kernel size), padding, dilation and ceil mode. */
    readonly opts: MaxPool2dOptions = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.opts);
  }

  override extraRepr(): string {
    const { stride = this.kernelSize, padding = 0, dilation = 1, ceilMode = false } = this.opts;
    return `kernel_size=${sizeRepr(this.kernelSize)}, stride=${sizeRepr(stride)}, padding=${sizeRepr(padding)}, dilation=${sizeRepr(dilation)}, ceil_mode=${py(ceilMode)}`;
  }
}

/** Average pooling over [N, C, H, W] windows (`torch.nn.AvgPool2d`). */
export class AvgPool2d extends Module {
  constructor(
    /** Window height and width (one number for both). */
    readonly kernelSize: Pair,
    /** Stride (default: the kernel size), padding, ceil mode and divisor rules. */
    readonly opts: AvgPool2dOptions = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.opts);
  }

  override extraRepr(): string {
    const { stride = this.kernelSize, padding = 0 } = this.opts;
    return `kernel_size=${sizeRepr(this.kernelSize)}, stride=${sizeRepr(stride)}, padding=${sizeRepr(padding)}`;
  }
}

/** Average pooling to a fixed output size; 1 is global average pooling. */
export class AdaptiveAvgPool2d extends Module {
  constructor(
    /** Output height and width: one number for both, or [h, w] (null keeps the input's size). */
    readonly outputSize: number | readonly (number | null)[],
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${typeof this.outputSize === 'number' ? this.outputSize : `(${this.outputSize.join(', ')})`}`;
  }
}

/** Max pooling to a fixed output size (`torch.nn.AdaptiveMaxPool2d`, without returnIndices). */
export class AdaptiveMaxPool2d extends Module {
  constructor(
    /** Output height and width: one number for both, or [h, w] (null keeps the input's size). */
    readonly outputSize: number | readonly (number | null)[],
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return adaptiveMaxPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${typeof this.outputSize === 'number' ? this.outputSize : `(${this.outputSize.join(', ')})`}`;
  }
}

/** Resizing by {@link interpolate}: nearest or bilinear, to a size or by a factor (`torch.nn.Upsample`). */
export class Upsample extends Module {
  constructor(
    /** Target size or scale factor, and the mode. */
    readonly opts: InterpolateOptions,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return interpolate(x, this.opts);
  }

  override extraRepr(): string {
    const { size, scaleFactor, mode = 'nearest' } = this.opts;
    return `${size !== undefined ? `size=${JSON.stringify(size)}` : `scale_factor=${JSON.stringify(scaleFactor)}`}, mode='${mode}'`;
  }
}
