/**
 * Times the default Dy-CNN training step (batch 64, AdamW, as tools/train/run.ts runs it) on
 * random data, for profiling:  npx tsx bench/step-profile.ts [--model dynamic|static] [--fusion kernel|output] [--steps N]
 * Prints images per second and the sum of the losses (a bit-exactness check between versions).
 */
import { parseArgs } from 'node:util';
import { crossEntropy, Generator, randint, randn, tidy } from '@dynconv/core';
import { DEFAULT_CONFIG, DyCnn, type ModelKind } from '../tools/models/dy-cnn.js';
import { buildOptimizer } from '../tools/train/optim.js';

const { values: flags } = parseArgs({ options: { model: { type: 'string', default: 'dynamic' }, fusion: { type: 'string', default: 'kernel' }, steps: { type: 'string', default: '30' }, batch: { type: 'string', default: '64' } } });
const steps = Number(flags.steps);
const batch = Number(flags.batch);
const g = new Generator(0);
const model = new DyCnn({ ...DEFAULT_CONFIG, kind: flags.model as ModelKind }, { generator: g, fusion: flags.fusion as 'kernel' | 'output' });
model.train();
const optimizer = buildOptimizer(model, { optimizer: 'adamw', lr: 6e-3, weightDecay: 0.05, momentum: 0.9 });
const xs = Array.from({ length: 4 }, () => randn([batch, 1, 28, 28], { generator: g }));
const ys = Array.from({ length: 4 }, () => randint(0, 10, [batch], { generator: g }));
let lossSum = 0;
const step = (i: number) => {
  lossSum += tidy(() => {
    const loss = crossEntropy(model.forward(xs[i % 4]!), ys[i % 4]!);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    return loss.item();
  });
};
for (let i = 0; i < 3; i++) step(i);
const t0 = performance.now();
for (let i = 3; i < 3 + steps; i++) step(i);
const ms = (performance.now() - t0) / steps;
console.log(`${flags.model} ${flags.fusion}: ${ms.toFixed(1)} ms/step, ${((batch * 1000) / ms).toFixed(0)} img/s; loss sum ${lossSum.toPrecision(17)}`);
