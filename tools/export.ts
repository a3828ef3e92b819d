/**
 * Exports a checkpoint written by tools/train.ts as an ONNX model: rebuilds the net from the
 * settings stored in the checkpoint, loads its weights, and writes the eval-mode graph with
 * @dynconv/onnx's exportOnnx (dynamic batch size; the Dy-CNN's dynamic convolutions as
 * kernel-fusion graphs, or output-fusion graphs with --dy-export output). --check runs the
 * written model in onnxruntime-node and compares it with dynconv on random inputs.
 *
 *   tsx tools/export.ts runs/mnist-dynamic/checkpoint.safetensors --onnx out.onnx [--dy-export kernel|output] [--check]
 *
 * The model takes normalized images, [N, 1, 28, 28] of (pixel / 255 - mean) / std, the data
 * set's mean and std (stored in the model's metadata), and outputs the logits [N, classes].
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { Generator, noGrad, randn, type Tensor, zeros } from '@dynconv/core';
import { type DynamicExport, exportOnnx } from '@dynconv/onnx';
import { runCli, UsageError } from './cli.js';
import { DyCnn } from './models/dy-cnn.js';
import { DY_CNN_CONVERTERS } from './models/onnx.js';
import { DATASET_INFO } from './train/data.js';
import { loadTrainedModel } from './train/run.js';

const USAGE = `usage: tsx tools/export.ts CHECKPOINT --onnx OUT.onnx [flags]

Exports a checkpoint written by tools/train.ts as an ONNX model (opset 17, eval mode, inputs
[N, 1, 28, 28] normalized as in training, output the logits [N, classes]).

  --onnx PATH                 where to write the model (required)
  --dy-export kernel|output   how the Dy-CNN's dynamic convolutions are exported: kernel fusion
                              (the inference path; default) or output fusion (the training path)
  --batch N|dynamic           the batch size: dynamic (default) or fixed to N (kernel fusion then
                              folds the batch into one grouped convolution instead of a Scan)
  --no-fold-bn                keep BatchNormalization nodes (default: folded into static convs)
  --check                     run the model in onnxruntime-node on random inputs (batch 1 and 5)
                              and compare with dynconv (max relative difference must be <= 1e-4)
  --help                      this text`;


function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        onnx: { type: 'string' },
        'dy-export': { type: 'string' },
        batch: { type: 'string' },
        'no-fold-bn': { type: 'boolean' },
        check: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true as const };
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected one checkpoint, got ${positionals.length} arguments` : 'missing the CHECKPOINT argument');
  if (values.onnx === undefined) throw new UsageError('missing --onnx OUT.onnx (where to write the model)');
  const dynamic = values['dy-export'] ?? 'kernel';
  if (dynamic !== 'kernel' && dynamic !== 'output') throw new UsageError(`--dy-export must be kernel or output, got ${JSON.stringify(dynamic)}`);
  const batchText = values.batch ?? 'dynamic';
  if (batchText !== 'dynamic' && !(/^\d+$/.test(batchText) && Number(batchText) >= 1)) throw new UsageError(`--batch must be a positive integer or dynamic, got ${JSON.stringify(batchText)}`);
  return {
    help: false as const,
    checkpoint: positionals[0]!,
    out: values.onnx,
    dynamic: dynamic as DynamicExport,
    batch: batchText === 'dynamic' ? null : Number(batchText),
    foldBatchNorm: !values['no-fold-bn'],
    check: values.check ?? false,
  };
}

/** Runs the model in onnxruntime-node on random inputs and returns the worst relative difference from dynconv. */
async function check(bytes: Uint8Array, model: DyCnn, shape: readonly number[], batches: number[]): Promise<string[]> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes);
  const generator = new Generator(0);
  const lines: string[] = [];
  for (const N of batches) {
    const x = randn([N, ...shape.slice(1)], { generator });
    const ref = noGrad(() => model.forward(x)).dataSync() as Float32Array;
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) });
    const got = out[session.outputNames[0]!]!.data as Float32Array;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < ref.length; i++) {
      diff = Math.max(diff, Math.abs(ref[i]! - got[i]!));
      scale = Math.max(scale, Math.abs(ref[i]!));
    }
    const rel = diff / (scale || 1);
    if (!(rel <= 1e-4)) throw new Error(`--check: onnxruntime differs from dynconv at batch ${N}: max |diff| ${diff.toExponential(2)}, ${rel.toExponential(2)} of the largest logit`);
    lines.push(`batch ${N}: max |diff| ${diff.toExponential(2)} (${rel.toExponential(2)} of the largest logit)`);
  }
  return lines;
}

async function main(): Promise<number> {
  const opts = parse(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { checkpoint, extra, model } = loadTrainedModel(opts.checkpoint);
  const { args, config } = extra;
  const info = DATASET_INFO[args.dataset];
  const example: Tensor = zeros([opts.batch ?? 1, config.inChannels, 28, 28]);
  const t0 = performance.now();
  const bytes = exportOnnx(model, example, {
    dynamic: opts.dynamic,
    dynamicBatch: opts.batch === null,
    foldBatchNorm: opts.foldBatchNorm,
    converters: DY_CNN_CONVERTERS,
    graphName: `dy-cnn-${config.kind}`,
    metadata: { 'dynconv.dataset': args.dataset, 'dynconv.input_mean': String(info.mean), 'dynconv.input_std': String(info.std), 'dynconv.model_kind': config.kind },
  });
  const ms = performance.now() - t0;
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, bytes);
  const dy = config.kind === 'dynamic' ? `, dynamic convs as ${opts.dynamic}-fusion graphs` : '';
  console.log(`${opts.out}: ${(bytes.length / 1024).toFixed(1)} KiB, ${info.title} ${config.kind} net (epoch ${checkpoint.epoch}/${args.epochs}), batch ${opts.batch ?? 'dynamic'}${dy}; exported in ${ms.toFixed(0)} ms`);
  console.log(`  input 'input' [${opts.batch ?? 'N'}, ${config.inChannels}, 28, 28]: (pixel / 255 - ${info.mean}) / ${info.std}; output 'output' [${opts.batch ?? 'N'}, ${config.numClasses}]: logits`);
  if (opts.check) {
    const lines = await check(bytes, model, example.shape, opts.batch === null ? [1, 5] : [opts.batch]);
    console.log(`  onnxruntime-node vs dynconv: ${lines.join('; ')}`);
  }
  return 0;
}

runCli('export', USAGE, main);
