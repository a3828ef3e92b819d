/**
 * `pnpm bench:onnx`: the three ONNX graphs of a dynamic convolution in onnxruntime-node (CPU,
 * 1 thread), next to dynconv's eval forward, for the trainer's Dy-CNN (28x28) and Dy-ResNet18
 * (224x224) at batch 1 and 32: kernel fusion with a dynamic batch (a Scan over the images),
 * kernel fusion with a fixed batch (the batch folded into the groups of one Conv), and output
 * fusion (dynamic batch). Milliseconds per call, median of the reps; docs/onnx.md quotes a run.
 *
 *   pnpm bench:onnx [--reps-b1 20] [--reps-b32 3]
 */
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { Generator, noGrad, randn, type Tensor, tidy } from '@dynconv/core';
import { dyResnet18 } from '@dynconv/models';
import type { Module } from '@dynconv/nn';
import { type ExportOptions, exportOnnx } from '@dynconv/onnx';
import { DEFAULT_CONFIG, DyCnn } from '../tools/models/dy-cnn.js';
import { DY_CNN_CONVERTERS } from '../tools/models/onnx.js';
import { machine, table } from './timing.js';

const { values } = parseArgs({ options: { 'reps-b1': { type: 'string', default: '20' }, 'reps-b32': { type: 'string', default: '3' } } });

async function medianMs(fn: () => unknown, reps: number): Promise<number> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return ms[ms.length >> 1]!;
}

const GRAPHS: [string, ExportOptions][] = [
  ['kernel, Scan (dynamic batch)', { dynamic: 'kernel' }],
  ['kernel, grouped (fixed batch)', { dynamic: 'kernel', dynamicBatch: false }],
  ['output (dynamic batch)', { dynamic: 'output' }],
];

const rows: string[][] = [];
for (const [name, shape] of [['Dy-CNN', [1, 28, 28]], ['dyResnet18', [3, 224, 224]]] as const) {
  for (const N of [1, 32]) {
    const model = (name === 'Dy-CNN' ? new DyCnn({ ...DEFAULT_CONFIG, kind: 'dynamic' }, { generator: new Generator(0) }) : dyResnet18({ generator: new Generator(1) })).eval() as Module<[Tensor], Tensor>;
    const x = randn([N, ...shape], { generator: new Generator(2) });
    const reps = Number(N === 1 ? values['reps-b1'] : values['reps-b32']);
    const cells = [`${name} batch ${N}`, (await medianMs(() => tidy(() => void noGrad(() => model.forward(x))), reps)).toFixed(2)];
    for (const [, opts] of GRAPHS) {
      const s = await ort.InferenceSession.create(exportOnnx(model, x, { ...opts, converters: DY_CNN_CONVERTERS }), { intraOpNumThreads: 1, interOpNumThreads: 1 });
      const feeds = { input: new ort.Tensor('float32', x.dataSync() as Float32Array, [...x.shape]) };
      cells.push((await medianMs(() => s.run(feeds), reps)).toFixed(2));
    }
    rows.push(cells);
    console.log(cells.join('  '));
  }
}
console.log(`\nms per call (median), onnxruntime-node ${ort.env.versions.node} at 1 thread; ${machine()}`);
table(['model', 'dynconv eval', ...GRAPHS.map(([g]) => `ort: ${g}`)], rows);
