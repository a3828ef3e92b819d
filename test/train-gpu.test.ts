/**
 * Training on the gpu backend (webasm mode, which works on any machine): tools/train.ts with
 * `--backend gpu` follows the CPU run's losses step by step within float32 tolerance, and a loop
 * of training steps inside tidy() leaves device memory where it was. Like test/train.test.ts
 * the tool runs from the packages' dist/ builds (`tsc -b` first; `pnpm test` does it).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy, Generator, getBackendName, memory, setBackend, tensor, tidy } from '@dynconv/core';
import { createGpuBackend } from '@dynconv/gpu';
import { AdamW } from '@dynconv/nn';
import { loadCheckpoint } from '@dynconv/nn/node';
import { DyCnn } from '../tools/models/dy-cnn.js';
import { modelConfig } from '../tools/train/run.js';

const ROOT = new URL('..', import.meta.url).pathname;
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dynconv-train-gpu-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function train(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/train.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Per-step training losses of a run (128 images in batches of 32: one trace point per step). */
function stepLosses(dir: string): number[] {
  const extra = loadCheckpoint(join(dir, 'checkpoint.safetensors')).extra as { trace: { loss: number }[] };
  return extra.trace.map((p) => p.loss);
}

describe('training with --backend gpu', () => {
  it("follows the CPU backend's losses over the first steps (webasm mode)", async () => {
    const common = ['--limit', '128', '--batch-size', '32', '--test-limit', '100', '--warmup', '2', '--epochs', '1'];
    const [cpu, gpu] = await Promise.all([
      train([...common, '--out', join(tmp, 'cpu')]),
      train([...common, '--backend', 'gpu', '--gpu-mode', 'webasm', '--out', join(tmp, 'gpu')]),
    ]);
    expect(cpu.code, cpu.stderr).toBe(0);
    expect(gpu.code, gpu.stderr).toBe(0);
    expect(gpu.stdout).toMatch(/gpu backend: mode webasm/);
    const want = stepLosses(join(tmp, 'cpu'));
    const got = stepLosses(join(tmp, 'gpu'));
    expect(want).toHaveLength(4);
    expect(got).toHaveLength(4);
    got.forEach((l, i) => expect(Math.abs(l - want[i]!), `step ${i + 1}: gpu ${l}, cpu ${want[i]}`).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(want[i]!)));
  });

  it('a loop of training steps inside tidy() returns device memory to its baseline', () => {
    const gpu = createGpuBackend({ name: 'gpu-train-memory', mode: 'webasm' });
    const prev = getBackendName();
    setBackend(gpu.name);
    try {
      const model = new DyCnn(modelConfig({ model: 'dynamic', stem: 8, widths: [8, 16], groupSize: 2 }), { generator: new Generator(1) });
      const opt = new AdamW(model.parameters(), { lr: 1e-3 });
      const g = new Generator(2);
      const images = tensor(Float32Array.from({ length: 8 * 28 * 28 }, () => g.nextNormal())).reshape([8, 1, 28, 28]);
      const labels = tensor(Int32Array.from({ length: 8 }, (_, i) => i % 10));
      const step = () =>
        tidy(() => {
          const loss = crossEntropy(model.forward(images), labels);
          opt.zeroGrad();
          loss.backward();
          opt.step();
          return loss.item();
        });
      const first = step(); // creates the optimizer state and the gradients
      const baseline = memory(gpu.name);
      const losses = [first];
      for (let i = 0; i < 4; i++) {
        losses.push(step());
        const now = memory(gpu.name);
        expect(now.numTextures, `textures after step ${i + 2}`).toBe(baseline.numTextures);
        expect(now.numBytes, `bytes after step ${i + 2}`).toBe(baseline.numBytes);
      }
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses.at(-1)!).toBeLessThan(losses[0]!); // it learns the batch
    } finally {
      setBackend(prev);
    }
  });
});
