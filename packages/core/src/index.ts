/**
 * @dynconv/core: tensors, reverse-mode autograd, the kernel registry and the CPU backend.
 * @packageDocumentation
 */
export { Tensor, type BackwardOptions, type NestedArray, type TensorHook } from './tensor.js';
export type { DType, TypedArray } from './dtype.js';
export { isFloating, promoteTypes } from './dtype.js';
export type { Backend, Conv2dParams, Storage, TensorInfo, KernelName, KernelSignatures, KernelTable, FusedKernelName, FusedKernelSignatures, AllKernelSignatures, AdamScalars, SgdScalars, UnaryKernelName, BinaryKernelName, ReduceKernelName, ArgReduceKernelName } from './backend/backend.js';
export { defineBackend, defineBackendFactory, getBackend, getBackendName, hasBackend, hasKernel, KERNEL_NAMES, runKernel, setBackend, type BackendFactory, type BackendOptions } from './backend/registry.js';
export { CORE_VERSION } from './version.js';
export { loadedCopies, notATensorError, type CoreCopy } from './copies.js';
export { tidy, keep, dispose, memory, pinMemory, tidyDepth, type MemoryInfo, type TensorContainer } from './memory.js';
export { createCpuBackend, type CpuBackendOptions } from './cpu/index.js';
export { getNumThreads, setNumThreads, threadsSupported } from './cpu/gemm/threads.js';
export { createReferenceBackend } from './reference/index.js';
// The built-in backends register themselves ('cpu', 'reference'), each created on first use.
import './cpu/register.js';
import './reference/register.js';
export { Generator, defaultGenerator, manualSeed, permutation } from './random.js';
export { broadcastShapes, contiguousStrides, fmt as formatShape, isContiguous, shapesEqual, sizeOf } from './shape.js';

export { grad, type GradOptions } from './autograd/grad.js';
export { enableGrad, isGradEnabled, noGrad } from './autograd/grad-mode.js';
export { detectAnomaly, isAnomalyEnabled, setDetectAnomaly } from './autograd/anomaly.js';
export { Node, type BackwardFn } from './autograd/node.js';
export { record } from './autograd/record.js';
export { gradcheck, gradgradcheck, type GradcheckOptions } from './gradcheck.js';

export * from './ops/creation.js';
export { cast, toBackend } from './ops/cast.js';
export * from './ops/unary.js';
export { add, sub, mul, div, pow, maximum, minimum, eq, ne, gt, ge, lt, le, where, type Operand } from './ops/binary.js';
export * from './ops/activation.js';
export { sum, mean, variance, variance as var_, std, amax, amin, max, min, argmax, argmin, logsumexp, type VarOptions, type ValuesIndices } from './ops/reduce.js';
export { reshape, view, permute, transpose, t, expand, broadcastTo, narrow, slice, select, squeeze, unsqueeze, flatten, contiguous, clone, sumToShape } from './ops/views.js';
export { matmul, mm, bmm, linear } from './ops/matmul.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { cat, stack, split, chunk, pad, type PadMode } from './ops/join.js';
export { copyInto } from './ops/inplace.js';
export { computeConv2dInfo, conv2d, convTranspose2d, type Conv2dInfo, type Conv2dOptions, type ConvTranspose2dOptions, type Pair } from './ops/conv.js';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d, adaptiveMaxPool2d, type MaxPool2dOptions, type AvgPool2dOptions, type PoolWithIndices } from './ops/pool.js';
export { gather, scatterAdd, indexSelect, oneHot } from './ops/indexing.js';
export { cumsum } from './ops/cumsum.js';
export { interpolate, type InterpolateOptions } from './ops/interpolate.js';
export { sort, topk, type SortOptions, type TopkOptions } from './ops/sort.js';
export { dropout } from './ops/dropout.js';
export { batchNorm, channelAffine, layerNorm, groupNorm, instanceNorm, type ChannelActivation } from './ops/normalization.js';
export { adamStep_, sgdStep_ } from './ops/optim.js';
export { crossEntropy, nllLoss, mseLoss, l1Loss, smoothL1Loss, binaryCrossEntropyWithLogits, type Reduction, type LossOptions, type SmoothL1LossOptions, type BCEWithLogitsOptions, type NLLLossOptions, type CrossEntropyOptions } from './ops/loss.js';
