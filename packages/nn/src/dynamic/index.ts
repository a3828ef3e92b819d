/** DyNet's dynamic convolution: the layer, its coefficient predictor, both fusion paths and their costs. */
export { DynamicConv2d, type DynamicConv2dOptions, type DynamicPredictorKind, type FusionMode } from './dynamic-conv.js';
export { CoefficientPredictor, splitCoefficients, totalCoefficients, type CoefficientPredictorOptions, type CoefficientConsumer } from './predictor.js';
export { outputFusionConv2d, kernelFusionConv2d, fuseKernels, type KernelFusionVariant } from './fusion.js';
export { fusionSignature, wallClockTimer, type AutoFusionChoice, type FusionPath, type FusionTimer } from './auto-fusion.js';
export { dynamicConvCost, predictorCost, type DynamicConvCost, type PathCost } from './cost.js';
