/**
 * Inference latency of each static backbone and its Dy- variant: eval mode (Dy-models on the
 * kernel-fusion path), batch 1, 224x224, float32, one thread, no tape.
 *
 *   pnpm bench:models [--repeats 3] [--size 224] [--pairs resnet50,mobilenetV2]
 *
 * Prints ms per image (median of --repeats after one warm-up run), the speed-up of the Dy-model
 * over its static network, the ratio of their multiply-adds (from profile()), and the speed-up
 * the paper measured (i7-7700 CPU, Caffe, batch 1: ResNet18 1.32x, ResNet50 1.48x,
 * MobileNetV2 1.87x).
 *
 * "MAC layers" is the time spent inside the layers that do the multiply-adds (Conv2d,
 * DynamicConv2d with its kernel fusion, the coefficient predictors, the classifier), timed by
 * wrapping their forward() in the same runs; the rest of each pass is BatchNorm, activations,
 * pooling and residual additions, elementwise work that the FLOPs count leaves out.
 */
import { parseArgs } from 'node:util';
import { Generator, noGrad, randn } from '@dynconv/core';
import { CoefficientPredictor, Conv2d, DynamicConv2d, Linear, type Module } from '@dynconv/nn';
import { createModel, type ModelName, paperSpeedup, profile, STATIC_DY_PAIRS } from '@dynconv/models';
import { machine, table } from './timing.js';

const { values: flags } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    size: { type: 'string', default: '224' },
    pairs: { type: 'string', default: '' },
  },
});
const repeats = Number(flags.repeats);
const size = Number(flags.size);
const wanted = flags.pairs ? flags.pairs.split(',') : null;
const pairs = STATIC_DY_PAIRS.filter(([s]) => !wanted || wanted.includes(s));
if (!pairs.length) throw new Error(`bench:models: --pairs matched none of ${STATIC_DY_PAIRS.map(([s]) => s).join(', ')}`);

console.log(`Eval forward, batch 1, ${size}x${size}, float32, median of ${repeats} after 1 warm-up; ${machine()}\n`);
const x = randn([1, 3, size, size], { generator: new Generator(0) });

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/**
 * Wraps the forward() of every layer that does multiply-adds so that its time adds to
 * `clock.ms`. A predictor is timed as a whole (its Linear layers are inside it).
 */
function timeMacLayers(model: Module, clock: { ms: number }): void {
  const visit = (m: Module<never[], unknown>) => {
    if (m instanceof Conv2d || m instanceof DynamicConv2d || m instanceof CoefficientPredictor || m instanceof Linear) {
      const original = m.forward;
      (m as { forward: unknown }).forward = (...args: unknown[]) => {
        const t0 = performance.now();
        const out = (original as (...a: unknown[]) => unknown).apply(m, args);
        clock.ms += performance.now() - t0;
        return out;
      };
      return;
    }
    for (const child of m.children()) visit(child);
  };
  visit(model as unknown as Module<never[], unknown>);
}

/** Latency (ms, whole pass and MAC layers) and multiply-adds of one model; built here and dropped after, to bound memory. */
function measure(name: ModelName): { ms: number; macMs: number; macs: number } {
  const model = createModel(name, { generator: new Generator(1) }).eval();
  const macs = profile(model, [1, 3, size, size]).macs;
  const clock = { ms: 0 };
  timeMacLayers(model, clock);
  const total: number[] = [];
  const inMac: number[] = [];
  for (let i = 0; i <= repeats; i++) {
    clock.ms = 0;
    const t0 = performance.now();
    noGrad(() => model.forward(x));
    if (i === 0) continue; // warm-up
    total.push(performance.now() - t0);
    inMac.push(clock.ms);
  }
  const [ms, macMs] = [median(total), median(inMac)];
  console.log(`  ${name}: ${ms.toFixed(1)} ms (MAC layers ${macMs.toFixed(1)} ms)`);
  return { ms, macMs, macs };
}

const rows: (string | number)[][] = [];
for (const [st, dy] of pairs) {
  const a = measure(st);
  const b = measure(dy);
  const paper = paperSpeedup(st, dy);
  const x2 = (r: number) => `${r.toFixed(2)}x`;
  rows.push([`${st} / ${dy}`, a.ms, b.ms, x2(a.ms / b.ms), a.macMs, b.macMs, x2(a.macMs / b.macMs), x2(a.macs / b.macs), paper === null ? '-' : x2(paper)]);
}
console.log();
table(['static / Dy', 'static ms', 'Dy ms', 'speed-up', 'static MAC-layer ms', 'Dy MAC-layer ms', 'MAC-layer speed-up', 'MFLOPs ratio', 'paper speed-up'], rows);
