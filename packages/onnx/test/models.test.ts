/**
 * Every model of @dynconv/models exported and run in onnxruntime-node: the static backbones,
 * and the Dy- models with each dynamic-convolution graph (kernel fusion, a Scan over the
 * images; output fusion), at two batch sizes from one export (the batch is dynamic), matching
 * dynconv's eval forward to 1e-4 of the largest logit. Then Debian's ONNX checker
 * (full_check: operator schemas and strict shape inference) accepts every file written.
 *
 * Half-width models (widthMult 0.5; Dy-shuffle and ShuffleNet with torchvision's 0.5 widths)
 * with 10 classes on 64x64 inputs keep it to a few seconds per model; the converters do not
 * depend on the widths.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, randn } from '@dynconv/core';
import { createModel, MODELS, type ModelName } from '@dynconv/models';
import { BatchNorm2d } from '@dynconv/nn';
import { type AnyModule, type DynamicExport, exportOnnx } from '../src/index.js';
import { checkModels, expectOrtMatches, opCounts, ONNX_INSTALL, onnxCheckerUnavailable, randomizeBatchNorms, session } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dynconv-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** Every file written, for the checker at the end. */
const written: string[] = [];

function build(name: ModelName, seed: number): AnyModule {
  const model = createModel(name, { widthMult: 0.5, numClasses: 10, generator: new Generator(seed) });
  randomizeBatchNorms(model, seed + 100);
  return model.eval();
}

const CASES: [ModelName, DynamicExport][] = (Object.keys(MODELS) as ModelName[]).flatMap((name): [ModelName, DynamicExport][] =>
  name.startsWith('dy') ? [[name, 'kernel'], [name, 'output']] : [[name, 'kernel']],
);

describe('onnxruntime runs every exported model as dynconv does (batch 1 and 3 from one export)', () => {
  it.each(CASES)('%s (dynamic convs: %s fusion)', async (name, dynamic) => {
    const model = build(name, 7);
    const bytes = exportOnnx(model, randn([2, 3, 64, 64], { generator: new Generator(1) }), { dynamic });
    const file = join(dir, `${name}-${dynamic}.onnx`);
    writeFileSync(file, bytes);
    written.push(file);
    const s = await session(bytes);
    expect(s.inputNames).toEqual(['input']);
    expect(s.outputNames).toEqual(['output']);
    for (const N of [1, 3]) await expectOrtMatches(s, model, randn([N, 3, 64, 64], { generator: new Generator(N) }), `${name} ${dynamic} batch ${N}`);
  });

  it('a fixed batch (dynamicBatch: false): kernel fusion folds the batch into the groups of one Conv', async () => {
    const model = build('dyResnet18', 3);
    const x = randn([3, 3, 64, 64], { generator: new Generator(5) });
    const bytes = exportOnnx(model, x, { dynamicBatch: false });
    const file = join(dir, 'dyResnet18-fixed-batch.onnx');
    writeFileSync(file, bytes);
    written.push(file);
    const s = await session(bytes);
    await expectOrtMatches(s, model, x, 'dyResnet18 fixed batch 3');
    // The batch is part of the graph now: another one is refused.
    await expect(expectOrtMatches(s, model, randn([2, 3, 64, 64]), 'batch 2')).rejects.toThrow(/dimension|Got invalid dimensions|shape/i);
  });

  it('foldBatchNorm: false keeps BatchNormalization nodes, with the same outputs', async () => {
    const model = build('resnet18', 11);
    const x = randn([2, 3, 64, 64], { generator: new Generator(6) });
    const folded = exportOnnx(model, x);
    const kept = exportOnnx(model, x, { foldBatchNorm: false });
    const file = join(dir, 'resnet18-bn.onnx');
    writeFileSync(file, kept);
    written.push(file);
    // The folded model has no BatchNormalization node left; the other has one per BatchNorm.
    const bns = model.modules().filter((m) => m instanceof BatchNorm2d).length;
    expect(opCounts(folded).BatchNormalization).toBeUndefined();
    expect(opCounts(kept).BatchNormalization).toBe(bns);
    expect(opCounts(kept).Conv).toBe(opCounts(folded).Conv);
    for (const bytes of [folded, kept]) await expectOrtMatches(await session(bytes), model, x, 'resnet18');
  });
});

describe('the ONNX checker (python3-onnx, full_check) accepts every model', () => {
  const problem = onnxCheckerUnavailable();
  const required = process.env.DYNCONV_TORCH === 'required';
  if (problem !== null && !required) console.warn(`packages/onnx: the ONNX checker test is skipped: ${problem}; install it with: ${ONNX_INSTALL}`);
  it.skipIf(problem !== null && !required)('onnx.checker.check_model(model, full_check=True) on every file written above', () => {
    if (problem !== null) throw new Error(`python3-onnx is required here (DYNCONV_TORCH=required): ${problem}; install it with: ${ONNX_INSTALL}`);
    expect(written.length).toBe(CASES.length + 2);
    const results = checkModels(written);
    const failed = [...results].filter(([, r]) => r !== 'ok');
    expect(failed).toEqual([]);
    expect(results.size).toBe(written.length);
  });
});
