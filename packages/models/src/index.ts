/**
 * @dynconv/models: torchvision-exact ResNet18/50, MobileNetV2, MobileNetV3-Small and
 * ShuffleNetV2, the DyNet paper's dynamic variants of each, and a FLOPs/parameter profiler.
 * @packageDocumentation
 */
export { convNormActivation, makeDivisible, type ActivationFactory, type ConvNormActivationOptions, type DyModelOptions, type ModelOptions } from './common.js';
export { BasicBlock, Bottleneck, ResNet, resnet18, resnet50, type ResNetBlockKind, type ResNetConfig } from './resnet.js';
export { InvertedResidual, MOBILENET_V2_SETTING, MobileNetV2, mobilenetV2, type InvertedResidualFactory, type InvertedResidualSetting, type MobileNetV2Blocks } from './mobilenet-v2.js';
export { InvertedResidualV3, MobileNetV3, mobilenetV3Small, mobilenetV3SmallSetting, type BneckConfig } from './mobilenet-v3.js';
export { SHUFFLENET_V2_WIDTHS, ShuffleNetV2, shufflenetV2, ShuffleUnit, type ShuffleNetV2Options } from './shufflenet-v2.js';
export { DyConvNormActivation, type DyConvNormActivationOptions } from './dy/dy-conv-norm.js';
export { DyChain, type ChainLayer } from './dy/dy-chain.js';
export { DyBasicBlock, DyBottleneck, dyResnet18, dyResnet50, type DyResNetOptions } from './dy/dy-resnet.js';
export { DyInvertedResidual, DyMobile, dyMobile, type DyMobileOptions } from './dy/dy-mobile.js';
export { DyInvertedResidualV3, dyMobilenetV3Small } from './dy/dy-mobilenet-v3.js';
export { DyShuffleUnit, dyShufflenetV2, type DyShuffleNetV2Options } from './dy/dy-shufflenet-v2.js';
export { torchvisionInit, withInit, type TorchvisionInitScheme } from './init.js';
export { fuseForInference, fusionGroups } from './fuse.js';
export { profile, type LayerProfile, type MacBreakdown, type ModelProfile } from './profile.js';
export { createModel, MODELS, STATIC_DY_PAIRS, type ModelName } from './zoo.js';
export { PAPER_TABLE, paperRow, paperSpeedup, TORCHVISION, type PaperRow, type TorchvisionFigures } from './paper-table.js';
