/**
 * Multiply-add counts of a dynamic convolution's two paths, for a given input shape: what the
 * paper's FLOPs comparisons count, so the saving of kernel fusion can be read off directly.
 */
import type { DynamicConv2d } from './dynamic-conv.js';
import type { CoefficientPredictor } from './predictor.js';

/** Multiply-adds of one path, by part. */
export interface PathCost {
  /** The convolution: output fusion convolves with all outC * g kernels, kernel fusion with outC. */
  conv: number;
  /** Output fusion: scaling and summing the outputs; kernel fusion: mixing the kernels. */
  fusion: number;
  /** The layer's own predictor (0 with an external one; count that with {@link predictorCost}). */
  predictor: number;
  /** conv + fusion + predictor. */
  total: number;
}

/** {@link dynamicConvCost}'s answer. */
export interface DynamicConvCost {
  /** The layer's output shape [N, outChannels, Ho, Wo]. */
  outputShape: [number, number, number, number];
  /** Multiply-adds of output fusion. */
  output: PathCost;
  /** Multiply-adds of kernel fusion. */
  kernel: PathCost;
}

/**
 * Multiply-adds of a {@link CoefficientPredictor} on an input [N, C, H, W]: the global average
 * pooling (one accumulation per input element, N*C*H*W) plus its FC layers
 * (N*C*outputs, or N*(C*hidden + hidden*outputs)). The sigmoid, ReLU, biases and the
 * N*C divisions of the mean are not multiply-adds and are left out.
 */
export function predictorCost(predictor: CoefficientPredictor, inputShape: readonly number[]): number {
  const [N, C, H, W] = inputShape as [number, number, number, number];
  const fc = predictor.hidden === null ? C * predictor.outputs : C * predictor.hidden + predictor.hidden * predictor.outputs;
  return N * C * H * W + N * fc;
}

/**
 * Multiply-adds of each path of `layer` for an input of shape [N, C, H, W]. With
 * K = C/groups * kh * kw (one kernel's size), g the group size and Ho x Wo the output size:
 *
 * | part | output fusion | kernel fusion |
 * |---|---|---|
 * | conv | N * outC * g * Ho * Wo * K | N * outC * Ho * Wo * K |
 * | fusion | N * outC * g * Ho * Wo (scale and accumulate each conv output) | N * outC * g * K (mix the kernels) |
 * | predictor | {@link predictorCost} (own predictor only) | the same |
 *
 * The bias (identical on both paths, additions only) is not counted. At N = 1 the kernel
 * path's convolution is exactly 1/g of the output path's.
 *
 * With fixed coefficients (`predictor: 'fixed'`) forward() sums each channel's g kernels once
 * for the whole batch, so the kernel path's fusion is `outC * g * K` whatever N (and a deployed
 * model would sum them once, after training, like folding a BatchNorm into its conv).
 */
export function dynamicConvCost(layer: DynamicConv2d, inputShape: readonly number[]): DynamicConvCost {
  const outputShape = layer.outputShape(inputShape);
  const [N, outC, Ho, Wo] = outputShape;
  const g = layer.groupSize;
  const K = (layer.inChannels / layer.groups) * layer.kernelSize[0] * layer.kernelSize[1];
  const predictor = layer.predictor ? predictorCost(layer.predictor, inputShape) : 0;
  const path = (conv: number, fusion: number): PathCost => ({ conv, fusion, predictor, total: conv + fusion + predictor });
  return {
    outputShape,
    output: path(N * outC * g * Ho * Wo * K, N * outC * g * Ho * Wo),
    kernel: path(N * outC * Ho * Wo * K, (layer.predictorKind === 'fixed' ? 1 : N) * outC * g * K),
  };
}
