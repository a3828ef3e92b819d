/**
 * @dynconv/onnx: exports dynconv models to ONNX. The static backbones, the DyNet models and
 * the trainer's Dy-CNN, in eval mode, with a dynamic batch size; a dynamic convolution exports
 * as its kernel-fusion graph (the paper's inference path) or its output-fusion graph. Browser-
 * safe: it returns the model's bytes and touches no file.
 * @packageDocumentation
 */
export { exportOnnx, DEFAULT_CONVERTERS, BATCH_DIM } from './export.js';
export { converter, IR_VERSION, OPSET, type AnyModule, type ConvertContext, type Converter, type ConverterEntry, type DynamicExport, type ExportOptions } from './converter.js';
export { OnnxGraph, type ConvGeometry, type Initializer, type OnnxAttribute, type OnnxDType, type OnnxNode, type OnnxSubgraph, type OnnxValue } from './graph.js';
export { batchNormNode, channelShuffleNodes } from './converters/nn.js';
export type { ProtoMessage, ProtoValue } from './protobuf.js';
