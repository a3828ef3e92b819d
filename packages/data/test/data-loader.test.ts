import fc from 'fast-check';
import { Generator, randperm } from '@dynconv/core';
import { describe, expect, it } from 'vitest';
import { DataLoader, ImageDataset, normalize, permutation, randomCrop, randomHorizontalFlip, streamGenerator, toTensor, type Batch } from '../src/index.js';
import { runs } from '@dynconv/testing';
import { indexDataset, randomUint8Dataset } from './helpers.js';

/** The sample indices a batch holds, read from the images (sample i is filled with i). */
function idsFromImages(b: Batch): number[] {
  const data = b.images.dataSync() as Float32Array;
  const size = data.length / b.indices.length;
  return Array.from({ length: b.indices.length }, (_, i) => data[i * size]!);
}

function epochIndices(loader: DataLoader): number[][] {
  return [...loader].map((b) => Array.from(b.indices));
}

describe('DataLoader batching', () => {
  it('visits every sample exactly once per epoch (or all but the short tail with dropLast)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 17 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (n, batchSize, dropLast, shuffle, seed) => {
          const ds = indexDataset(n, [1, 2, 3], 7);
          const loader = new DataLoader(ds, { batchSize, dropLast, shuffle, seed });
          const full = Math.floor(n / batchSize);
          const expectedBatches = dropLast ? full : Math.ceil(n / batchSize);
          expect(loader.length).toBe(expectedBatches);
          for (let epoch = 0; epoch < 2; epoch++) {
            const batches = [...loader];
            expect(batches.length).toBe(expectedBatches);
            const seen = batches.flatMap((b) => {
              expect(b.images.shape).toEqual([b.indices.length, 1, 2, 3]);
              expect(b.images.dtype).toBe('float32');
              expect(b.labels.shape).toEqual([b.indices.length]);
              expect(b.labels.dtype).toBe('int32');
              expect(b.epoch).toBe(epoch);
              // The images and labels really are those samples'.
              expect(idsFromImages(b)).toEqual(Array.from(b.indices));
              expect(Array.from(b.labels.dataSync())).toEqual(Array.from(b.indices, (i) => i % 7));
              return Array.from(b.indices);
            });
            batches.forEach((b, k) => expect(b.indices.length).toBe(k < full ? batchSize : n - full * batchSize));
            const expectedCount = dropLast ? full * batchSize : n;
            expect(seen.length).toBe(expectedCount);
            expect(new Set(seen).size).toBe(expectedCount);
            if (!dropLast) expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
            if (!shuffle) expect(seen).toEqual(Array.from({ length: expectedCount }, (_, i) => i));
            expect(loader.epoch).toBe(epoch + 1);
          }
        },
      ),
      runs(4),
    );
  });

  it('rejects bad options', () => {
    const ds = indexDataset(4);
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new DataLoader(ds, { batchSize: 1.5 })).toThrow(/batchSize/);
    expect(() => new DataLoader(ds, { seed: Number.NaN })).toThrow(/seed/);
    expect(() => new DataLoader(ds).batchAt(0, 4)).toThrow(RangeError);
  });
});

describe('DataLoader shuffling', () => {
  it('gives the same order for the same seed, and a different one for another seed or epoch', () => {
    const ds = indexDataset(100);
    const a = new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 7 });
    const b = new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 7 });
    const c = new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 8 });
    const epochsA = [0, 1, 2, 3].map(() => epochIndices(a).flat());
    const epochsB = [0, 1, 2, 3].map(() => epochIndices(b).flat());
    expect(epochsA).toEqual(epochsB);
    expect(epochIndices(c).flat()).not.toEqual(epochsA[0]);
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) expect(epochsA[i]).not.toEqual(epochsA[j]);
    expect(epochsA[0]).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('derives each epoch order from (seed, epoch) alone: a fixed, platform-independent sequence', () => {
    // Pinned values: any change to the generator, the seed derivation or the shuffle shows up here.
    const loader = new DataLoader(indexDataset(12), { batchSize: 12, shuffle: true, seed: 42 });
    expect(Array.from(loader.epochOrder(0))).toEqual(PINNED_EPOCH0);
    expect(Array.from(loader.epochOrder(5))).toEqual(Array.from(permutation(12, streamGenerator(42, 1, 5))));
    // ... the same Fisher-Yates as core's randperm.
    expect(Array.from(loader.epochOrder(5))).toEqual(Array.from(randperm(12, { generator: streamGenerator(42, 1, 5) }).dataSync()));
    // setEpoch jumps straight to an epoch.
    const other = new DataLoader(indexDataset(12), { batchSize: 5, shuffle: true, seed: 42 }).setEpoch(5);
    expect(epochIndices(other).flat()).toEqual(Array.from(loader.epochOrder(5)));
  });

  it('takes its seed from a Generator when given one instead of a seed', () => {
    const g = new Generator(3);
    const expectedSeed = new Generator(3).nextUint32();
    const loader = new DataLoader(indexDataset(10), { shuffle: true, generator: g });
    expect(loader.seed).toBe(expectedSeed);
    const oneDraw = new Generator(3);
    oneDraw.nextUint32();
    expect(g.getState()).toEqual(oneDraw.getState());
    expect(new DataLoader(indexDataset(10), { seed: 9, generator: new Generator(1) }).seed).toBe(9);
  });
});

describe('DataLoader state', () => {
  const transform = [randomCrop({ padding: 2 }), randomHorizontalFlip(), toTensor(), normalize(0.5, 0.25)];

  it('continues identically after getState/setState into a fresh loader, mid-epoch or across epochs', () => {
    const ds = randomUint8Dataset(23, [1, 6, 5]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 9 }), fc.boolean(), (consumed, more, batchSize, dropLast) => {
        const make = (): DataLoader => new DataLoader(ds, { batchSize, dropLast, shuffle: true, seed: 1234, transform });
        const take = (loader: DataLoader, count: number): Batch[] => {
          const out: Batch[] = [];
          while (out.length < count) {
            for (const b of loader) {
              out.push(b);
              if (out.length === count) break;
            }
            if (loader.length === 0) break;
          }
          return out;
        };
        const original = make();
        take(original, consumed);
        const state = JSON.parse(JSON.stringify(original.getState())) as ReturnType<DataLoader['getState']>;
        const expected = take(original, more);
        const resumed = make();
        resumed.setState(state);
        const got = take(resumed, more);
        expect(got.map((b) => [b.epoch, b.batch, Array.from(b.indices)])).toEqual(expected.map((b) => [b.epoch, b.batch, Array.from(b.indices)]));
        got.forEach((b, i) => expect(b.images.dataSync()).toEqual(expected[i]!.images.dataSync()));
      }),
      runs(3),
    );
  });

  it('reports the next epoch after the last batch, and rejects states from a different loader', () => {
    const ds = indexDataset(10);
    const loader = new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 5 });
    expect(loader.getState()).toEqual({ seed: 5, epoch: 0, batch: 0, batchSize: 4, datasetLength: 10 });
    const it0 = loader[Symbol.iterator]();
    it0.next();
    expect(loader.getState()).toMatchObject({ epoch: 0, batch: 1 });
    it0.next();
    it0.next();
    expect(loader.getState()).toMatchObject({ epoch: 1, batch: 0 });
    expect(() => new DataLoader(ds, { batchSize: 5 }).setState(loader.getState())).toThrow(/batchSize 4 over 10 samples/);
    expect(() => new DataLoader(indexDataset(11), { batchSize: 4 }).setState(loader.getState())).toThrow(/over 10 samples/);
    expect(() => loader.setState({ ...loader.getState(), batch: 4 })).toThrow(/past the 3 batches/);
    expect(() => loader.setState({ ...loader.getState(), epoch: -1 })).toThrow(/expected \{ seed/);
    // "Just past the last batch" is the next epoch's start.
    expect(loader.setState({ ...loader.getState(), epoch: 2, batch: 3 }).getState()).toMatchObject({ epoch: 3, batch: 0 });
  });

  it('draws augmentations per (seed, epoch, batch): reproducible, and different from batch to batch', () => {
    const ds = new ImageDataset({ images: new Uint8Array(16 * 9 * 9).fill(200), labels: new Uint8Array(16), imageShape: [1, 9, 9] });
    const mk = (seed: number) => new DataLoader(ds, { batchSize: 4, seed, transform: [randomCrop({ padding: 3 })] });
    const a = [...mk(1)].map((b) => Array.from(b.images.dataSync()));
    const b = [...mk(1)].map((b) => Array.from(b.images.dataSync()));
    const c = [...mk(2)].map((b) => Array.from(b.images.dataSync()));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a.map((x) => x.join())).size).toBe(a.length);
    // The same batch of another epoch is augmented differently.
    const loader = mk(1);
    expect(Array.from(loader.batchAt(1, 0).images.dataSync())).not.toEqual(a[0]);
    expect(Array.from(loader.batchAt(0, 0).images.dataSync())).toEqual(a[0]);
  });
});

const PINNED_EPOCH0 = [11, 10, 1, 6, 7, 8, 9, 2, 0, 3, 5, 4];
