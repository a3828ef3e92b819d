/**
 * Weights both ways between dynconv and PyTorch (python/dynconv_torch), through safetensors files:
 *
 * (a) every Dy-CNN variant of tools/models/dy-cnn.ts and every Dy- model of @dynconv/models, with
 *     BatchNorm statistics from train-mode batches, saved by dynconv, loads into the PyTorch
 *     module with load_state_dict(strict=True) (same keys, order and shapes) and gives the same
 *     eval logits: float32 to 1e-5 (the Dy-CNN; kernel and output fusion) and float64 to 1e-9
 *     (the Dy- models at 64x64, 10 classes);
 * (b) the same architectures initialised and trained a few SGD steps in PyTorch, saved by
 *     dynconv_torch, load strictly into dynconv (Module.loadStateDict) with the same eval logits;
 * (c) a checkpoint tools/train.ts writes (a tiny run on real MNIST) opens with
 *     load_dynconv_checkpoint, which rebuilds the stored variant and matches dynconv's logits;
 *     and the DistributedDataParallel example (docs/scaling.md) continues from it in two gloo
 *     processes and saves weights dynconv loads strictly.
 *
 * One Python process does PyTorch's half (test/torch/torch_weights.py). Skipped without PyTorch
 * (with the install command), failing with DYNCONV_TORCH=required, as the other torch suites.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, noGrad, randn, type Tensor } from '@dynconv/core';
import { BatchNorm, decodeSafetensors, encodeSafetensors, type Module } from '@dynconv/nn';
import { type DyModelOptions, MODELS } from '@dynconv/models';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_CONFIG, DyCnn, type DyCnnConfig } from '../../tools/models/dy-cnn.js';
import { parseTrainArgs } from '../../tools/train/args.js';
import { loadSplit, testLoader } from '../../tools/train/data.js';
import { readRun, runTraining } from '../../tools/train/run.js';
import { FLOAT64_RTOL, relativeError } from './compare.js';
import { describeWithTorch, TORCH_PYTHON } from './harness.js';

/** float32 logits: dynconv vs PyTorch on the same weights (measured: about 1e-6 relative at most). */
const FLOAT32_RTOL = 1e-5;

const HERE = fileURLToPath(new URL('.', import.meta.url));

type Forward = Module & { forward(x: Tensor): Tensor };

interface Case {
  name: string;
  family: 'dycnn' | 'model' | 'checkpoint';
  dtype: 'float32' | 'float64';
  config?: DyCnnConfig;
  model?: keyof typeof MODELS;
  options?: DyModelOptions;
  inputShape: number[];
  outputFusion?: boolean;
}

const DYCNN_CASES: Case[] = [
  { name: 'dycnn-dynamic', family: 'dycnn', dtype: 'float32', config: { ...DEFAULT_CONFIG, kind: 'dynamic' }, inputShape: [4, 1, 28, 28], outputFusion: true },
  {
    name: 'dycnn-dynamic-hidden',
    family: 'dycnn',
    dtype: 'float32',
    config: { kind: 'dynamic', stem: 8, stemStride: 1, widths: [12, 20], strides: [2, 1], groupSize: 3, hidden: 6, inChannels: 3, numClasses: 7 },
    inputShape: [4, 3, 20, 20],
    outputFusion: true,
  },
  { name: 'dycnn-static', family: 'dycnn', dtype: 'float32', config: { ...DEFAULT_CONFIG, kind: 'static' }, inputShape: [4, 1, 28, 28] },
  { name: 'dycnn-static-wide', family: 'dycnn', dtype: 'float32', config: { ...DEFAULT_CONFIG, kind: 'static-wide', widths: [16, 24], groupSize: 3 }, inputShape: [4, 1, 28, 28] },
];

/** 64x64 inputs, 10 classes; the ResNets narrowed (and g = 4 in some) to keep the files small. */
const MODEL_CASES: Case[] = [
  { name: 'dyResnet18', model: 'dyResnet18', options: { numClasses: 10, widthMult: 0.5, groupSize: 4 } },
  { name: 'dyResnet50', model: 'dyResnet50', options: { numClasses: 10, widthMult: 0.25, groupSize: 4 } },
  { name: 'dyMobile', model: 'dyMobile', options: { numClasses: 10, groupSize: 4 } },
  { name: 'dyMobilenetV3Small', model: 'dyMobilenetV3Small', options: { numClasses: 10 } },
  { name: 'dyShufflenetV2', model: 'dyShufflenetV2', options: { numClasses: 10 } },
].map((c) => ({ ...c, family: 'model' as const, dtype: 'float64' as const, inputShape: [2, 3, 64, 64], model: c.model as keyof typeof MODELS }));

const TRAIN_STEPS = 3;

function build(c: Case, fusion?: 'kernel' | 'output'): Forward {
  if (c.family === 'dycnn') return new DyCnn(c.config!, { generator: new Generator(1), fusion });
  return MODELS[c.model!]({ ...c.options, dtype: c.dtype, generator: new Generator(1), fusion }) as Forward;
}

/**
 * Random BatchNorm scales and shifts, then running statistics from two train-mode batches
 * (a cumulative average), so eval mode normalises with statistics that fit the activations.
 */
function calibrate(model: Forward, c: Case, g: Generator): void {
  const bns = model.modules().filter((m): m is BatchNorm => m instanceof BatchNorm);
  noGrad(() => {
    for (const bn of bns) {
      bn.weight!.copy_(randn(bn.weight!.shape, { generator: g, dtype: c.dtype }).mul(0.2).add(1));
      bn.bias!.copy_(randn(bn.bias!.shape, { generator: g, dtype: c.dtype }).mul(0.1));
    }
    const momenta = bns.map((bn) => bn.momentum);
    for (const bn of bns) (bn as { momentum: number | null }).momentum = null;
    model.train();
    for (let i = 0; i < 2; i++) model.forward(randn(c.inputShape, { generator: g, dtype: c.dtype }));
    bns.forEach((bn, i) => ((bn as { momentum: number | null }).momentum = momenta[i]!));
  });
  model.eval();
}

function readTensors(path: string): Record<string, Tensor> {
  const bytes = readFileSync(path);
  return decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)).tensors;
}

const maxAbs = (a: Tensor, b: Tensor) => {
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(Number(x[i]) - Number(y[i])));
  return m;
};

interface TorchResult {
  name: string;
  keys: [string, number[]][];
  losses?: number[];
  config?: DyCnnConfig;
  args?: Record<string, unknown>;
  epoch?: number;
  step?: number;
  history?: unknown[];
  normalization?: [number, number] | null;
  training?: boolean;
  seconds: number;
}

describeWithTorch('PyTorch parity: weights both ways (python/dynconv_torch)', () => {
  let dir: string;
  const ownKeys = new Map<string, [string, number[]][]>();
  const ownLogits = new Map<string, Record<string, Tensor>>();
  const results = new Map<string, TorchResult>();
  const report: string[] = [];
  let checkpointConfig: DyCnnConfig;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dynconv-weights-'));
    const manifest: unknown[] = [];
    const g = new Generator(7);
    for (const c of [...DYCNN_CASES, ...MODEL_CASES]) {
      const model = build(c);
      calibrate(model, c, g);
      const sd = model.stateDict();
      ownKeys.set(c.name, Object.entries(sd).map(([k, t]) => [k, [...t.shape]]));
      writeFileSync(join(dir, `${c.name}.dynconv.safetensors`), encodeSafetensors(sd));
      const x = randn(c.inputShape, { generator: g, dtype: c.dtype });
      const ys: Record<string, Tensor> = { kernel: noGrad(() => model.forward(x)) };
      if (c.outputFusion) {
        (model as unknown as DyCnn).setFusion('output');
        ys.output = noGrad(() => model.forward(x));
      }
      ownLogits.set(c.name, ys);
      writeFileSync(join(dir, `${c.name}.io.safetensors`), encodeSafetensors({ x }));
      const classes = c.family === 'dycnn' ? c.config!.numClasses : c.options!.numClasses!;
      manifest.push({
        name: c.name,
        family: c.family,
        dtype: c.dtype,
        config: c.config,
        model: c.model,
        options: c.options,
        state: `${c.name}.dynconv.safetensors`,
        io: `${c.name}.io.safetensors`,
        outputFusion: c.outputFusion ?? false,
        train: { seed: 0, steps: TRAIN_STEPS, lr: c.family === 'dycnn' ? 0.05 : 0.01, inputShape: c.inputShape, classes },
      });
    }

    // (c) A real tools/train.ts run, tiny: 256 MNIST images, one epoch, narrow widths.
    const out = join(dir, 'run');
    const parsed = parseTrainArgs(['--limit', '256', '--epochs', '1', '--test-limit', '100', '--batch-size', '32', '--warmup', '2', '--widths', '8,12', '--stem', '8', '--group-size', '3', '--out', out]);
    if (parsed.help) throw new Error('unexpected --help');
    const run = await runTraining(parsed.args, { write: () => {}, isTTY: false });
    const { checkpoint, extra } = readRun(run.checkpoint);
    checkpointConfig = extra.config;
    const model = new DyCnn(extra.config);
    model.loadStateDict(checkpoint.stateDict);
    model.eval();
    const [batch] = [...testLoader(await loadSplit('mnist', 'test', 16), 'mnist', 'cpu', 16)];
    ownLogits.set('checkpoint', { kernel: noGrad(() => model.forward(batch!.images)) });
    ownKeys.set('checkpoint', Object.entries(model.stateDict()).map(([k, t]) => [k, [...t.shape]]));
    writeFileSync(join(dir, 'checkpoint.io.safetensors'), encodeSafetensors({ x: batch!.images }));
    manifest.push({ name: 'checkpoint', family: 'checkpoint', checkpoint: 'run/checkpoint.safetensors', io: 'checkpoint.io.safetensors' });

    const manifestPath = join(dir, 'manifest.json');
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const r = spawnSync(TORCH_PYTHON, [join(HERE, 'torch_weights.py'), manifestPath, dir], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
      maxBuffer: 1 << 24,
    });
    if (r.status !== 0) throw new Error(`torch_weights.py failed (${r.status ?? r.signal}):\n${r.stderr}`);
    for (const res of (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: TorchResult[] }).results) results.set(res.name, res);
  }, 240_000);

  afterAll(() => {
    if (report.length) console.log(`dynconv vs PyTorch logits (max |difference|, relative error):\n  ${report.join('\n  ')}`);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const rtol = (c: Case) => (c.dtype === 'float64' ? FLOAT64_RTOL : FLOAT32_RTOL);

  for (const c of [...DYCNN_CASES, ...MODEL_CASES]) {
    it(`${c.name}: dynconv's file loads strictly in PyTorch (same keys, order, shapes) and gives the same eval logits (${c.dtype}, ${c.dtype === 'float64' ? '1e-9' : '1e-5'})`, () => {
      const res = results.get(c.name)!;
      expect(res.keys).toEqual(ownKeys.get(c.name));
      const theirs = readTensors(join(dir, `${c.name}.torch.safetensors`));
      for (const [fusion, ours] of Object.entries(ownLogits.get(c.name)!)) {
        const want = theirs[fusion]!;
        const err = relativeError(ours, Float64Array.from(want.dataSync()), want.shape, `${c.name} ${fusion}-fusion logits`);
        report.push(`${c.name} (${c.dtype}, ${fusion} fusion), dynconv -> PyTorch: ${maxAbs(ours, want).toExponential(1)}, ${err.toExponential(1)}`);
        expect(err, `${fusion}-fusion logits: relative error ${err}`).toBeLessThanOrEqual(rtol(c));
      }
    });

    it(`${c.name}: weights trained ${TRAIN_STEPS} SGD steps in PyTorch load strictly into dynconv and give PyTorch's eval logits`, () => {
      const res = results.get(c.name)!;
      expect(res.losses).toHaveLength(TRAIN_STEPS);
      const state = readTensors(join(dir, `${c.name}.trained.safetensors`));
      const model = build(c);
      expect(model.loadStateDict(state)).toEqual({ missingKeys: [], unexpectedKeys: [] });
      // Not dynconv's own initial weights: PyTorch's training changed every BatchNorm's counter.
      expect(Object.entries(state).filter(([k]) => k.endsWith('num_batches_tracked')).every(([, t]) => t.item() === TRAIN_STEPS)).toBe(true);
      model.eval();
      const io = readTensors(join(dir, `${c.name}.trained-io.safetensors`));
      const ours = noGrad(() => model.forward(io.x!));
      const err = relativeError(ours, Float64Array.from(io.y!.dataSync()), io.y!.shape, `${c.name} logits after PyTorch training`);
      report.push(`${c.name} (${c.dtype}, kernel fusion), PyTorch -> dynconv: ${maxAbs(ours, io.y!).toExponential(1)}, ${err.toExponential(1)} (PyTorch's training losses ${res.losses!.map((l) => l.toFixed(3)).join(', ')})`);
      expect(err, `relative error ${err}`).toBeLessThanOrEqual(rtol(c));
    });
  }

  it('a tools/train.ts checkpoint opens with load_dynconv_checkpoint: the stored variant, eval mode, the same logits on MNIST test images', () => {
    const res = results.get('checkpoint')!;
    expect(res.config).toEqual(checkpointConfig);
    expect(res.config).toMatchObject({ kind: 'dynamic', stem: 8, widths: [8, 12], groupSize: 3 });
    expect(res.keys).toEqual(ownKeys.get('checkpoint'));
    expect(res.training).toBe(false);
    expect(res.args).toMatchObject({ dataset: 'mnist', limit: 256, epochs: 1 });
    expect(res.epoch).toBe(1);
    expect(res.step).toBe(8);
    expect(res.history).toHaveLength(1);
    expect(res.normalization).toEqual([0.1307, 0.3081]);
    const ours = ownLogits.get('checkpoint')!.kernel!;
    const want = readTensors(join(dir, 'checkpoint.torch.safetensors')).y!;
    const err = relativeError(ours, Float64Array.from(want.dataSync()), want.shape, 'checkpoint logits');
    report.push(`tools/train.ts checkpoint (float32, kernel fusion), dynconv -> PyTorch: ${maxAbs(ours, want).toExponential(1)}, ${err.toExponential(1)}`);
    expect(err, `relative error ${err}`).toBeLessThanOrEqual(FLOAT32_RTOL);
  });

  it('python/dynconv_torch/examples/ddp_train.py: 2 processes (gloo) start from the checkpoint, and dynconv loads what they save', () => {
    const out = join(dir, 'ddp');
    const script = join(HERE, '..', '..', 'python', 'dynconv_torch', 'examples', 'ddp_train.py');
    const args = ['--procs', '2', '--threads', '1', '--steps', '3', '--batch-size', '8', '--data', 'random', '--limit', '64', '--eval', '20', '--init', join(dir, 'run', 'checkpoint.safetensors'), '--out', out];
    const r = spawnSync(TORCH_PYTHON, [script, ...args], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', OMP_NUM_THREADS: '1' }, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    expect(metrics).toMatchObject({ procs: 2, globalBatch: 16, steps: 3, config: checkpointConfig });
    const bytes = readFileSync(join(out, 'model.safetensors'));
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const config = JSON.parse(metadata['dynconv_torch.config']!) as DyCnnConfig;
    expect(config).toEqual(checkpointConfig);
    const model = new DyCnn(config);
    expect(model.loadStateDict(tensors)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    // Three steps of the trainer's AdamW moved every weight away from the checkpoint's.
    const before = readRun(join(dir, 'run', 'checkpoint.safetensors')).checkpoint.stateDict;
    expect(maxAbs(tensors['head.2.weight']!, before['head.2.weight']!)).toBeGreaterThan(0);
  });
});
