/**
 * torchvision's weight initialisation, per model family. The layers start from PyTorch's
 * defaults (kaiming-uniform, a = sqrt(5)); torchvision's builders then re-initialise, and a
 * model trained from scratch should start where torchvision's would.
 */
import type { Generator } from '@dynconv/core';
import { BatchNorm2d, Conv2d, init, Linear, type Module } from '@dynconv/nn';

/** Which torchvision rule to follow: its ResNet, its MobileNets, or none (ShuffleNetV2 keeps PyTorch's defaults). */
export type TorchvisionInitScheme = 'resnet' | 'mobilenet' | 'none';

/**
 * Re-initialises `model` in place as torchvision does for its family:
 * - every Conv2d: kaiming-normal, fan-out, ReLU gain (std = sqrt(2 / (C_out * kh * kw))); bias 0;
 * - every BatchNorm2d: weight 1, bias 0;
 * - `mobilenet` also: every Linear N(0, 0.01), bias 0 (`resnet` keeps the Linear default).
 *
 * DynamicConv2d weight banks and coefficient predictors are not touched: torchvision has no
 * such layers, and they keep the nn package's defaults (docs/models.md).
 */
export function torchvisionInit<M extends Module>(model: M, scheme: TorchvisionInitScheme, generator?: Generator): M {
  if (scheme === 'none') return model;
  for (const m of model.modules()) {
    if (m instanceof Conv2d) {
      init.kaimingNormal(m.weight, { mode: 'fanOut', nonlinearity: 'relu', generator });
      if (m.bias) init.zeros(m.bias);
    } else if (m instanceof BatchNorm2d) {
      if (m.weight) init.ones(m.weight);
      if (m.bias) init.zeros(m.bias);
    } else if (m instanceof Linear && scheme === 'mobilenet') {
      init.normal(m.weight, 0, 0.01, { generator });
      if (m.bias) init.zeros(m.bias);
    }
  }
  return model;
}

/** `torchvisionInit` unless the builder's options ask for PyTorch's layer defaults. */
export function withInit<M extends Module>(model: M, scheme: TorchvisionInitScheme, opts: { init?: 'torchvision' | 'pytorch'; generator?: Generator }): M {
  const choice = opts.init ?? 'torchvision';
  if (choice !== 'torchvision' && choice !== 'pytorch') throw new Error(`models: init must be 'torchvision' or 'pytorch', got ${JSON.stringify(choice)}`);
  return choice === 'torchvision' ? torchvisionInit(model, scheme, opts.generator) : model;
}
