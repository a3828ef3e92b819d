/**
 * ONNX converters for the Dy-CNN's own blocks (tools/models/dy-cnn.ts), for @dynconv/onnx's
 * exportOnnx: each mirrors its class's forward(). The layers inside them (Conv2d, BatchNorm2d,
 * DynamicConv2d, the predictor, the head's Sequential) use the package's built-in converters.
 */
import { converter, type ConverterEntry, type OnnxValue } from '@dynconv/onnx';
import { ConvBnRelu, DyCnn, DynamicBlock, FixedBlock, StaticBlock } from './dy-cnn.js';

/** The converters of DyCnn, ConvBnRelu, StaticBlock, DynamicBlock and FixedBlock. */
export const DY_CNN_CONVERTERS: readonly ConverterEntry[] = [
  converter(DyCnn, (cx, m, x) => cx.call(m.head, cx.call(m.stage2, cx.call(m.stage1, cx.call(m.stem, x!))))),
  converter(ConvBnRelu, (cx, m, x) => cx.graph.relu(cx.call(m.bn, cx.call(m.conv, x!)))),
  converter(StaticBlock, (cx, m, x) => cx.call(m.layer2, cx.call(m.layer1, x!))),
  converter(DynamicBlock, (cx, m, x) => {
    const g = cx.graph;
    const [eta1, eta2] = g.split(cx.call(m.predictor, x!), 1, [m.conv1.numCoefficients, m.conv2.numCoefficients]) as [OnnxValue, OnnxValue];
    const h = g.relu(cx.call(m.bn1, cx.call(m.conv1, x!, eta1)));
    return g.relu(cx.call(m.bn2, cx.call(m.conv2, h, eta2)));
  }),
  converter(FixedBlock, (cx, m, x) => {
    const g = cx.graph;
    const h = g.relu(cx.call(m.bn1, cx.call(m.conv1, x!)));
    return g.relu(cx.call(m.bn2, cx.call(m.conv2, h)));
  }),
];
