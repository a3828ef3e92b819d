import fc from 'fast-check';
import { Generator } from '@dynconv/core';
import { describe, expect, it } from 'vitest';
import {
  compilePipeline, DataLoader, ImageDataset, MNIST_MEAN, MNIST_STD, normalize, randomCrop, randomHorizontalFlip, toTensor, type SampleInfo, type Transform,
} from '../src/index.js';
import { runs } from '@dynconv/testing';
import { randomUint8Dataset } from './helpers.js';

const imageArb = fc
  .record({ c: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 7 }) })
  .chain(({ c, h, w }) => fc.record({ info: fc.constant<SampleInfo>({ channels: c, height: h, width: w, source: 'float32' }), values: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: c * h * w, maxLength: c * h * w }) }));

function at(values: ArrayLike<number>, info: SampleInfo, c: number, y: number, x: number): number {
  return values[(c * info.height + y) * info.width + x]!;
}

describe('normalize and toTensor', () => {
  it('compute (v / 255 - mean) / std per channel, fused in the loader or applied step by step', () => {
    const ds = randomUint8Dataset(6, [3, 4, 5], 9);
    const mean = [0.1, 0.5, 0.9];
    const std = [0.2, 0.3, 0.4];
    const loader = new DataLoader(ds, { batchSize: 6, transform: [toTensor(), normalize(mean, std)] });
    const out = loader.batchAt(0, 0).images.dataSync();
    const stepwise = Float32Array.from(ds.images);
    const info: SampleInfo = { channels: 3, height: 4, width: 5, source: 'uint8' };
    for (let i = 0; i < 6; i++) {
      const view = stepwise.subarray(i * 60, (i + 1) * 60);
      toTensor().apply(view, info, new Generator(0));
      normalize(mean, std).apply(view, info, new Generator(0));
    }
    for (let i = 0; i < out.length; i++) {
      const c = Math.floor(i / 20) % 3;
      const expected = (ds.images[i]! / 255 - mean[c]!) / std[c]!;
      expect(Math.abs(out[i]! - expected)).toBeLessThan(1e-6 * Math.max(1, Math.abs(expected)));
      expect(Math.abs(stepwise[i]! - expected)).toBeLessThan(1e-6 * Math.max(1, Math.abs(expected)));
    }
  });

  it('MNIST constants map black and white pixels where torchvision does', () => {
    const ds = new ImageDataset({ images: Uint8Array.from([0, 255, 0, 255]), labels: Uint8Array.of(0), imageShape: [1, 2, 2] });
    const out = new DataLoader(ds, { transform: [toTensor(), normalize(MNIST_MEAN, MNIST_STD)] }).batchAt(0, 0).images.dataSync();
    expect(out[0]).toBeCloseTo(-0.1307 / 0.3081, 6);
    expect(out[1]).toBeCloseTo((1 - 0.1307) / 0.3081, 6);
  });

  it('toTensor leaves float32 datasets alone (as torchvision does for float tensors)', () => {
    const ds = new ImageDataset({ images: Float32Array.of(0.25, 0.5), labels: Uint8Array.of(0), imageShape: [1, 1, 2] });
    expect(Array.from(new DataLoader(ds, { transform: toTensor() }).batchAt(0, 0).images.dataSync())).toEqual([0.25, 0.5]);
  });

  it('rejects a zero std and channel-count mismatches', () => {
    expect(() => normalize(0, 0)).toThrow(/std must be finite and non-zero/);
    expect(() => normalize([0, 0], [1, Number.NaN])).toThrow(/std/);
    const ds = randomUint8Dataset(2, [3, 2, 2]);
    expect(() => new DataLoader(ds, { transform: normalize([0, 0], [1, 1]) })).toThrow(/2 values for 3 channels/);
  });
});

describe('randomCrop', () => {
  it('keeps the shape and returns the window of the zero-padded image at the drawn offset', () => {
    fc.assert(
      fc.property(imageArb, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: -3, max: 3 }), ({ info, values }, padding, seed, fill) => {
        const { channels: C, height: H, width: W } = info;
        const image = Float32Array.from(values);
        randomCrop({ padding, fill }).apply(image, info, new Generator(seed));
        expect(image.length).toBe(values.length);
        // Replay the draws (top, then left) and cut the window from an explicitly padded copy.
        const g = new Generator(seed);
        const top = g.nextInt(0, 2 * padding + 1);
        const left = g.nextInt(0, 2 * padding + 1);
        const PH = H + 2 * padding;
        const PW = W + 2 * padding;
        const padded = new Array<number>(C * PH * PW).fill(fill);
        for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) padded[(c * PH + y + padding) * PW + x + padding] = at(values, info, c, y, x);
        for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) expect(at(image, info, c, y, x)).toBe(padded[(c * PH + y + top) * PW + x + left]);
      }),
      runs(10),
    );
  });

  it('reaches every offset in [-padding, padding] and none beyond', () => {
    const info: SampleInfo = { channels: 1, height: 1, width: 9, source: 'float32' };
    const shifts = new Set<number>();
    const g = new Generator(11);
    const crop = randomCrop({ padding: 2 });
    for (let i = 0; i < 300; i++) {
      const row = Float32Array.from({ length: 9 }, (_, x) => x + 1);
      // Vertical shifts blank the single row; only count the horizontal ones.
      crop.apply(row, info, g);
      if (row.every((v) => v === 0)) continue;
      // Output x reads source x + dx: a positive dx shows in row[0], a negative one as leading zeros.
      shifts.add(row[0] === 0 ? -row.findIndex((v) => v !== 0) : row[0]! - 1);
    }
    expect([...shifts].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2]);
  });

  it('rejects a bad padding', () => {
    expect(() => randomCrop({ padding: -1 })).toThrow(/padding/);
    expect(() => randomCrop({ padding: 1.5 })).toThrow(/padding/);
  });
});

describe('randomHorizontalFlip', () => {
  it('reverses every row when it fires (always at p = 1, never at p = 0, by the drawn number otherwise)', () => {
    fc.assert(
      fc.property(imageArb, fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom(0, 0.3, 0.5, 1), ({ info, values }, seed, p) => {
        const image = Float32Array.from(values);
        randomHorizontalFlip(p).apply(image, info, new Generator(seed));
        const fires = new Generator(seed).nextDouble() < p;
        if (p === 1) expect(fires).toBe(true);
        if (p === 0) expect(fires).toBe(false);
        const { channels: C, height: H, width: W } = info;
        for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) expect(at(image, info, c, y, x)).toBe(at(values, info, c, y, fires ? W - 1 - x : x));
      }),
      runs(10),
    );
  });

  it('draws exactly one number per image, flipped or not', () => {
    const g = new Generator(4);
    const ref = new Generator(4);
    const info: SampleInfo = { channels: 1, height: 2, width: 2, source: 'float32' };
    for (let i = 0; i < 10; i++) {
      randomHorizontalFlip(0.5).apply(new Float32Array(4), info, g);
      ref.nextDouble();
    }
    expect(g.getState()).toEqual(ref.getState());
  });
});

describe('compiled pipelines', () => {
  const steps: Record<string, Transform> = {
    toTensor: toTensor(),
    normalize: normalize([0.2, 0.4, 0.6], [0.5, 2, 0.25]),
    crop: randomCrop({ padding: 2, fill: 7 }),
    flip: randomHorizontalFlip(0.5),
    scale: { name: 'double', apply: (x) => x.forEach((v, i) => (x[i] = v * 2)) },
  };
  it('equal applying the steps one by one, whatever the order and storage type', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...Object.keys(steps)), { maxLength: 6 }), fc.boolean(), fc.integer({ min: 0, max: 2 ** 31 }), (names, uint8, seed) => {
        const transforms = names.map((n) => steps[n]!);
        const info: SampleInfo = { channels: 3, height: 5, width: 4, source: uint8 ? 'uint8' : 'float32' };
        const src = randomUint8Dataset(1, [3, 5, 4], seed).images;
        const source = uint8 ? src : Float32Array.from(src, (v) => v / 255);
        const fused = new Float32Array(62);
        compilePipeline(transforms, info)(source, 0, fused, 1, new Generator(seed));
        const manual = Float32Array.from(source);
        const g = new Generator(seed);
        for (const t of transforms) t.apply(manual, info, g);
        expect(fused[0]).toBe(0);
        expect(fused[61]).toBe(0);
        for (let i = 0; i < 60; i++) expect(Math.abs(fused[i + 1]! - manual[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(manual[i]!)));
      }),
      runs(10),
    );
  });
});
