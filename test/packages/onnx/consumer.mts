import { randn } from '@dynconv/core';
import { resnet18 } from '@dynconv/models';
import { converter, type ConverterEntry, type DynamicExport, exportOnnx, type OnnxValue } from '@dynconv/onnx';
import { ReLU } from '@dynconv/nn';

const dynamic: DynamicExport = 'output';
export const bytes: Uint8Array = exportOnnx(resnet18().eval(), randn([1, 3, 32, 32]), { dynamic, dynamicBatch: true });
export const entry: ConverterEntry = converter(ReLU, (cx, _m, x): OnnxValue => cx.graph.relu(x!));
