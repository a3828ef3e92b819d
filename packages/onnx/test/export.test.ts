/**
 * exportOnnx itself: the model protobuf (decoded by protobufjs's reflection from the same
 * schema), the schema against onnx.proto, nn's layers one by one in onnxruntime, a dynamic
 * layer with its own predictor, inference-fused models, custom converters, and the errors.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Generator, noGrad, randn, type Tensor } from '@dynconv/core';
import { fuseForInference, resnet18 } from '@dynconv/models';
import {
  AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, ChannelShuffle, Conv2d, Dropout, DynamicConv2d, ELU, Flatten, GELU, Hardsigmoid, Hardswish, Identity, LeakyReLU,
  Linear, LogSoftmax, MaxPool2d, Module, ReLU, ReLU6, Sequential, Sigmoid, SiLU, Softmax, SqueezeExcitation, Tanh,
} from '@dynconv/nn';
import { type AnyModule, BATCH_DIM, converter, exportOnnx, IR_VERSION, OPSET } from '../src/index.js';
import { encodeMessage } from '../src/protobuf.js';
import { decodeModel, expectOrtMatches, opCounts, randomizeBatchNorms, session } from './helpers.js';

const gen = (s: number) => new Generator(s);

describe('the model protobuf', () => {
  const model = resnet18({ numClasses: 10, widthMult: 0.25, generator: gen(0) }).eval();
  const bytes = exportOnnx(model, randn([1, 3, 32, 32]));
  const m = decodeModel(bytes);

  it('is ONNX IR 8, opset 17, with a symbolic batch dim on the input and the output', () => {
    expect(m.ir_version).toBe(IR_VERSION);
    expect(m.opset_import).toEqual([{ domain: '', version: OPSET }]);
    expect(m.producer_name).toBe('@dynconv/onnx');
    const dims = (v: { type: { tensor_type: { shape: { dim: object[] } } } }) => v.type.tensor_type.shape.dim;
    expect(dims(m.graph.input[0])).toEqual([{ dim_param: BATCH_DIM }, { dim_value: 3 }, { dim_value: 32 }, { dim_value: 32 }]);
    expect(dims(m.graph.output[0])).toEqual([{ dim_param: BATCH_DIM }, { dim_value: 10 }]);
    expect(m.metadata_props).toContainEqual({ key: 'dynconv.dynamic', value: 'kernel' });
  });

  it('stores weights as raw float32 initializers named by their state-dict keys', () => {
    const inits = new Map((m.graph.initializer as { name: string; dims: number[]; raw_data: number[]; data_type: number }[]).map((t) => [t.name, t]));
    const fc = inits.get('fc.weight')!;
    expect(fc.dims).toEqual([10, 128]);
    expect(fc.data_type).toBe(1);
    expect(fc.raw_data.length).toBe(4 * 10 * 128);
    expect(new Float32Array(Uint8Array.from(fc.raw_data).buffer)).toEqual(model.fc.weight.dataSync());
    // Folded BatchNorms: the conv weights are new initializers, the BatchNorm tensors are gone.
    expect(inits.has('conv1.weight.folded')).toBe(true);
    expect(inits.has('bn1.running_mean')).toBe(false);
    expect(opCounts(bytes)).toEqual({ Conv: 20, Relu: 17, MaxPool: 1, Add: 8, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 });
  });

  it('the encoder writes what protobufjs reads back: packed and unpacked repeated fields, negative int64, enums, nested messages', async () => {
    const protobuf = (await import('protobufjs')).default;
    const { ONNX_SCHEMA } = await import('../src/onnx-schema.js');
    const root = protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace);
    const msg = {
      name: 'n',
      type: 7,
      ints: [-1, 0, 2 ** 40],
      floats: [1.5, -2.25],
      t: { dims: [2], data_type: 1, float_data: [0.5, -0.75], name: 'c' },
    };
    const A = root.lookupType('onnx.AttributeProto');
    expect(A.toObject(A.decode(encodeMessage('AttributeProto', msg)), { longs: Number })).toEqual(msg);
  });

  it.runIf(existsSync('/usr/lib/python3/dist-packages/onnx/onnx.proto'))('src/onnx-schema.ts is what scripts/generate-schema.mjs makes of python3-onnx onnx.proto', () => {
    const script = fileURLToPath(new URL('../scripts/generate-schema.mjs', import.meta.url));
    expect(execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' })).toMatch(/matches/);
  });
});

/** [N, C, H, W] layers, then a head to [N, 5]. */
function mixed(): Sequential {
  const body = new Sequential(
    new Conv2d(3, 12, 3, { padding: 'same', bias: true, generator: gen(1) }), new BatchNorm2d(12), new GELU(), new Conv2d(12, 12, 3, { stride: 2, padding: 1, groups: 3, generator: gen(2) }),
    new SiLU(), new ELU({ alpha: 0.7 }), new LeakyReLU({ negativeSlope: 0.2 }), new Hardswish(), new ChannelShuffle(3), new SqueezeExcitation(12, 4, { generator: gen(3) }),
    new MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }), new GELU({ approximate: 'tanh' }), new AvgPool2d(2, { stride: 1, padding: 1, countIncludePad: false }), new Hardsigmoid(),
    new ReLU6(), new Tanh(), new Sigmoid(), new Dropout(0.5), new Identity(), new AdaptiveAvgPool2d(2), new AdaptiveMaxPool2d(1),
  );
  const head = new Sequential(new Flatten(), new Linear(12, 8, { generator: gen(4) }), new BatchNorm1d(8), new ReLU(), new Linear(8, 5, { generator: gen(5) }), new LogSoftmax(1), new Softmax(-1));
  return new Sequential(body, head);
}

describe('layers in onnxruntime', () => {
  it('every nn layer the converters cover, in one network, at batch 1 and 4', async () => {
    const model = mixed();
    randomizeBatchNorms(model, 9);
    model.eval();
    for (const foldBatchNorm of [true, false]) {
      const s = await session(exportOnnx(model, randn([2, 3, 17, 15]), { foldBatchNorm }));
      for (const N of [1, 4]) await expectOrtMatches(s, model, randn([N, 3, 17, 15], { generator: gen(N) }), `Mixed batch ${N}`);
    }
  });

  it.each(['kernel', 'output'] as const)('a DynamicConv2d with its own predictor (two FC layers), stride 2, groups 2, a bias: %s fusion', async (dynamic) => {
    const layer = new DynamicConv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2, groupSize: 3, hidden: 5, generator: gen(6) });
    noGradFill(layer.bias!, gen(7));
    layer.eval();
    const s = await session(exportOnnx(layer, randn([2, 4, 9, 9]), { dynamic }));
    for (const N of [1, 3]) await expectOrtMatches(s, layer, randn([N, 4, 9, 9], { generator: gen(N) }), `DynamicConv2d ${dynamic} batch ${N}`);
  });

  it('a model fused for inference (fuseForInference: convs with their BatchNorm and ReLU, Identity in their place)', async () => {
    const model = resnet18({ numClasses: 10, widthMult: 0.25, generator: gen(8) });
    randomizeBatchNorms(model, 10);
    fuseForInference(model);
    const bytes = exportOnnx(model, randn([1, 3, 32, 32]));
    expect(opCounts(bytes).BatchNormalization).toBeUndefined();
    await expectOrtMatches(await session(bytes), model, randn([2, 3, 32, 32], { generator: gen(11) }), 'fused resnet18');
  });
});

function noGradFill(t: Tensor, g: Generator): void {
  noGrad(() => t.copy_(randn(t.shape, { generator: g })));
}

/** A module class of one's own: y = relu(x) * scale. */
class Scaled extends Module {
  readonly relu = this.module('relu', new ReLU());
  constructor(readonly scale: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return this.relu.forward(x).mul(this.scale);
  }
}

describe('converters and errors', () => {
  it('a class of one\'s own exports with a converter passed in opts.converters', async () => {
    const model = new Sequential(new Conv2d(2, 3, 1, { generator: gen(12) }), new Scaled(2.5)).eval();
    expect(() => exportOnnx(model, randn([1, 2, 4, 4]))).toThrow(/no ONNX converter for Scaled \(at 1\); pass one in opts\.converters/);
    const scaled = converter(Scaled, (cx, m, x) => cx.graph.mul(cx.call(m.relu, x!), cx.graph.constant([m.scale], [], `${cx.graph.scope}.scale`)));
    const bytes = exportOnnx(model, randn([1, 2, 4, 4]), { converters: [scaled] });
    await expectOrtMatches(await session(bytes), model, randn([3, 2, 4, 4]), 'Scaled');
  });

  it('a subclass needs its own converter (its forward may differ)', () => {
    class MyReLU extends ReLU {}
    expect(() => exportOnnx(new Sequential(new MyReLU()).eval(), randn([1, 2]))).toThrow(/no ONNX converter for MyReLU/);
  });

  it('refuses a model in training mode, naming a module', () => {
    const model = resnet18({ numClasses: 10, widthMult: 0.25 });
    expect(() => exportOnnx(model, randn([1, 3, 32, 32]))).toThrow(/exports eval-mode models; \(the model\), conv1, bn1, \.\.\. are in training mode: call model\.eval\(\) first/);
  });

  it('a converter whose graph does not give the forward\'s shape is caught', () => {
    const wrong = converter(Scaled, (cx, _m, x) => cx.graph.flatten(x!, 1));
    expect(() => exportOnnx(new Scaled(1).eval(), randn([2, 3, 4]), { converters: [wrong] })).toThrow(/the graph's output has shape \[2, 12\], the model's forward gives \[2, 3, 4\]/);
  });

  it('a DynamicConv2d with an external predictor needs its coefficients from a block converter', () => {
    const layer = new DynamicConv2d(2, 2, 1, { predictor: 'external' }).eval() as unknown as AnyModule;
    expect(() => exportOnnx(layer, randn([1, 2, 3, 3]))).toThrow(/external predictor needs its coefficients/);
  });
});
