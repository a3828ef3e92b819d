/**
 * dynconv's side of every generated op case: op name -> the call, with the case's options
 * (the generator writes them under dynconv's names). PyTorch's side is in test/torch/gen_*.py.
 */
import * as dc from '@dynconv/core';
import type { Tensor } from '@dynconv/core';
import * as nn from '@dynconv/nn';
import type { OpFn, OpInput } from './op-runner.js';

type Inputs = Record<string, OpInput>;
const T = (i: Inputs, name: string): Tensor => i[name] as Tensor;
const opt = (i: Inputs, name: string): Tensor | null => (i[name] ?? null) as Tensor | null;
const valuesIndices = (r: dc.ValuesIndices): Tensor[] => [r.values, r.indices];
const unary = (f: (x: Tensor) => Tensor): OpFn => (i) => f(T(i, 'x'));

export const ELEMENTWISE: Record<string, OpFn> = {
  neg: unary(dc.neg), exp: unary(dc.exp), log: unary(dc.log), sqrt: unary(dc.sqrt), rsqrt: unary(dc.rsqrt),
  abs: unary(dc.abs), sin: unary(dc.sin), cos: unary(dc.cos), tanh: unary(dc.tanh), sigmoid: unary(dc.sigmoid),
  relu: unary(dc.relu), sign: unary(dc.sign), erf: unary(dc.erf), log1p: unary(dc.log1p), expm1: unary(dc.expm1),
  reciprocal: unary(dc.reciprocal), floor: unary(dc.floor), ceil: unary(dc.ceil), round: unary(dc.round),

  leakyRelu: (i, k) => dc.leakyRelu(T(i, 'x'), k.negativeSlope),
  elu: (i, k) => dc.elu(T(i, 'x'), k.alpha),
  gelu: (i, k) => dc.gelu(T(i, 'x'), k.approximate),
  softplus: (i, k) => dc.softplus(T(i, 'x'), k.beta, k.threshold),
  clamp: (i, k) => dc.clamp(T(i, 'x'), k.min, k.max),
  clampMin: (i, k) => dc.clamp(T(i, 'x'), k.min),
  hardtanh: (i, k) => dc.hardtanh(T(i, 'x'), k.min, k.max),
  relu6: unary(dc.relu6), hardsigmoid: unary(dc.hardsigmoid), hardswish: unary(dc.hardswish), silu: unary(dc.silu),
  softmax: (i, k) => dc.softmax(T(i, 'x'), k.dim),
  logSoftmax: (i, k) => dc.logSoftmax(T(i, 'x'), k.dim),

  add: (i, k) => dc.add(T(i, 'a'), T(i, 'b'), k.alpha),
  sub: (i, k) => dc.sub(T(i, 'a'), T(i, 'b'), k.alpha),
  mul: (i) => dc.mul(T(i, 'a'), T(i, 'b')),
  div: (i) => dc.div(T(i, 'a'), T(i, 'b')),
  pow: (i) => dc.pow(T(i, 'a'), T(i, 'b')),
  maximum: (i) => dc.maximum(T(i, 'a'), T(i, 'b')),
  minimum: (i) => dc.minimum(T(i, 'a'), T(i, 'b')),
  mulScalar: (i, k) => dc.mul(T(i, 'a'), k.b),
  powScalar: (i, k) => dc.pow(T(i, 'a'), k.b),
  maximumScalar: (i, k) => dc.maximum(T(i, 'a'), k.b),
  where: (i) => dc.where(T(i, 'condition'), T(i, 'a'), T(i, 'b')),

  matmul: (i) => dc.matmul(T(i, 'a'), T(i, 'b')),
  linear: (i) => dc.linear(T(i, 'x'), T(i, 'weight'), opt(i, 'bias')),
  mm: (i) => dc.mm(T(i, 'a'), T(i, 'b')),
  bmm: (i) => dc.bmm(T(i, 'a'), T(i, 'b')),

  pad: (i, k) => dc.pad(T(i, 'x'), k.pad, k.value),
  'pad-reflect': (i, k) => dc.pad(T(i, 'x'), k.pad, k.mode),
  'pad-replicate': (i, k) => dc.pad(T(i, 'x'), k.pad, k.mode),
  'pad-circular': (i, k) => dc.pad(T(i, 'x'), k.pad, k.mode),
  'pad-unknown': (i, k) => dc.pad(T(i, 'x'), k.pad, k.mode),
  cat: (i, k) => dc.cat([T(i, 't0'), T(i, 't1'), T(i, 't2')], k.dim),
  stack: (i, k) => dc.stack([T(i, 't0'), T(i, 't0').mul(2)], k.dim),
  gather: (i, k) => dc.gather(T(i, 'x'), k.dim, T(i, 'index')),
  indexSelect: (i, k) => dc.indexSelect(T(i, 'x'), k.dim, T(i, 'index')),
  scatterAdd: (i, k) => dc.scatterAdd(T(i, 'base'), k.dim, T(i, 'index'), T(i, 'src')),

  permute: (i, k) => dc.permute(T(i, 'x'), k.dims),
  transpose: (i, k) => dc.transpose(T(i, 'x'), k.dim0, k.dim1),
  reshape: (i, k) => dc.reshape(T(i, 'x'), k.shape),
  flatten: (i, k) => dc.flatten(T(i, 'x'), k.startDim, k.endDim),
  narrow: (i, k) => dc.narrow(T(i, 'x'), k.dim, k.start, k.length),
  slice: (i, k) => dc.slice(T(i, 'x'), k.dim, k.start, k.end, k.step),
  select: (i, k) => dc.select(T(i, 'x'), k.dim, k.index),
  squeeze: (i, k) => dc.squeeze(T(i, 'x'), k.dim),
  unsqueeze: (i, k) => dc.unsqueeze(T(i, 'x'), k.dim),
  expand: (i, k) => dc.expand(T(i, 'x'), k.shape),
  broadcastTo: (i, k) => dc.broadcastTo(T(i, 'x'), k.shape),
  t: (i) => dc.t(T(i, 'x')),
  split: (i, k) => dc.split(T(i, 'x'), k.splitSize, k.dim),
  chunk: (i, k) => dc.chunk(T(i, 'x'), k.chunks, k.dim),
  eq: (i) => dc.eq(T(i, 'a'), T(i, 'b')),
  ne: (i) => dc.ne(T(i, 'a'), T(i, 'b')),
  gt: (i) => dc.gt(T(i, 'a'), T(i, 'b')),
  ge: (i) => dc.ge(T(i, 'a'), T(i, 'b')),
  lt: (i) => dc.lt(T(i, 'a'), T(i, 'b')),
  le: (i) => dc.le(T(i, 'a'), T(i, 'b')),
  arange: (_i, k) => dc.arange(k.start, k.end, k.step, { dtype: 'float64' }),
  linspace: (_i, k) => dc.linspace(k.start, k.end, k.steps, { dtype: 'float64' }),
  eye: (_i, k) => dc.eye(k.n, k.m, { dtype: 'float64' }),
  oneHot: (i, k) => dc.oneHot(T(i, 'index'), k.numClasses),
  cumsum: (i, k) => dc.cumsum(T(i, 'x'), k.dim),
  cumsumInt: (i, k) => dc.cumsum(T(i, 'x'), k.dim),
  sort: (i, k) => valuesIndices(dc.sort(T(i, 'x'), k.dim, { descending: k.descending, stable: k.stable })),
  topk: (i, k) => valuesIndices(dc.topk(T(i, 'x'), k.k, { dim: k.dim, largest: k.largest })),
};

export const CONV: Record<string, OpFn> = {
  conv2d: (i, k) => dc.conv2d(T(i, 'x'), T(i, 'weight'), opt(i, 'bias'), k),
  matmul: (i) => dc.matmul(T(i, 'a'), T(i, 'b')),
  batchNormEval: (i) => dc.batchNorm(T(i, 'x'), T(i, 'runningMean'), T(i, 'runningVar'), T(i, 'weight'), T(i, 'bias'), false),
  relu6: unary(dc.relu6), hardswish: unary(dc.hardswish), hardsigmoid: unary(dc.hardsigmoid), relu: unary(dc.relu),
  maxPool2d: (i) => dc.maxPool2d(T(i, 'x'), 3, { stride: 2, padding: 1 }),
  adaptiveAvgPool2d: (i) => dc.adaptiveAvgPool2d(T(i, 'x'), 1),
  convTranspose2d: (i, k) => dc.convTranspose2d(T(i, 'x'), T(i, 'weight'), opt(i, 'bias'), k),
};

export const REDUCE: Record<string, OpFn> = {
  sum: (i, k) => dc.sum(T(i, 'x'), k.dim, k.keepdim),
  mean: (i, k) => dc.mean(T(i, 'x'), k.dim, k.keepdim),
  amax: (i, k) => dc.amax(T(i, 'x'), k.dim, k.keepdim),
  amin: (i, k) => dc.amin(T(i, 'x'), k.dim, k.keepdim),
  logsumexp: (i, k) => dc.logsumexp(T(i, 'x'), k.dim, k.keepdim),
  var: (i, k) => dc.variance(T(i, 'x'), k.dim, { correction: k.correction, unbiased: k.unbiased, keepdim: k.keepdim }),
  std: (i, k) => dc.std(T(i, 'x'), k.dim, { correction: k.correction, unbiased: k.unbiased, keepdim: k.keepdim }),
  maxDim: (i, k) => valuesIndices(dc.max(T(i, 'x'), k.dim, k.keepdim)),
  minDim: (i, k) => valuesIndices(dc.min(T(i, 'x'), k.dim, k.keepdim)),
  maxAll: (i) => dc.max(T(i, 'x')),
  minAll: (i) => dc.min(T(i, 'x')),
  argmax: (i, k) => dc.argmax(T(i, 'x'), k.dim, k.keepdim),
  argmin: (i, k) => dc.argmin(T(i, 'x'), k.dim, k.keepdim),
};

const poolResult = (r: Tensor | dc.PoolWithIndices): Tensor | Tensor[] => ('values' in r ? [r.values, r.indices] : r);

export const POOL: Record<string, OpFn> = {
  maxPool2d: (i, k) => poolResult(dc.maxPool2d(T(i, 'x'), k.kernelSize, { stride: k.stride ?? undefined, padding: k.padding, dilation: k.dilation, ceilMode: k.ceilMode, returnIndices: k.returnIndices })),
  avgPool2d: (i, k) => dc.avgPool2d(T(i, 'x'), k.kernelSize, { stride: k.stride ?? undefined, padding: k.padding, ceilMode: k.ceilMode, countIncludePad: k.countIncludePad, divisorOverride: k.divisorOverride ?? undefined }),
  adaptiveAvgPool2d: (i, k) => dc.adaptiveAvgPool2d(T(i, 'x'), k.outputSize),
  interpolate: (i, k) => dc.interpolate(T(i, 'x'), k),
  adaptiveMaxPool2d: (i, k) => poolResult(dc.adaptiveMaxPool2d(T(i, 'x'), k.outputSize, { returnIndices: k.returnIndices })),
};

export const NORM: Record<string, OpFn> = {
  batchNorm: (i, k) => {
    const rm = opt(i, 'runningMean');
    const rv = opt(i, 'runningVar');
    const y = dc.batchNorm(T(i, 'x'), rm, rv, opt(i, 'weight'), opt(i, 'bias'), k.training, k.momentum, k.eps);
    return [y, ...[rm, rv].filter((t): t is Tensor => t !== null)];
  },
  BatchNorm2d: (i, k) => {
    const x0 = T(i, 'x0');
    const m = new nn.BatchNorm2d(x0.shape[1]!, { dtype: 'float64', eps: k.eps, momentum: k.momentum, affine: k.affine, trackRunningStats: k.trackRunningStats });
    const { weight, bias } = m;
    if (weight && bias) {
      dc.noGrad(() => {
        weight.copy_(T(i, 'weight'));
        bias.copy_(T(i, 'bias'));
      });
    }
    const ys = [0, 1, 2].map((j) => m.forward(T(i, `x${j}`)));
    m.eval();
    ys.push(m.forward(x0));
    if (m.runningMean && m.runningVar && m.numBatchesTracked) ys.push(m.runningMean, m.runningVar, m.numBatchesTracked);
    return ys;
  },
  instanceNorm: (i, k) => {
    const rm = opt(i, 'runningMean');
    const rv = opt(i, 'runningVar');
    const y = dc.instanceNorm(T(i, 'x'), rm, rv, opt(i, 'weight'), opt(i, 'bias'), k.useInputStats, k.momentum, k.eps);
    return [y, ...[rm, rv].filter((t): t is Tensor => t !== null)];
  },
  layerNorm: (i, k) => dc.layerNorm(T(i, 'x'), k.normalizedShape, opt(i, 'weight'), opt(i, 'bias'), k.eps),
  groupNorm: (i, k) => dc.groupNorm(T(i, 'x'), k.numGroups, opt(i, 'weight'), opt(i, 'bias'), k.eps),
};

const lossOpts = (k: Record<string, any>) => ({ reduction: k.reduction });
const classOpts = (i: Inputs, k: Record<string, any>) => ({ reduction: k.reduction, weight: opt(i, 'weight'), ignoreIndex: k.ignoreIndex, labelSmoothing: k.labelSmoothing });

export const LOSS: Record<string, OpFn> = {
  mseLoss: (i, k) => dc.mseLoss(T(i, 'input'), T(i, 'target'), lossOpts(k)),
  l1Loss: (i, k) => dc.l1Loss(T(i, 'input'), T(i, 'target'), lossOpts(k)),
  smoothL1Loss: (i, k) => dc.smoothL1Loss(T(i, 'input'), T(i, 'target'), { ...lossOpts(k), beta: k.beta }),
  binaryCrossEntropyWithLogits: (i, k) => dc.binaryCrossEntropyWithLogits(T(i, 'logits'), T(i, 'target'), { ...lossOpts(k), weight: opt(i, 'weight'), posWeight: opt(i, 'posWeight') }),
  nllLoss: (i, k) => dc.nllLoss(T(i, 'logProbs'), T(i, 'target'), classOpts(i, k)),
  crossEntropy: (i, k) => dc.crossEntropy(T(i, 'logits'), T(i, 'target'), classOpts(i, k)),
  crossEntropyProbs: (i, k) => dc.crossEntropy(T(i, 'logits'), T(i, 'target'), classOpts(i, k)),
};
