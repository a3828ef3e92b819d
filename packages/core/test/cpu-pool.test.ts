/**
 * The CPU backend's buffer pool (cpu/buffer-pool.ts): disposed storage is reused, a reused
 * array is never visible through a live tensor, user arrays are never taken, use after
 * dispose still throws, and no kernel depends on a fresh array's zeros (results with a pool
 * full of NaN equal results with pooling off, bit for bit).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  avgPool2d, batchNorm, conv2d, createCpuBackend, crossEntropy, fromTypedArray, Generator, getBackend, grad, maxPool2d, memory, randn, scatterAdd, tensor, type Tensor, tidy, zeros,
} from '../src/index.js';
import { poolOf } from '../src/cpu/storage.js';
import { wasmHeap } from '../src/cpu/wasm-heap.js';
import { runs } from '@dynconv/testing';

createCpuBackend('cpu-nopool', { poolMB: 0 });
createCpuBackend('cpu-pool-test');
const pooled = 'cpu-pool-test';
afterAll(() => poolOf(getBackend(pooled))?.clear());

describe('buffer pool', () => {
  it('reuses the storage of a disposed tensor for the next output of the same length', () => {
    const x = randn([300], { backend: pooled });
    const a = x.mul(2);
    a.dispose();
    const before = memory(pooled);
    const b = x.mul(3);
    const after = memory(pooled);
    expect((after.hits as number) - (before.hits as number)).toBe(1);
    expect(Array.from(b.dataSync())).toEqual(Array.from(x.dataSync(), (v) => Math.fround(v * 3)));
  });

  it('inside a scope, hands out wasm memory rather than an array pooled outside one', () => {
    const heap = wasmHeap()!;
    const n = 4099; // a length no other test uses
    const x = randn([n], { backend: pooled });
    const outside = x.mul(2); // outside tidy: ordinary memory
    expect(heap.addressOf(outside.dataSync() as Float32Array)).toBe(-1);
    outside.dispose(); // pooled, outside wasm memory
    const inside = tidy(() => {
      const y = x.mul(3);
      return heap.addressOf((y.storage as unknown as { data: Float32Array }).data);
    });
    expect(inside).toBeGreaterThanOrEqual(0);
  });

  it('keeps storage alive while any view of it lives', () => {
    const x = randn([4, 50], { backend: pooled });
    const y = x.add(1);
    const v = y.t();
    y.dispose();
    const expected = Array.from(v.dataSync());
    for (let i = 0; i < 5; i++) x.mul(i).add(i); // reuse chances for a wrongly freed array
    tidy(() => x.mul(7).add(1));
    expect(Array.from(v.dataSync())).toEqual(expected);
    expect(() => y.dataSync()).toThrow(/tensor was disposed/);
  });

  it('never takes a user array wrapped by fromTypedArray', () => {
    const arr = new Float32Array(200).fill(7);
    const t = fromTypedArray(arr, [200], 'float32', { backend: pooled });
    t.dispose();
    const x = randn([200], { backend: pooled });
    for (let i = 0; i < 3; i++) x.mul(0).dispose();
    expect(arr.every((v) => v === 7)).toBe(true);
  });

  it('never shows a reused array through a live tensor (random programs of creates, views and disposes)', () => {
    type Live = { t: Tensor; values: number[] };
    const sizes = [[40], [8, 5], [5, 8], [2, 4, 5]];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.nat(), fc.nat()), { minLength: 5, maxLength: 60 }), fc.nat(), (program, seed) => {
        const g = new Generator(seed);
        const live: Live[] = [];
        const add = (t: Tensor) => live.push({ t, values: Array.from(t.dataSync()) });
        for (const [action, i, j] of program) {
          const pick = live.length ? live[i % live.length]! : null;
          switch (action) {
            case 0: add(randn(sizes[j % sizes.length]!, { generator: g, backend: pooled }).mul(1.5)); break;
            case 1: if (pick) add(pick.t.add(j).relu()); break;
            case 2: if (pick) add(pick.t.reshape([-1])); break;
            case 3: if (pick && pick.t.ndim >= 2) add(pick.t.transpose(0, 1)); break;
            case 4: if (pick) add(pick.t.detach()); break;
            case 5:
              if (pick) {
                pick.t.dispose();
                live.splice(i % live.length, 1);
              }
              break;
          }
          for (const l of live) expect(Array.from(l.t.dataSync())).toEqual(l.values);
        }
        for (const l of live) l.t.dispose();
      }),
      runs(2),
    );
  });

  it('gives every kernel the same result with a pool full of NaN as with no pool', () => {
    // One pass of a small conv net through every kernel family, forward and backward.
    const program = (backend: string) => {
      const g = new Generator(5);
      const x = randn([3, 4, 9, 9], { generator: g, backend, dtype: 'float64' }).requiresGrad_();
      const w = randn([6, 4, 3, 3], { generator: g, backend, dtype: 'float64' }).requiresGrad_();
      const dw = randn([6, 1, 3, 3], { generator: g, backend, dtype: 'float64' }).requiresGrad_();
      const gw = randn([6, 3, 1, 1], { generator: g, backend, dtype: 'float64' }).requiresGrad_();
      const labels = tensor([1, 0, 5], { dtype: 'int32', backend });
      const fn = () => {
        let h = conv2d(x, w, null, { stride: 2, padding: 1 });
        h = batchNorm(h, null, null, null, null, true).relu();
        h = conv2d(h, dw, null, { padding: 1, groups: 6 }); // depthwise: accumulates into its output
        h = conv2d(h, gw, null, { groups: 2 }); // grouped 1x1
        h = maxPool2d(h, 2, { stride: 1, ceilMode: true }).add(avgPool2d(h, 2, { stride: 1, padding: 1 }).narrow(2, 0, 4).narrow(3, 0, 4));
        const idx = tensor([[0, 2, 1]], { dtype: 'int32', backend }).expand([3, 3]);
        const s = scatterAdd(zeros([3, 6], { backend, dtype: 'float64' }), 1, idx.contiguous(), h.mean([2, 3]).narrow(1, 0, 3));
        const logits = h.sum([2, 3]).add(s);
        return crossEntropy(logits, labels);
      };
      const loss = fn();
      const grads = grad(loss, [x, w, dw, gw]);
      return [loss, ...grads].map((t) => Array.from(t!.dataSync()));
    };
    const reference = program('cpu-nopool');
    tidy(() => void program(pooled)); // fills the pool with arrays of every length the program uses
    poolOf(getBackend(pooled))!.poison(NaN);
    const withPool = tidy(() => program(pooled));
    expect(withPool).toEqual(reference);
    expect(memory(pooled).hits as number).toBeGreaterThan(0);
  });
});

describe('buffer pool eviction', () => {
  it('drops the least recently used lengths to stay under its cap, freeing their wasm blocks at once', () => {
    createCpuBackend('cpu-pool-small', { poolMB: 64 / 1024 }); // 64 KiB
    const pool = poolOf(getBackend('cpu-pool-small'))!;
    const heap = wasmHeap()!;
    const keepLive = tidy(() => {
      // Four 16 KiB float32 arrays of one length, disposed: the pool holds them (64 KiB).
      for (let i = 0; i < 4; i++) randn([4096], { backend: 'cpu-pool-small' }).mul(2);
      return 0;
    });
    expect(keepLive).toBe(0);
    expect(pool.stats().pooledBytes).toBe(4 * 16384);
    // A new length makes room by dropping old arrays: the pool never passes its cap.
    tidy(() => void randn([4000], { backend: 'cpu-pool-small' }).mul(2));
    expect(pool.stats().pooledBytes).toBeLessThanOrEqual(64 * 1024);
    // The most recent length is still served from the pool.
    const hits = pool.stats().hits;
    tidy(() => void randn([4000], { backend: 'cpu-pool-small' }).mul(2));
    expect(pool.stats().hits).toBeGreaterThan(hits);
    // Dropped arrays give their wasm blocks back at once, not when the GC gets to them.
    const wasmPooled = tidy(() => {
      for (let i = 0; i < 3; i++) randn([2048], { backend: 'cpu-pool-small' }).mul(2);
      return 0;
    });
    expect(wasmPooled).toBe(0);
    const before = heap.tensorBytes;
    const pooled = pool.stats().pooledBytes;
    pool.clear();
    expect(pool.stats().pooledBytes).toBe(0);
    expect(before - heap.tensorBytes).toBeGreaterThanOrEqual(pooled - 2 * 16000); // all but JS arrays
    expect(heap.tensorBytes).toBeLessThan(before);
  });
});
