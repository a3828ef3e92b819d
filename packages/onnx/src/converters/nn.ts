/** Converters of @dynconv/nn's layers, containers and activations (eval mode). */
import {
  AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, type BatchNorm, ChannelShuffle, Conv2d, Dropout, ELU, Flatten, GELU, Hardsigmoid, Hardswish, Identity,
  LeakyReLU, Linear, LogSoftmax, MaxPool2d, ReLU, ReLU6, Sequential, Sigmoid, SiLU, Softmax, SqueezeExcitation, Tanh,
} from '@dynconv/nn';
import { type ConvertContext, converter, type ConverterEntry } from '../converter.js';
import type { OnnxGraph, OnnxValue } from '../graph.js';

/** BatchNormalization with the running statistics (an eval BatchNorm). */
export function batchNormNode(g: OnnxGraph, bn: BatchNorm, x: OnnxValue): OnnxValue {
  if (!bn.runningMean || !bn.runningVar) throw new Error(`${g.scope}: a BatchNorm without running statistics normalises with batch statistics even in eval mode, which ONNX's BatchNormalization does not export`);
  const C = bn.numFeatures;
  const scale = bn.weight ? g.weight(bn.weight) : g.constant(new Float32Array(C).fill(1), [C], `${g.scope}.weight`);
  const shift = bn.bias ? g.weight(bn.bias) : g.constant(new Float32Array(C), [C], `${g.scope}.bias`);
  return g.node('BatchNormalization', [x, scale, shift, g.weight(bn.runningMean), g.weight(bn.runningVar)], { epsilon: { f: bn.eps } }, x.shape);
}

/** ShuffleNet's channel shuffle: [N, g, C/g, H, W], swap dims 1 and 2, back to [N, C, H, W]. */
export function channelShuffleNodes(g: OnnxGraph, x: OnnxValue, groups: number): OnnxValue {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  if (groups === 1 || groups === C) return x; // the identity, as in nn's channelShuffle
  const split = g.reshape(x, [N, groups, C / groups, H, W]);
  return g.reshape(g.transpose(split, [0, 2, 1, 3, 4]), [N, C, H, W]);
}

/** x * sigmoid(x). */
function silu(g: OnnxGraph, x: OnnxValue): OnnxValue {
  return g.mul(x, g.sigmoid(x));
}

function gelu(g: OnnxGraph, x: OnnxValue, approximate: 'none' | 'tanh'): OnnxValue {
  const c = (v: number, what: string) => g.constant([v], [], `${g.scope}.${what}`);
  if (approximate === 'tanh') {
    // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
    const cube = g.mul(g.mul(x, x), x);
    const inner = g.mul(g.add(x, g.mul(cube, c(0.044715, 'k'))), c(Math.sqrt(2 / Math.PI), 'sqrt_2_over_pi'));
    return g.mul(g.mul(x, g.add(g.unary('Tanh', inner), c(1, 'one'))), c(0.5, 'half'));
  }
  // 0.5 x (1 + erf(x / sqrt(2)))
  const erf = g.unary('Erf', g.mul(x, c(Math.SQRT1_2, 'sqrt1_2')));
  return g.mul(g.mul(x, g.add(erf, c(1, 'one'))), c(0.5, 'half'));
}

/** [N, ...] flattened from `start` to `end` (Flatten(1, -1) is ONNX's Flatten with axis 1). */
function flattenDims(g: OnnxGraph, x: OnnxValue, start: number, end: number): OnnxValue {
  const r = x.shape.length;
  const s = start < 0 ? start + r : start;
  const e = end < 0 ? end + r : end;
  if (s === 1 && e === r - 1) return g.flatten(x, 1);
  const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return g.reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/** Converters of every nn layer a model of @dynconv/models (or the trainer's Dy-CNN) uses, and the common others. */
export const NN_CONVERTERS: readonly ConverterEntry[] = [
  converter(Sequential, (cx, m, x) => {
    let h = x!;
    for (const layer of m) h = cx.call(layer, h);
    return h;
  }),
  converter(Conv2d, ({ graph: g }, m, x) => {
    const { stride, padding, dilation, groups, activation } = m.opts;
    const y = g.conv(x!, g.weight(m.weight), m.bias ? g.weight(m.bias) : null, { stride, padding, dilation, groups });
    if (activation === 'relu') return g.relu(y);
    if (activation === 'relu6') return g.clip(y, 0, 6);
    return y;
  }),
  converter(BatchNorm2d, ({ graph: g }, m, x) => batchNormNode(g, m, x!)),
  converter(BatchNorm1d, ({ graph: g }, m, x) => batchNormNode(g, m, x!)),
  converter(Linear, ({ graph: g }, m, x) => {
    const w = g.weight(m.weight);
    const b = m.bias ? g.weight(m.bias) : null;
    if (x!.shape.length === 2) return g.gemm(x!, w, b);
    const y = g.matmul(x!, g.transpose(w, [1, 0]));
    return b ? g.add(y, b) : y;
  }),
  converter(ReLU, ({ graph: g }, _m, x) => g.relu(x!)),
  converter(ReLU6, ({ graph: g }, _m, x) => g.clip(x!, 0, 6)),
  converter(Hardswish, ({ graph: g }, _m, x) => g.unary('HardSwish', x!)),
  converter(Hardsigmoid, ({ graph: g }, _m, x) => g.unary('HardSigmoid', x!, { alpha: { f: 1 / 6 }, beta: { f: 0.5 } })),
  converter(Sigmoid, ({ graph: g }, _m, x) => g.sigmoid(x!)),
  converter(SiLU, ({ graph: g }, _m, x) => silu(g, x!)),
  converter(Tanh, ({ graph: g }, _m, x) => g.unary('Tanh', x!)),
  converter(GELU, ({ graph: g }, m, x) => gelu(g, x!, m.opts.approximate ?? 'none')),
  converter(ELU, ({ graph: g }, m, x) => g.unary('Elu', x!, { alpha: { f: m.opts.alpha ?? 1 } })),
  converter(LeakyReLU, ({ graph: g }, m, x) => g.unary('LeakyRelu', x!, { alpha: { f: m.opts.negativeSlope ?? 0.01 } })),
  converter(Softmax, ({ graph: g }, m, x) => g.unary('Softmax', x!, { axis: { i: m.dim } })),
  converter(LogSoftmax, ({ graph: g }, m, x) => g.unary('LogSoftmax', x!, { axis: { i: m.dim } })),
  // Eval-mode dropout is the identity.
  converter(Dropout, (_cx, _m, x) => x!),
  converter(Identity, (_cx, _m, x) => x!),
  converter(Flatten, ({ graph: g }, m, x) => flattenDims(g, x!, m.startDim, m.endDim)),
  converter(AdaptiveAvgPool2d, ({ graph: g }, m, x) => adaptivePool(g, 'avg', m.outputSize, x!)),
  converter(AdaptiveMaxPool2d, ({ graph: g }, m, x) => adaptivePool(g, 'max', m.outputSize, x!)),
  converter(MaxPool2d, ({ graph: g }, m, x) => g.pool('MaxPool', x!, m.kernelSize, m.opts)),
  converter(AvgPool2d, ({ graph: g }, m, x) => {
    if (m.opts.divisorOverride !== undefined) throw new Error(`${g.scope}: AvgPool2d's divisorOverride has no ONNX AveragePool equivalent`);
    return g.pool('AveragePool', x!, m.kernelSize, m.opts);
  }),
  converter(ChannelShuffle, ({ graph: g }, m, x) => channelShuffleNodes(g, x!, m.groups)),
  converter(SqueezeExcitation, (cx: ConvertContext, m, x) => {
    const s = cx.graph.globalAveragePool(x!);
    const scale = cx.call(m.scaleActivation, cx.call(m.fc2, cx.call(m.activation, cx.call(m.fc1, s))));
    return cx.graph.mul(x!, scale);
  }),
];

/** Adaptive pooling: global when the output is 1x1, else a fixed window where the size divides evenly. */
function adaptivePool(g: OnnxGraph, kind: 'avg' | 'max', outputSize: number | readonly (number | null)[], x: OnnxValue): OnnxValue {
  const [, , H, W] = x.shape as [number, number, number, number];
  const [oh, ow] = typeof outputSize === 'number' ? [outputSize, outputSize] : [outputSize[0] ?? H, outputSize[1] ?? W];
  if (oh === 1 && ow === 1) return kind === 'avg' ? g.globalAveragePool(x) : g.node('GlobalMaxPool', [x], {}, [x.shape[0]!, x.shape[1]!, 1, 1]);
  if (H % oh !== 0 || W % ow !== 0) throw new Error(`${g.scope}: adaptive pooling from ${H}x${W} to ${oh}x${ow} has uneven windows, which no ONNX pooling operator computes`);
  const kernel: [number, number] = [H / oh, W / ow];
  return g.pool(kind === 'avg' ? 'AveragePool' : 'MaxPool', x, kernel, { stride: kernel });
}
