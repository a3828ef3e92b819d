/**
 * DyNet's dynamic convolution as ONNX graphs, and its coefficient predictor.
 *
 * Kernel fusion (`dynamic: 'kernel'`), the paper's inference path and dynconv's eval one:
 *
 *   eta [N, outC*g] -> Reshape [N, outC, 1, g] -> MatMul with the bank [outC, g, Cg*kh*kw]
 *     -> [N, outC, 1, Cg*kh*kw] -> Reshape [N, outC, Cg, kh, kw]   (each image's kernels)
 *   dynamic batch: Scan over (x[n], kernels[n]): Unsqueeze, Conv with the image's kernels, Squeeze
 *   fixed batch:   x as [1, N*C, H, W], kernels as [N*outC, Cg, kh, kw], one Conv with
 *                  group = N * groups (the batch folded into the groups: fixes N)
 *
 * Output fusion (`dynamic: 'output'`), the paper's training path:
 *
 *   Conv(x, bank [outC*g, Cg, kh, kw]) -> [N, outC*g, Ho, Wo] -> Reshape [N, outC, g, Ho*Wo]
 *   eta -> Reshape [N, outC, 1, g]; MatMul -> [N, outC, 1, Ho*Wo] -> Reshape [N, outC, Ho, Wo]
 *
 * Both then add the bias, if any. The same operations, in the same layout, as nn's
 * kernelFusionConv2d and outputFusionConv2d.
 */
import { CoefficientPredictor, DynamicConv2d } from '@dynconv/nn';
import { type ConvertContext, converter, type ConverterEntry } from '../converter.js';
import type { OnnxGraph, OnnxValue } from '../graph.js';

/** The coefficients [N, outputs]: global average pooling, one or two Gemm layers, Sigmoid. */
function predictorNodes(cx: ConvertContext, p: CoefficientPredictor, x: OnnxValue): OnnxValue {
  const g = cx.graph;
  const pooled = g.flatten(g.globalAveragePool(x), 1);
  const logits = p.fc ? cx.call(p.fc, pooled) : cx.call(p.fc2!, g.relu(cx.call(p.fc1!, pooled)));
  return g.sigmoid(logits);
}

/** Each image's fused kernels, [N, outC, Cg, kh, kw]: the coefficients mixing the bank. */
function fusedKernels(g: OnnxGraph, layer: DynamicConv2d, bank: OnnxValue, eta: OnnxValue): OnnxValue {
  const [K, Cg, kh, kw] = layer.weight.shape as [number, number, number, number];
  const outC = layer.outChannels;
  const gs = layer.groupSize;
  const N = eta.shape[0]!;
  const mixed = g.matmul(g.reshape(eta, [N, outC, 1, gs]), g.reshape(bank, [K / gs, gs, Cg * kh * kw]));
  return g.reshape(mixed, [N, outC, Cg, kh, kw]);
}

/** The dynamic convolution of x with coefficients eta (no bias). */
function dynamicConvNodes(cx: ConvertContext, layer: DynamicConv2d, x: OnnxValue, eta: OnnxValue): OnnxValue {
  const g = cx.graph;
  const bank = g.weight(layer.weight);
  const geometry = layer.convOptions;
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const outC = layer.outChannels;
  if (cx.dynamic === 'output') {
    const y = g.conv(x, bank, null, geometry);
    const [, , Ho, Wo] = y.shape as [number, number, number, number];
    const mixed = g.matmul(g.reshape(eta, [N, outC, 1, layer.groupSize]), g.reshape(y, [N, outC, layer.groupSize, Ho * Wo]));
    return g.reshape(mixed, [N, outC, Ho, Wo]);
  }
  const kernels = fusedKernels(g, layer, bank, eta);
  const [, , Cg, kh, kw] = kernels.shape as [number, number, number, number, number];
  if (!x.batched) {
    // A fixed batch: fold it into the groups of one convolution, as dynconv's eval forward does.
    const groups = layer.groups;
    const y = g.conv(g.reshape(x, [1, N * C, H, W]), g.reshape(kernels, [N * outC, Cg, kh, kw]), null, { ...geometry, groups: N * groups });
    return g.reshape(y, [N, outC, y.shape[2]!, y.shape[3]!]);
  }
  // A dynamic batch: Conv's group is an attribute, so the batch cannot be folded into it. Scan
  // runs the body once per image, each a Conv with that image's kernels.
  let outShape: readonly number[] = [];
  const body = g.subgraph('scan_body', [{ shape: [C, H, W] }, { shape: [outC, Cg, kh, kw] }], (b, [xi, wi]) => {
    const axes = () => b.int64([0], `${b.scope}.axes`);
    const x1 = b.node('Unsqueeze', [xi!, axes()], {}, [1, C, H, W]);
    const y1 = b.conv(x1, wi!, null, geometry);
    outShape = y1.shape.slice(1);
    return [b.node('Squeeze', [y1, axes()], {}, outShape)];
  });
  return g.node('Scan', [x, kernels], { body: { g: body }, num_scan_inputs: { i: 2 } }, [N, ...outShape]);
}

/** Converters of the dynamic convolution and its coefficient predictor. */
export const DYNAMIC_CONVERTERS: readonly ConverterEntry[] = [
  converter(CoefficientPredictor, (cx, m, x) => predictorNodes(cx, m, x!)),
  /**
   * `(x)` with the layer's own predictor, or `(x, eta)` with coefficients from outside (a
   * block's shared predictor), as forward() takes them.
   */
  converter(DynamicConv2d, (cx, m, x, eta) => {
    if (!eta && m.predictorKind === 'fixed') {
      // The Fix ablation: every coefficient 1, so the layer is one convolution with its bank
      // summed per output channel, as its forward computes it.
      const g = cx.graph;
      const w = m.summedWeight();
      const weight = g.constant(Float32Array.from(w.dataSync() as ArrayLike<number>, Number), w.shape, `${g.scope}.summed_weight`);
      const bias = m.bias ? g.weight(m.bias) : null;
      return g.conv(x!, weight, bias, m.convOptions);
    }
    if (!eta) {
      if (!m.predictor) throw new Error(`${cx.graph.scope}: a DynamicConv2d with an external predictor needs its coefficients: convert it with cx.call(layer, x, eta)`);
      eta = cx.call(m.predictor, x!);
    }
    const y = dynamicConvNodes(cx, m, x!, eta);
    if (!m.bias) return y;
    const g = cx.graph;
    const bias = g.constant(m.bias.dtype === 'float32' ? (m.bias.dataSync() as Float32Array) : Float32Array.from(m.bias.dataSync() as ArrayLike<number>, Number), [m.outChannels, 1, 1], `${g.scope}.bias`);
    return g.add(y, bias);
  }),
];
