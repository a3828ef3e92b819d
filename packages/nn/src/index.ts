/**
 * @dynconv/nn: modules and layers (DynamicConv2d among them), optimizers, learning-rate
 * schedules and safetensors. File I/O lives in the `@dynconv/nn/node` entry so this one stays
 * browser-safe.
 * @packageDocumentation
 * @module @dynconv/nn
 */
export { Module, type LoadOptions, type LoadResult, type StateDict } from './module.js';
export * as init from './init.js';
export type { LayerOptions } from './layers/options.js';
export { Linear } from './layers/linear.js';
export { Conv2d, ConvTranspose2d, type Conv2dLayerOptions, type ConvTranspose2dLayerOptions } from './layers/conv.js';
export { BatchNorm, BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm, type BatchNormOptions, type GroupNormOptions } from './layers/normalization.js';
export { ReLU, ReLU6, Hardswish, Hardsigmoid, Sigmoid, SiLU, Tanh, GELU, ELU, LeakyReLU, Softplus, Softmax, LogSoftmax } from './layers/activation.js';
export { MSELoss, L1Loss, SmoothL1Loss, BCEWithLogitsLoss, NLLLoss, CrossEntropyLoss } from './layers/loss.js';
export { Dropout } from './layers/dropout.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, Upsample } from './layers/pooling.js';
export { Flatten, Identity } from './layers/shape.js';
export { ChannelShuffle, channelShuffle } from './layers/channel-shuffle.js';
export { Sequential, ModuleList } from './layers/containers.js';
export { SqueezeExcitation } from './layers/squeeze-excitation.js';
export { fuseConvBn, fuseModules } from './fuse-modules.js';
export * from './optim/index.js';
export * from './dynamic/index.js';
export { encodeSafetensors, decodeSafetensors, type DecodedSafetensors } from './serialization/safetensors.js';
export { encodeCheckpoint, decodeCheckpoint, type Checkpoint, type CheckpointState, type RestoreTarget } from './checkpoint/checkpoint.js';
