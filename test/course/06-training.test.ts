/**
 * Solutions to the exercises of docs/course/06-training.md. Each test states its exercise and
 * solves it, in memory, on tiny models and data made here (no MNIST, no files), so the file
 * takes a few seconds at most. DYNCONV_NUM_RUNS sets the cases per property (default 12),
 * DYNCONV_SEED replays one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crossEntropy, Generator, randn, tensor, type Tensor, tidy } from '@dynconv/core';
import { type Batch, DataLoader, type DataLoaderState, ImageDataset, randomCrop, toTensor } from '@dynconv/data';
import {
  AdamW, BatchNorm1d, CosineAnnealingLR, decodeCheckpoint, Dropout, encodeCheckpoint, Flatten, Linear, LinearLR, ReLU, SequentialLR, Sequential,
} from '@dynconv/nn';

const NUM_RUNS = Number(process.env.DYNCONV_NUM_RUNS ?? 12);
const runs = (scale = 1): fc.Parameters<unknown> => ({
  numRuns: Math.max(1, Math.round(NUM_RUNS * scale)),
  ...(process.env.DYNCONV_SEED ? { seed: Number(process.env.DYNCONV_SEED) } : {}),
});

/** Labelled 1x4x4 images of pseudo-random bytes. */
function dataset(length: number, seed: number): ImageDataset {
  const g = new Generator(seed);
  const images = Uint8Array.from({ length: length * 16 }, () => g.nextInt(0, 256));
  const labels = Uint8Array.from({ length }, () => g.nextInt(0, 3));
  return new ImageDataset({ images, labels, imageShape: [1, 4, 4], numClasses: 3 });
}

/** A batch as plain data: which images, and the augmented pixels, exactly. */
const plain = (b: Batch) => ({ epoch: b.epoch, batch: b.batch, indices: Array.from(b.indices), pixels: Array.from(b.images.dataSync()) });

/** A tensor's exact bits, for bit-for-bit comparisons. */
function bits(t: Tensor): string {
  const d = t.contiguous().dataSync();
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');
}

// ---- a miniature of tools/train.ts: model, optimizer, schedule, generator, loader -------------

const STEPS_PER_EPOCH = 3; // 12 images, batch 4
const EPOCHS = 2;

function buildRun() {
  const generator = new Generator(1); // draws the initial weights, then every dropout mask
  const model = new Sequential(
    new Flatten(),
    new Linear(16, 8, { generator }),
    new BatchNorm1d(8), // buffers: running mean and variance, part of the state too
    new ReLU(),
    new Dropout(0.3, { generator }),
    new Linear(8, 3, { generator }),
  );
  const optimizer = new AdamW(model.parameters(), { lr: 0.05 });
  const total = STEPS_PER_EPOCH * EPOCHS;
  const warmup = new LinearLR(optimizer, { startFactor: 0.1, endFactor: 1, totalIters: 2 });
  const scheduler = new SequentialLR(optimizer, [warmup, new CosineAnnealingLR(optimizer, total - 2)], [2]);
  const loader = new DataLoader(dataset(12, 3), { batchSize: 4, shuffle: true, seed: 9, dropLast: true, transform: [randomCrop({ padding: 1 }), toTensor()] });
  return { model, optimizer, scheduler, generator, loader, step: 0 };
}
type Run = ReturnType<typeof buildRun>;

/** Trains until `run.step` reaches `until` (or the run ends), as the trainer's loop does. */
function trainUntil(run: Run, until: number): void {
  const { model, optimizer, scheduler, loader } = run;
  model.train();
  while (run.step < Math.min(until, STEPS_PER_EPOCH * EPOCHS)) {
    for (const batch of loader) {
      tidy(() => {
        const loss = crossEntropy(model.forward(batch.images), batch.labels, { labelSmoothing: 0.1 });
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
      });
      scheduler.step();
      run.step++;
      if (run.step >= until) return;
    }
  }
}

function checkpointOf(run: Run): Uint8Array {
  const { model, optimizer, scheduler, generator, loader, step } = run;
  return encodeCheckpoint({ model, optimizer, scheduler, generators: { init: generator }, epoch: loader.epoch, step, extra: { loader: loader.getState() } });
}

/** Everything that must match for "exact": model tensors, optimizer state, schedule, generator, loader. */
function snapshot(run: Run) {
  const optimizer = run.optimizer.stateDict('tensors');
  return {
    model: Object.fromEntries(Object.entries(run.model.stateDict()).map(([k, t]) => [k, bits(t)])),
    optimizerState: Object.fromEntries(Object.entries(optimizer.state).map(([i, s]) => [i, Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v instanceof Object && 'dataSync' in v ? bits(v as Tensor) : v]))])),
    optimizerGroups: JSON.stringify(optimizer.paramGroups),
    scheduler: JSON.stringify(run.scheduler.stateDict()),
    generator: JSON.stringify(run.generator.getState().map(String)),
    loader: JSON.stringify(run.loader.getState()),
  };
}

describe('chapter 6 exercises: training', () => {
  it('exercise 1: a fresh loader given getState() yields the same remaining batches (indices and augmented pixels), for any stopping point', () => {
    fc.assert(
      fc.property(
        fc.record({
          length: fc.integer({ min: 1, max: 30 }),
          batchSize: fc.integer({ min: 1, max: 8 }),
          seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          dropLast: fc.boolean(),
          shuffle: fc.boolean(),
          stopAfter: fc.integer({ min: 0, max: 12 }), // batches consumed before saving, across epochs
        }),
        (c) => {
          const ds = dataset(c.length, c.seed);
          const opts = { batchSize: c.batchSize, shuffle: c.shuffle, seed: c.seed, dropLast: c.dropLast, transform: [randomCrop({ padding: 1 }), toTensor()] };
          const original = new DataLoader(ds, opts);
          // Consume `stopAfter` batches (possibly over several epochs), stopping mid-loop as a Ctrl-C would.
          let taken = 0;
          for (let epoch = 0; epoch < 20 && taken < c.stopAfter && original.length > 0; epoch++) {
            for (const _ of original) if (++taken === c.stopAfter) break;
          }
          const state: DataLoaderState = JSON.parse(JSON.stringify(original.getState())); // through JSON, as in a checkpoint
          const resumed = new DataLoader(ds, opts).setState(state);
          expect(resumed.getState()).toEqual(original.getState());
          // The rest of this epoch, then one whole epoch more, from both.
          const rest = (l: DataLoader) => [...[...l].map(plain), ...[...l].map(plain)];
          expect(rest(resumed)).toEqual(rest(original));
        },
      ),
      runs(),
    );
  });

  it('exercise 2: checkpoint after k steps, restore into fresh objects, continue: the same bits as an uninterrupted run; without the generator, not', () => {
    const whole = buildRun();
    trainUntil(whole, Infinity);
    const reference = snapshot(whole);
    for (let k = 1; k < STEPS_PER_EPOCH * EPOCHS; k++) {
      const first = buildRun();
      trainUntil(first, k);
      const bytes = checkpointOf(first);

      const resumed = buildRun(); // fresh weights, optimizer, schedule, generator and loader
      const ckpt = decodeCheckpoint(bytes);
      resumed.loader.setState(ckpt.extra.loader as DataLoaderState);
      ckpt.restore({ model: resumed.model, optimizer: resumed.optimizer, scheduler: resumed.scheduler, generators: { init: resumed.generator } });
      resumed.step = ckpt.step;
      trainUntil(resumed, Infinity);
      expect(snapshot(resumed), `stopped after ${k} steps`).toEqual(reference);

      // The same, but the generator is not restored: the dropout masks differ, and so do the weights.
      const forgetful = buildRun();
      forgetful.loader.setState(ckpt.extra.loader as DataLoaderState);
      ckpt.restore({ model: forgetful.model, optimizer: forgetful.optimizer, scheduler: forgetful.scheduler });
      forgetful.step = ckpt.step;
      trainUntil(forgetful, Infinity);
      expect(snapshot(forgetful).model).not.toEqual(reference.model);
    }
  });

  it('exercise 3: restoring into a model of another shape throws and changes nothing (model, optimizer, schedule, generator)', () => {
    // A checkpoint of Linear(4, 3) after 5 steps.
    const make = (extra?: 'wider' | 'buffer') => {
      const generator = new Generator(2);
      const model = extra === 'buffer'
        ? new Sequential(new Linear(4, 3, { generator }), new BatchNorm1d(3, { affine: false })) // same parameters, one more buffer
        : new Sequential(new Linear(4, extra === 'wider' ? 5 : 3, { generator }));
      const optimizer = new AdamW(model.parameters(), { lr: 0.1 });
      const scheduler = new CosineAnnealingLR(optimizer, 10);
      const step = (n: number) => {
        const x = randn([6, 4], { generator: new Generator(7) });
        const y = tensor([0, 1, 2, 0, 1, 2], { dtype: 'int32' });
        for (let i = 0; i < n; i++) {
          tidy(() => {
            const loss = crossEntropy(model.forward(x), y);
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
          });
          scheduler.step();
        }
      };
      return { model, optimizer, scheduler, generator, step };
    };
    const source = make();
    source.step(5);
    const bytes = encodeCheckpoint({ model: source.model, optimizer: source.optimizer, scheduler: source.scheduler, generators: { init: source.generator }, epoch: 0, step: 5 });

    for (const kind of ['wider', 'buffer'] as const) {
      const target = make(kind);
      target.step(2); // a state different from the checkpoint's
      target.generator.nextNormal();
      const before = {
        model: Object.fromEntries(Object.entries(target.model.stateDict()).map(([k, t]) => [k, bits(t)])),
        optimizer: JSON.stringify(target.optimizer.stateDict()),
        scheduler: JSON.stringify(target.scheduler.stateDict()),
        generator: JSON.stringify(target.generator.getState().map(String)),
      };
      expect(() => decodeCheckpoint(bytes).restore({ model: target.model, optimizer: target.optimizer, scheduler: target.scheduler, generators: { init: target.generator } })).toThrow();
      expect({
        model: Object.fromEntries(Object.entries(target.model.stateDict()).map(([k, t]) => [k, bits(t)])),
        optimizer: JSON.stringify(target.optimizer.stateDict()),
        scheduler: JSON.stringify(target.scheduler.stateDict()),
        generator: JSON.stringify(target.generator.getState().map(String)),
      }, kind).toEqual(before);
    }
  });

  it('exercise 4: with label smoothing s over K classes the smallest training loss is the entropy of the smoothed target (0.5003 for s = 0.1, K = 10)', () => {
    const entropy = (s: number, K: number) => {
      const hi = 1 - s + s / K;
      const lo = s / K;
      return -(hi * Math.log(hi) + (K - 1) * lo * Math.log(lo));
    };
    expect(entropy(0.1, 10).toFixed(4)).toBe('0.5003');
    const f64 = { dtype: 'float64' } as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 20 }),
        fc.double({ min: 0.01, max: 0.9, noNaN: true }),
        fc.integer({ min: 0, max: 19 }),
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 20, maxLength: 20 }),
        (K, s, rawLabel, other) => {
          const label = rawLabel % K;
          const target = Array.from({ length: K }, (_, c) => (c === label ? 1 - s + s / K : s / K));
          const labels = tensor([label], { dtype: 'int32' });
          // At logits = log(target) the softmax is the target, and the loss is its entropy...
          const best = crossEntropy(tensor([target.map(Math.log)], f64), labels, { labelSmoothing: s }).item();
          expect(Math.abs(best - entropy(s, K))).toBeLessThan(1e-12);
          // ...and any other logits cost at least as much (Gibbs' inequality).
          const any = crossEntropy(tensor([other.slice(0, K)], f64), labels, { labelSmoothing: s }).item();
          expect(any).toBeGreaterThanOrEqual(best - 1e-12);
        },
      ),
      runs(4),
    );
  });
});
