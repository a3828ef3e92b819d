// @dynconv/onnx with core, nn and models: a Dy-ResNet18 exported; the bytes are an ONNX model.
import { manualSeed, randn } from '@dynconv/core';
import { dyResnet18 } from '@dynconv/models';
import { exportOnnx, OPSET } from '@dynconv/onnx';

manualSeed(0);
const net = dyResnet18({ widthMult: 0.25, numClasses: 10 }).eval();
const bytes = exportOnnx(net, randn([1, 3, 32, 32]));
// A ModelProto starts with field 1 (ir_version, varint): tag 0x08, then the version 8.
console.log(JSON.stringify({ bytes: bytes.length > 100_000, head: [bytes[0], bytes[1]], opset: OPSET, uint8: bytes instanceof Uint8Array }));
