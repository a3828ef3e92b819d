import onnx = require('@dynconv/onnx');

export const opset: number = onnx.OPSET;
export const fn: typeof onnx.exportOnnx = onnx.exportOnnx;
