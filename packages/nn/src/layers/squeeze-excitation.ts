import { adaptiveAvgPool2d, type Tensor } from '@dynconv/core';
import { Module } from '../module.js';
import { Hardsigmoid, ReLU } from './activation.js';
import { Conv2d } from './conv.js';
import type { LayerOptions } from './options.js';

/** A module from one tensor to one tensor (the block's activations). */
type Activation = Module<[Tensor], Tensor>;

/**
 * Squeeze-and-excitation as in MobileNetV3 (torchvision's `SqueezeExcitation`): global average
 * pooling, a 1x1 conv to `squeezeChannels`, an activation, a 1x1 conv back, a gate
 * (hardsigmoid by default), and the input scaled channel-wise by the gate.
 */
export class SqueezeExcitation extends Module {
  /** 1x1 conv from the input channels to the squeeze channels. */
  readonly fc1: Conv2d;
  /** 1x1 conv back to the input channels. */
  readonly fc2: Conv2d;
  /** Activation after `fc1` (ReLU by default). */
  readonly activation: Activation;
  /** The gate after `fc2` (Hardsigmoid by default). */
  readonly scaleActivation: Activation;

  constructor(inputChannels: number, squeezeChannels: number, opts: LayerOptions & { activation?: Activation; scaleActivation?: Activation } = {}) {
    super();
    const layer: LayerOptions = { dtype: opts.dtype, generator: opts.generator, backend: opts.backend };
    this.fc1 = this.module('fc1', new Conv2d(inputChannels, squeezeChannels, 1, layer));
    this.fc2 = this.module('fc2', new Conv2d(squeezeChannels, inputChannels, 1, layer));
    this.activation = this.module('activation', opts.activation ?? new ReLU());
    this.scaleActivation = this.module('scale_activation', opts.scaleActivation ?? new Hardsigmoid());
  }

  forward(x: Tensor): Tensor {
    const s = adaptiveAvgPool2d(x, 1);
    const scale = this.scaleActivation.forward(this.fc2.forward(this.activation.forward(this.fc1.forward(s))));
    return x.mul(scale);
  }
}
