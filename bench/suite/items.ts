/**
 * The items of `pnpm bench`: what each one computes, in dynconv (in-process), PyTorch (an op
 * and parameters for bench/torch/worker.py) and TensorFlow.js's CPU backend (in-process).
 *
 * Each side's setup runs once (lazily, on the item's first measurement) and returns a function
 * doing one rep synchronously. Results are not read back: both in-process CPU backends compute
 * eagerly, as torch does, and a read-back would add a copy only dynconv pays
 * (`dataSync()` slices). A side that is null is reported as n/a, with its `na` note.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { batchNorm, conv2d, crossEntropy, Generator, grad, matmul, noGrad, ones, randint, randn, type Tensor, tidy, zeros } from '@dynconv/core';
import type { Module } from '@dynconv/nn';
import { createModel, type ModelName } from '@dynconv/models';
import { exportOnnx } from '@dynconv/onnx';
import { DEFAULT_CONFIG, DyCnn, type ModelKind } from '../../tools/models/dy-cnn.js';
import { DY_CNN_CONVERTERS } from '../../tools/models/onnx.js';
import { buildOptimizer } from '../../tools/train/optim.js';
import type { Unit } from './stats.js';
import { registerDepthwiseGradient } from './tfjs-grads.js';

/** One rep of an item on one side. */
export type Run = () => void;

/** One rep that returns a promise (onnxruntime-node's `session.run`). */
export type AsyncRun = () => Promise<unknown>;

/** A PyTorch measurement: an op of bench/torch/worker.py and its parameters. */
export interface TorchSpec {
  op: string;
  params: Record<string, unknown>;
}

export interface Item {
  /** Short id, for --items. */
  id: string;
  /** What is computed, one line. */
  title: string;
  unit: Unit;
  /** Work per rep, for the unit: floating-point operations, images or elements. */
  work: number;
  dynconv: () => Run;
  torch: (() => TorchSpec) | null;
  tfjs: (() => Run) | null;
  /**
   * onnxruntime-node: a session on the item's model as @dynconv/onnx exports it, with this many
   * intra-op threads; absent for the items that have no ONNX model.
   */
  ort?: (threads: number) => Promise<AsyncRun>;
  /** Why a side is n/a. */
  na?: { torch?: string; tfjs?: string; ort?: string };
}

const gen = () => new Generator(0);

/** dynconv NCHW data to a tfjs tensor in NHWC (or any permutation `perm`). */
function toTf(t: Tensor, perm: number[]): tf.Tensor {
  return tf.tidy(() => tf.transpose(tf.tensor(t.dataSync() as Float32Array, [...t.shape]), perm));
}

// ---- 1. matmul ---------------------------------------------------------------------------------

function matmulItem(n: number): Item {
  const ab = () => {
    const g = gen();
    return [randn([n, n], { generator: g }), randn([n, n], { generator: g })] as const;
  };
  return {
    id: `matmul${n}`,
    title: `float32 matmul ${n}x${n} . ${n}x${n}`,
    unit: 'GFLOP/s',
    work: 2 * n ** 3,
    dynconv: () => {
      const [a, b] = ab();
      return () => tidy(() => void matmul(a, b));
    },
    torch: () => ({ op: 'matmul', params: { n } }),
    tfjs: () => {
      const [a, b] = ab();
      const [ta, tb] = [toTf(a, [0, 1]), toTf(b, [0, 1])];
      return () => tf.tidy(() => void tf.matMul(ta, tb));
    },
  };
}

// ---- 2. the ResNet layer conv ------------------------------------------------------------------

const CONV = { N: 1, C: 64, H: 56, W: 56, K: 64, k: 3, pad: 1 };
const CONV_FLOPS = 2 * CONV.N * CONV.K * CONV.H * CONV.W * CONV.C * CONV.k * CONV.k;

function convData() {
  const g = gen();
  const { N, C, H, W, K, k } = CONV;
  return { x: randn([N, C, H, W], { generator: g }), w: randn([K, C, k, k], { generator: g }), dy: randn([N, K, H, W], { generator: g }) };
}

function convTfData() {
  const { x, w, dy } = convData();
  return { tx: toTf(x, [0, 2, 3, 1]) as tf.Tensor4D, tw: toTf(w, [2, 3, 1, 0]) as tf.Tensor4D, tdy: toTf(dy, [0, 2, 3, 1]) as tf.Tensor4D };
}

const convShape = `x [${CONV.N},${CONV.C},${CONV.H},${CONV.W}], w [${CONV.K},${CONV.C},3,3], pad 1`;

const convItems: Item[] = [
  {
    id: 'conv-fwd',
    title: `conv2d forward, ${convShape}`,
    unit: 'GFLOP/s',
    work: CONV_FLOPS,
    dynconv: () => {
      const { x, w } = convData();
      return () => tidy(() => void conv2d(x, w, null, { padding: CONV.pad }));
    },
    torch: () => ({ op: 'conv-fwd', params: CONV }),
    tfjs: () => {
      const { tx, tw } = convTfData();
      return () => tf.tidy(() => void tf.conv2d(tx, tw, 1, CONV.pad));
    },
  },
  {
    id: 'conv-dx',
    title: 'conv2d input gradient, same layer',
    unit: 'GFLOP/s',
    work: CONV_FLOPS,
    dynconv: () => {
      const { x, w, dy } = convData();
      const xg = x.detach().requiresGrad_();
      const y = conv2d(xg, w, null, { padding: CONV.pad });
      return () => tidy(() => void grad(y, xg, { gradOutputs: dy, retainGraph: true }));
    },
    torch: () => ({ op: 'conv-dx', params: CONV }),
    tfjs: () => {
      const { tw, tdy } = convTfData();
      const { N, H, W, C } = CONV;
      // tfjs's input-gradient kernel (Conv2DBackpropInput) behind its public conv2dTranspose.
      return () => tf.tidy(() => void tf.conv2dTranspose(tdy, tw, [N, H, W, C], 1, CONV.pad));
    },
  },
  {
    id: 'conv-dw',
    title: 'conv2d filter gradient, same layer',
    unit: 'GFLOP/s',
    work: CONV_FLOPS,
    dynconv: () => {
      const { x, w, dy } = convData();
      const wg = w.detach().requiresGrad_();
      const y = conv2d(x, wg, null, { padding: CONV.pad });
      return () => tidy(() => void grad(y, wg, { gradOutputs: dy, retainGraph: true }));
    },
    torch: () => ({ op: 'conv-dw', params: CONV }),
    tfjs: () => {
      const { tx, tdy } = convTfData();
      const { C, K, k } = CONV;
      return () =>
        tf.tidy(() => void tf.engine().runKernel('Conv2DBackpropFilter', { x: tx, dy: tdy }, { strides: 1, pad: CONV.pad, dataFormat: 'NHWC', filterShape: [k, k, C, K] }));
    },
  },
];

// ---- 3. depthwise conv forward + backward --------------------------------------------------

const DW = { N: 8, C: 64, H: 28, W: 28, k: 3 };
/** Forward, input gradient and filter gradient: three passes of the forward's multiply-adds. */
const DW_FLOPS = 3 * 2 * DW.N * DW.C * DW.H * DW.W * DW.k * DW.k;

function dwData() {
  const g = gen();
  const { N, C, H, W, k } = DW;
  return { x: randn([N, C, H, W], { generator: g }), w: randn([C, 1, k, k], { generator: g }), dy: randn([N, C, H, W], { generator: g }) };
}

const depthwiseItem: Item = {
  id: 'depthwise',
  title: `depthwise 3x3 conv forward+backward (dx, dw), x [${DW.N},${DW.C},${DW.H},${DW.W}], groups ${DW.C}`,
  unit: 'GFLOP/s',
  work: DW_FLOPS,
  dynconv: () => {
    const { x, w, dy } = dwData();
    const [xg, wg] = [x.requiresGrad_(), w.requiresGrad_()];
    return () =>
      tidy(() => {
        const y = conv2d(xg, wg, null, { padding: 1, groups: DW.C });
        grad(y, [xg, wg], { gradOutputs: dy });
      });
  },
  torch: () => ({ op: 'depthwise', params: DW }),
  tfjs: () => {
    const { x, w, dy } = dwData();
    const [tx, tw, tdy] = [toTf(x, [0, 2, 3, 1]), toTf(w, [2, 3, 0, 1]), toTf(dy, [0, 2, 3, 1])]; // filter [k, k, C, 1]
    registerDepthwiseGradient();
    const f = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'));
    return () => tf.tidy(() => void f([tx, tw], tdy));
  },
};

// ---- 4. elementwise ---------------------------------------------------------------------------

const ELEMENTS = 1_000_000;

function elementwiseItem(op: 'mul' | 'add' | 'relu'): Item {
  const data = () => {
    const g = gen();
    return [randn([ELEMENTS], { generator: g }), randn([ELEMENTS], { generator: g })] as const;
  };
  return {
    id: op,
    title: `${op === 'relu' ? 'relu(a)' : `a ${op === 'mul' ? '*' : '+'} b`}, ${ELEMENTS.toLocaleString('en-US')} float32 elements (fresh output)`,
    unit: 'ns/elem',
    work: ELEMENTS,
    dynconv: () => {
      const [a, b] = data();
      if (op === 'mul') return () => tidy(() => void a.mul(b));
      if (op === 'add') return () => tidy(() => void a.add(b));
      return () => tidy(() => void a.relu());
    },
    torch: () => ({ op: 'elementwise', params: { op, n: ELEMENTS } }),
    tfjs: () => {
      const [a, b] = data();
      const [ta, tb] = [toTf(a, [0]), toTf(b, [0])];
      if (op === 'mul') return () => tf.tidy(() => void tf.mul(ta, tb));
      if (op === 'add') return () => tf.tidy(() => void tf.add(ta, tb));
      return () => tf.tidy(() => void tf.relu(ta));
    },
  };
}

// ---- 5. BatchNorm (training) + ReLU, forward + backward --------------------------------------

const BN_SHAPE = [64, 32, 14, 14] as const;
const BN_ELEMENTS = BN_SHAPE.reduce((a, b) => a * b, 1);

const bnReluItem: Item = {
  id: 'bn-relu',
  title: `BatchNorm (training, batch statistics) + ReLU forward+backward (dx, dgamma, dbeta), [${BN_SHAPE.join(',')}]`,
  unit: 'ns/elem',
  work: BN_ELEMENTS,
  dynconv: () => {
    const g = gen();
    const C = BN_SHAPE[1];
    const x = randn([...BN_SHAPE], { generator: g }).requiresGrad_();
    const dy = randn([...BN_SHAPE], { generator: g });
    const [weight, bias] = [ones([C]).requiresGrad_(), zeros([C]).requiresGrad_()];
    const [rm, rv] = [zeros([C]), ones([C])];
    return () =>
      tidy(() => {
        const y = batchNorm(x, rm, rv, weight, bias, true, 0.1, 1e-5).relu();
        grad(y, [x, weight, bias], { gradOutputs: dy });
      });
  },
  torch: () => ({ op: 'bn-relu', params: { shape: [...BN_SHAPE] } }),
  // tf.moments + tf.batchNorm + tf.relu under tf.grads needs the gradients of FusedBatchNorm,
  // Relu, Mean, SquaredDifference, Reshape, ..., which ship with @tensorflow/tfjs, not tfjs-core.
  tfjs: null,
  na: { tfjs: 'tfjs-core registers no gradients (they ship with the @tensorflow/tfjs union package, not installed)' },
};

// ---- 6. Dy-CNN training step ------------------------------------------------------------------

const TRAIN_BATCH = 64;

/** Parameter count of the dynconv Dy-CNN of this kind (what the PyTorch mirror must match). */
export function dycnnParamCount(kind: ModelKind): number {
  const model = new DyCnn({ ...DEFAULT_CONFIG, kind }, { generator: gen() });
  return model.parameters().reduce((n, p) => n + p.numel(), 0);
}

function trainItem(id: string, kind: ModelKind, fusion: 'kernel' | 'output'): Item {
  return {
    id,
    title: `${kind === 'dynamic' ? `Dy-CNN (${fusion} fusion)` : 'static CNN'} training step, batch ${TRAIN_BATCH}, AdamW (lr 6e-3, wd 0.05), as bench/step-profile.ts`,
    unit: 'img/s',
    work: TRAIN_BATCH,
    dynconv: () => {
      // bench/step-profile.ts's step: the same seeds, model, optimizer and 4 cycled batches.
      const g = new Generator(0);
      const model = new DyCnn({ ...DEFAULT_CONFIG, kind }, { generator: g, fusion });
      model.train();
      const optimizer = buildOptimizer(model, { optimizer: 'adamw', lr: 6e-3, weightDecay: 0.05, momentum: 0.9 });
      const xs = Array.from({ length: 4 }, () => randn([TRAIN_BATCH, 1, 28, 28], { generator: g }));
      const ys = Array.from({ length: 4 }, () => randint(0, 10, [TRAIN_BATCH], { generator: g }));
      let i = 0;
      return () => {
        const k = i++ % 4;
        tidy(() => {
          const loss = crossEntropy(model.forward(xs[k]!), ys[k]!);
          optimizer.zeroGrad();
          loss.backward();
          optimizer.step();
          return loss.item();
        });
      };
    },
    torch: () => ({ op: 'dycnn-train', params: { kind, fusion, batch: TRAIN_BATCH, expectParams: dycnnParamCount(kind) } }),
    tfjs: null,
    na: { tfjs: 'not built in tfjs' },
  };
}

// ---- 7. models, eval, batch 1, 224x224 --------------------------------------------------------

function modelItem(id: string, name: ModelName, torchvisionName: string | null): Item {
  return {
    id,
    title: `${name} eval forward, batch 1, 3x224x224${torchvisionName ? ` (torch: torchvision.models.${torchvisionName}())` : ''}`,
    unit: 'img/s',
    work: 1,
    dynconv: () => {
      const model = createModel(name, { generator: new Generator(1) }).eval() as Module<[Tensor], Tensor>;
      const x = randn([1, 3, 224, 224], { generator: gen() });
      return () => tidy(() => void noGrad(() => model.forward(x)));
    },
    torch: torchvisionName ? () => ({ op: 'model', params: { name: torchvisionName, size: 224 } }) : null,
    tfjs: null,
    na: { ...(torchvisionName ? {} : { torch: 'no torchvision twin' }), tfjs: 'not built in tfjs' },
  };
}

// ---- 8. ONNX: the same eval forward in onnxruntime-node ---------------------------------------

/**
 * An eval forward at batch `batch`, dynconv vs onnxruntime-node running the model exported by
 * @dynconv/onnx (dynamic batch; dynamic convolutions as kernel-fusion graphs, a Scan over the
 * images). The same weights and input on both sides; torch's column is torchvision's model
 * where there is one.
 */
function onnxItem(id: string, what: 'dycnn' | ModelName, batch: number, torchvisionName: string | null): Item {
  const setup = () => {
    const model = (what === 'dycnn' ? new DyCnn({ ...DEFAULT_CONFIG, kind: 'dynamic' }, { generator: gen() }) : createModel(what, { generator: new Generator(1) })).eval() as Module<[Tensor], Tensor>;
    const x = randn(what === 'dycnn' ? [batch, 1, 28, 28] : [batch, 3, 224, 224], { generator: gen() });
    return { model, x };
  };
  const input = what === 'dycnn' ? '1x28x28' : '3x224x224';
  return {
    id,
    title: `${what === 'dycnn' ? 'Dy-CNN (the trainer\'s, kernel fusion)' : what} eval forward, batch ${batch}, ${input}; ort: its ONNX export (opset 17, dynamic batch${what === 'dycnn' || what.startsWith('dy') ? ', kernel fusion as a Scan' : ''})${torchvisionName ? ` (torch: torchvision.models.${torchvisionName}())` : ''}`,
    unit: 'img/s',
    work: batch,
    dynconv: () => {
      const { model, x } = setup();
      return () => tidy(() => void noGrad(() => model.forward(x)));
    },
    torch: torchvisionName ? () => ({ op: 'model', params: { name: torchvisionName, size: 224, batch } }) : null,
    tfjs: null,
    ort: async (threads) => {
      const ort = await import('onnxruntime-node');
      const { model, x } = setup();
      const bytes = exportOnnx(model, x, { converters: DY_CNN_CONVERTERS });
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
      const feeds = { input: new ort.Tensor('float32', x.dataSync() as Float32Array, [...x.shape]) };
      return () => session.run(feeds);
    },
    na: { ...(torchvisionName ? {} : { torch: what === 'dycnn' ? 'the PyTorch Dy-CNN mirror has no eval op' : 'no torchvision twin' }), tfjs: 'not built in tfjs' },
  };
}

/** Every item, in report order. */
export const ITEMS: readonly Item[] = [
  matmulItem(512),
  matmulItem(1024),
  ...convItems,
  depthwiseItem,
  elementwiseItem('mul'),
  elementwiseItem('add'),
  elementwiseItem('relu'),
  bnReluItem,
  trainItem('dycnn-train-kernel', 'dynamic', 'kernel'),
  trainItem('dycnn-train-output', 'dynamic', 'output'),
  trainItem('static-train', 'static', 'kernel'),
  modelItem('resnet18', 'resnet18', 'resnet18'),
  modelItem('mobilenetv2', 'mobilenetV2', 'mobilenet_v2'),
  modelItem('dyresnet18', 'dyResnet18', null),
  modelItem('dymobile', 'dyMobile', null),
  onnxItem('onnx-dycnn-b1', 'dycnn', 1, null),
  onnxItem('onnx-dycnn-b32', 'dycnn', 32, null),
  onnxItem('onnx-resnet18-b1', 'resnet18', 1, 'resnet18'),
  onnxItem('onnx-resnet18-b32', 'resnet18', 32, 'resnet18'),
  onnxItem('onnx-dyresnet18-b1', 'dyResnet18', 1, null),
  onnxItem('onnx-dyresnet18-b32', 'dyResnet18', 32, null),
];
