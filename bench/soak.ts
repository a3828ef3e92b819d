/**
 * Soak test: trains the default Dy-CNN for many steps as tools/train.ts does (MNIST through the
 * real data loader, AdamW, warmup + cosine schedule, tidy() per step) and samples memory as it
 * goes: the process's RSS and V8 heap, and on `--backend gpu` the backend's live storage
 * (device memory). A leak shows as growth after the warm-up; the figure reported is the growth
 * from step --from (default 1,000) to the end. Not part of CI (minutes to hours).
 *
 * Like tools/train/run.ts it yields to the event loop after every step: storage whose tensors
 * were dropped without dispose() (views, values kept past a tidy) comes back only through a
 * FinalizationRegistry callback, and those callbacks never run in a loop that never yields, so
 * a fully synchronous loop shows growth that is not a leak of the framework (see
 * docs/architecture.md, section 5).
 *
 *   pnpm bench:soak [--steps N] [--batch-size N] [--backend cpu|gpu] [--sample-every N] [--from N]
 */
import { parseArgs } from 'node:util';
import { crossEntropy, Generator, memory, tidy } from '@dynconv/core';
import { DEFAULT_CONFIG, DyCnn } from '../tools/models/dy-cnn.js';
import { selectBackend } from '../tools/train/backend.js';
import { loadSplit, trainLoader } from '../tools/train/data.js';
import { buildOptimizer, buildScheduler } from '../tools/train/optim.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '10000' },
    'batch-size': { type: 'string', default: '64' },
    backend: { type: 'string', default: 'cpu' },
    'sample-every': { type: 'string', default: '100' },
    from: { type: 'string', default: '1000' },
  },
});
const positive = (flag: string, text: string): number => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`soak: --${flag} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
};
const steps = positive('steps', values.steps);
const batchSize = positive('batch-size', values['batch-size']);
const every = positive('sample-every', values['sample-every']);
const from = positive('from', values.from);
if (from >= steps) throw new Error(`soak: --from (${from}) must be below --steps (${steps})`);
const backend = values.backend;

interface Sample {
  step: number;
  seconds: number;
  rssMB: number;
  heapMB: number;
  /** Live storage on the backend (device memory on gpu), when it reports it. */
  backendMB?: number;
}

const MB = 2 ** 20;
const started = performance.now();
function sample(step: number): Sample {
  const m = process.memoryUsage();
  const b = memory().numBytes;
  return { step, seconds: (performance.now() - started) / 1000, rssMB: m.rss / MB, heapMB: m.heapUsed / MB, ...(backend === 'gpu' && b !== undefined ? { backendMB: b / MB } : {}) };
}

const chosen = await selectBackend(backend);
if (chosen) console.log(chosen);
const args = { dataset: 'mnist', batchSize, seed: 0, augment: false, backend } as const;
const loader = trainLoader(await loadSplit('mnist', 'train'), args);
const model = new DyCnn({ ...DEFAULT_CONFIG, kind: 'dynamic' }, { generator: new Generator(0) });
model.train().setFusion('kernel');
const optimizer = buildOptimizer(model, { optimizer: 'adamw', lr: 0.01, weightDecay: 0.05, momentum: 0.9 });
const scheduler = buildScheduler(optimizer, { schedule: 'cosine', warmup: 100 }, steps);
console.log(`soak: ${steps} steps of the default Dy-CNN, batch ${batchSize}, backend ${backend}; memory sampled every ${every} steps`);

const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));
const samples: Sample[] = [sample(0)];
let step = 0;
let lossSum = 0;
while (step < steps) {
  for (const batch of loader) {
    lossSum += tidy(() => {
      const loss = crossEntropy(model.forward(batch.images), batch.labels, { labelSmoothing: 0.1 });
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      return loss.item();
    });
    batch.images.dispose();
    batch.labels.dispose();
    scheduler?.step();
    step++;
    await yieldToEvents();
    if (step % every === 0 || step === steps) {
      const s = sample(step);
      samples.push(s);
      console.log(`step ${s.step}: rss ${s.rssMB.toFixed(1)} MB, heap ${s.heapMB.toFixed(1)} MB${s.backendMB === undefined ? '' : `, backend ${s.backendMB.toFixed(1)} MB`}, ${((1000 * s.seconds) / step).toFixed(1)} ms/step, mean loss ${(lossSum / every).toFixed(4)}`);
      lossSum = 0;
    }
    if (step === steps) break;
  }
}

/** Growth of a field from the sample at `from` to the last, in %, with the range in between. */
function growth(field: 'rssMB' | 'heapMB' | 'backendMB'): string | undefined {
  const base = samples.find((s) => s.step >= from)?.[field];
  const last = samples.at(-1)![field];
  if (base === undefined || last === undefined) return undefined;
  const span = samples.filter((s) => s.step >= from).map((s) => s[field]!);
  return `${field.replace('MB', '')} ${base.toFixed(1)} -> ${last.toFixed(1)} MB: ${(((last - base) / base) * 100).toFixed(2)}% (min ${Math.min(...span).toFixed(1)}, max ${Math.max(...span).toFixed(1)} MB)`;
}
console.log(`\nsoak result: ${steps} steps, ${(samples.at(-1)!.seconds / 60).toFixed(1)} min; growth from step ${from} to ${steps}:`);
for (const f of ['rssMB', 'heapMB', 'backendMB'] as const) {
  const g = growth(f);
  if (g) console.log(`  ${g}`);
}
