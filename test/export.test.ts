/**
 * tools/export.ts and the trainer's Dy-CNN in ONNX: its three nets (dynamic, static,
 * static-wide) exported with tools/models/onnx.ts's converters and run in onnxruntime-node
 * against dynconv (both dynamic-conv graphs, batch 1 and 5 from one export), and the command
 * line on a real checkpoint of tools/train.ts, as a user runs it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Generator, randn } from '@dynconv/core';
import { exportOnnx } from '@dynconv/onnx';
import { checkModels, decodeModel, expectOrtMatches, onnxCheckerUnavailable, randomizeBatchNorms, session } from '../packages/onnx/test/helpers.js';
import { DEFAULT_CONFIG, DyCnn, MODEL_KINDS } from '../tools/models/dy-cnn.js';
import { DY_CNN_CONVERTERS } from '../tools/models/onnx.js';
import { tool, train } from './helpers/train-tools.js';

describe("the trainer's Dy-CNN in onnxruntime", () => {
  it.each(MODEL_KINDS.flatMap((kind) => (kind === 'dynamic' ? (['kernel', 'output'] as const) : (['kernel'] as const)).map((d) => [kind, d] as const)))('%s net (%s fusion)', async (kind, dynamic) => {
    const model = new DyCnn({ ...DEFAULT_CONFIG, kind, hidden: kind === 'dynamic' ? 8 : undefined }, { generator: new Generator(3) });
    randomizeBatchNorms(model, 4);
    model.eval();
    const s = await session(exportOnnx(model, randn([2, 1, 28, 28]), { dynamic, converters: DY_CNN_CONVERTERS }));
    for (const N of [1, 5]) await expectOrtMatches(s, model, randn([N, 1, 28, 28], { generator: new Generator(N) }), `${kind} ${dynamic} batch ${N}`);
  });
});

describe('tools/export.ts on a checkpoint of tools/train.ts', () => {
  let dir = '';
  let checkpoint = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dynconv-export-'));
    const r = await train(['--limit', '64', '--test-limit', '20', '--epochs', '1', '--batch-size', '32', '--warmup', '0', '--out', join(dir, 'run')]);
    expect(r.code, r.stderr).toBe(0);
    checkpoint = join(dir, 'run', 'checkpoint.safetensors');
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['kernel', []],
    ['output', ['--dy-export', 'output']],
    ['fixed batch 3', ['--batch', '3', '--no-fold-bn']],
  ] as const)('exports it (%s) and --check finds onnxruntime within 1e-4 of dynconv', async (label, flags) => {
    const out = join(dir, `${label.replace(/ /g, '-')}.onnx`);
    const r = await tool('tools/export.ts', [checkpoint, '--onnx', out, ...flags, '--check']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/MNIST dynamic net \(epoch 1\/1\)/);
    expect(r.stdout).toMatch(/input 'input' \[(N|3), 1, 28, 28\]: \(pixel \/ 255 - 0\.1307\) \/ 0\.3081; output 'output' \[(N|3), 10\]: logits/);
    expect(r.stdout).toMatch(/onnxruntime-node vs dynconv: batch \d+: max \|diff\|/);
    const meta = Object.fromEntries((decodeModel(readFileSync(out)).metadata_props as { key: string; value: string }[]).map((p) => [p.key, p.value]));
    expect(meta).toMatchObject({ 'dynconv.dataset': 'mnist', 'dynconv.model_kind': 'dynamic', 'dynconv.dynamic': (flags as readonly string[]).includes('output') ? 'output' : 'kernel' });
    if (onnxCheckerUnavailable() === null) expect([...checkModels([out]).values()]).toEqual(['ok']);
  });

  it('bad flags print the usage and exit with code 2', async () => {
    for (const args of [[checkpoint], [checkpoint, '--onnx', 'x.onnx', '--dy-export', 'both'], [checkpoint, '--onnx', 'x.onnx', '--batch', '0']]) {
      const r = await tool('tools/export.ts', args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^export: .*\n\nusage: tsx tools\/export\.ts CHECKPOINT --onnx OUT\.onnx/);
    }
  });
});
