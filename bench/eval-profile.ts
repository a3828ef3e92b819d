/**
 * Times one model's eval forward (batch 1, float32, no tape), for profiling:
 *   npx tsx bench/eval-profile.ts [--model resnet18] [--size 224] [--runs 10]
 * Prints ms per image (median) and the sum of the logits (a bit-exactness check between versions).
 */
import { parseArgs } from 'node:util';
import { Generator, noGrad, randn, tidy } from '@dynconv/core';
import { createModel, type ModelName } from '@dynconv/models';

const { values: flags } = parseArgs({ options: { model: { type: 'string', default: 'resnet18' }, size: { type: 'string', default: '224' }, runs: { type: 'string', default: '10' } } });
const size = Number(flags.size);
const model = createModel(flags.model as ModelName, { generator: new Generator(0) });
model.eval();
const x = randn([1, 3, size, size], { generator: new Generator(1) });
const times: number[] = [];
let sum = 0;
for (let r = 0; r < Number(flags.runs) + 1; r++) {
  const t0 = performance.now();
  sum = tidy(() => noGrad(() => (model.forward(x) as ReturnType<typeof randn>).sum().item()));
  if (r > 0) times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(`${flags.model} eval ${size}x${size}: ${times[Math.floor(times.length / 2)]!.toFixed(1)} ms/image (median of ${times.length}); logit sum ${sum.toPrecision(17)}`);
