/**
 * The gpu backend's plumbing, in webasm mode (available everywhere): the CPU fallback, mode
 * selection and reporting, setBackend options, storage release.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { conv2d, getBackend, getBackendName, maxPool2d, memory, setBackend, tensor, tidy } from '@dynconv/core';
import { ALL_KERNELS, availableModes, createGpuBackend, gpuBackend, runParitySubset } from '../src/index.js';
import { expectParity, values } from '@dynconv/testing';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('CPU fallback', () => {
  it('runs forced kernels on the CPU explicitly: same results, data moved, one debug notice per kernel', () => {
    const prev = process.env.DYNCONV_DEBUG;
    process.env.DYNCONV_DEBUG = '1';
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
    try {
      const b = createGpuBackend({ name: 'gpu-fallback', mode: 'webasm', cpuKernels: ['Conv2d', 'Conv2dBackpropInput', 'Conv2dBackpropFilter', 'PoolArgMax', 'Assign'] });
      expect(b.nativeKernels).not.toContain('Conv2d');
      expect(b.nativeKernels.length).toBe(ALL_KERNELS.length - 5);
      const x = { values: Float32Array.from(values([2, 3, 6, 6], 1)), baseShape: [2, 3, 6, 6] };
      const w = { values: Float32Array.from(values([4, 3, 3, 3], 2)), baseShape: [4, 3, 3, 3] };
      for (let i = 0; i < 2; i++) {
        expectParity('gpu-fallback', [x, w], (a, k) => maxPool2d(conv2d(a, k, null, { padding: 1 }), 2), { reduce: 72 });
      }
      expect(b.fallbacks.get('Conv2d')).toBe(2);
      expect(b.fallbacks.get('Conv2dBackpropFilter')).toBe(2);
      const notices = debug.mock.calls.map((c) => String(c[0]));
      expect(notices.filter((n) => n.includes("'Conv2d'"))).toHaveLength(1);
      expect(notices.filter((n) => n.includes("'PoolArgMax'"))).toHaveLength(1);
      // In-place writes through the fallback land in the device storage.
      const t = tensor([[1, 2, 3], [4, 5, 6]], { backend: 'gpu-fallback' });
      t.t().narrow(0, 1, 1).copy_(tensor([[9, 8]], { backend: 'gpu-fallback' }));
      expect(t.toArray()).toEqual([[1, 9, 3], [4, 8, 6]]);
      expect(memory('gpu-fallback').fallbackCalls).toBeGreaterThan(0);
    } finally {
      if (prev === undefined) delete process.env.DYNCONV_DEBUG;
      else process.env.DYNCONV_DEBUG = prev;
    }
  });
});

describe('modes', () => {
  it('reports which modes work here and why the others do not', () => {
    const modes = availableModes(['webasm', 'webgl2', 'webgpu']);
    expect(modes[0]).toMatchObject({ mode: 'webasm', available: true });
    expect(modes[1]).toMatchObject({ mode: 'webgl2', available: false });
    expect(modes[1]!.reason).toMatch(/needs a browser/);
    expect(modes[2]!.reason).toMatch(/webgpu.*Promises.*synchronous/);
  });

  it("auto measures the candidates and reports the choice and the renderer", () => {
    // Not headlessgl here: X11 connections made at once from two vitest worker threads (this
    // file and parity.test.ts) can fail; parity.test.ts covers headlessgl.
    const b = createGpuBackend({ name: 'gpu-auto-test', mode: 'auto', candidates: ['webasm', 'cpu'] });
    expect(b.modeReport.requested).toBe('auto');
    expect(b.modeReport.candidates!.length).toBeGreaterThanOrEqual(2);
    const chosen = b.modeReport.candidates!.find((c) => c.mode === b.mode)!;
    const timed = b.modeReport.candidates!.filter((c) => c.ms !== undefined);
    expect(chosen.ms).toBe(Math.min(...timed.map((c) => c.ms!)));
    expect(b.renderer).toBe(b.modeReport.renderer);
  });

  it("setBackend('gpu', { mode }) creates the backend in that mode; another mode later is a clear error", () => {
    const prev = getBackendName();
    try {
      setBackend('gpu', { mode: 'webasm' });
      expect(gpuBackend().mode).toBe('webasm');
      expect(tensor([1, 2]).backend.name).toBe('gpu');
      setBackend('gpu', { mode: 'webasm' });
      expect(() => setBackend('gpu', { mode: 'cpu' })).toThrow(/already runs in mode 'webasm'.*createGpuBackend/);
      expect(() => createGpuBackend({ name: 'gpu-bad', mode: 'quantum' as 'cpu' })).toThrow(/unknown mode "quantum"/);
    } finally {
      setBackend(prev);
    }
  });
});

describe('runParitySubset (what a browser page can run)', () => {
  it('passes every case in webasm mode and leaves no device memory behind', () => {
    createGpuBackend({ name: 'gpu-subset', mode: 'webasm' });
    const before = memory('gpu-subset');
    const results = runParitySubset('gpu-subset');
    expect(results.length).toBeGreaterThanOrEqual(10);
    expect(results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`)).toEqual([]);
    expect(memory('gpu-subset').numTextures).toBe(before.numTextures);
  });
});

describe('storage', () => {
  it('views share a storage; it is released after the last view is disposed, exactly once', () => {
    const b = getBackend('gpu-fallback');
    const before = memory(b.name).numTextures as number;
    const x = tensor([[1, 2], [3, 4]], { backend: b.name });
    const v = x.t();
    expect(memory(b.name).numTextures).toBe(before + 1);
    x.dispose();
    expect(v.toArray()).toEqual([[1, 3], [2, 4]]);
    expect(memory(b.name).numTextures).toBe(before + 1);
    v.dispose();
    v.dispose();
    expect(memory(b.name).numTextures).toBe(before);
    expect(() => v.toArray()).toThrow(/tensor was disposed/);
    const kept = tidy(() => tensor([5], { backend: b.name }).mul(2));
    expect(kept.toArray()).toEqual([10]);
  });
});
