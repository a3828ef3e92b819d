/**
 * Evaluates a checkpoint written by tools/train.ts on its data set's test split: rebuilds the
 * net from the settings stored in the checkpoint, prints the test loss and accuracy and the
 * 10x10 confusion matrix.
 *
 * A Dy-CNN in eval mode mixes its kernels per image (kernel fusion, the paper's inference path);
 * `--fusion output` evaluates the same weights with output fusion (the training path), and
 * `--fusion both` runs both and checks that they classify every image alike (up to near-ties
 * in the logits, where float rounding may pick the other class), exiting with code 1 if not.
 *
 *   tsx tools/evaluate.ts runs/mnist-dynamic/checkpoint.safetensors [--fusion kernel|output|both] [--test-limit N]
 */
import { parseArgs } from 'node:util';
import { runCli, UsageError } from './cli.js';
import { inferenceCost } from './models/cost.js';
import { GPU_MODES, TRAIN_BACKENDS } from './train/args.js';
import { joinNegativeValues, parseImageCount, valueFlagsOf } from './train/argv.js';
import { selectBackend } from './train/backend.js';
import { DATASET_INFO, loadSplit, testLoader } from './train/data.js';
import { type Evaluation, evaluateModel } from './train/evaluation.js';
import { loadTrainedModel } from './train/run.js';

const USAGE = `usage: tsx tools/evaluate.ts CHECKPOINT [flags]

Test accuracy and confusion matrix of a checkpoint written by tools/train.ts.

  --fusion kernel|output|both   the Dy-CNN's path: kernel fusion (the inference path; default),
                                output fusion (the training path), or both, checking they agree
  --test-limit N|all            evaluate on the first N test images (default all; as in
                                tools/train.ts; --limit is the old name)
  --batch-size N                images per forward pass (default 100)
  --backend cpu|gpu             compute backend (default cpu; gpu: gpu.js kernels)
  --gpu-mode MODE               with --backend gpu: ${GPU_MODES.join(', ')} (default auto)
  --help                        this text`;

/** A near-tie: two logits this close may order differently under the two paths' rounding. */
const TIE = 1e-3;


const FLAGS = {
  fusion: { type: 'string' },
  'test-limit': { type: 'string' },
  // The old name of --test-limit.
  limit: { type: 'string' },
  'batch-size': { type: 'string' },
  backend: { type: 'string' },
  'gpu-mode': { type: 'string' },
  help: { type: 'boolean' },
} as const;

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv, valueFlagsOf(FLAGS)),
      allowPositionals: true,
      options: FLAGS,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true as const };
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected one checkpoint, got ${positionals.length} arguments` : 'missing the CHECKPOINT argument');
  const fusion = values.fusion ?? 'kernel';
  if (!['kernel', 'output', 'both'].includes(fusion)) throw new UsageError(`--fusion must be kernel, output or both, got ${JSON.stringify(fusion)}`);
  const backend = values.backend ?? 'cpu';
  if (!TRAIN_BACKENDS.includes(backend)) throw new UsageError(`--backend: unknown backend ${JSON.stringify(backend)} (available: ${TRAIN_BACKENDS.join(', ')})`);
  const gpuMode = values['gpu-mode'];
  if (gpuMode !== undefined && backend !== 'gpu') throw new UsageError('--gpu-mode needs --backend gpu');
  if (gpuMode !== undefined && !(GPU_MODES as readonly string[]).includes(gpuMode)) throw new UsageError(`--gpu-mode must be one of ${GPU_MODES.join(', ')}, got ${JSON.stringify(gpuMode)}`);
  if (values.limit !== undefined && values['test-limit'] !== undefined) throw new UsageError('--limit is the old name of --test-limit: give one of them');
  const limitFlag = values.limit !== undefined ? 'limit' : 'test-limit';
  const count = parseImageCount(limitFlag, values[limitFlag] ?? 'all');
  if ('error' in count) throw new UsageError(count.error);
  const limit = count.value;
  const bs = values['batch-size'] ?? '100';
  if (!/^\d+$/.test(bs) || Number(bs) < 1) throw new UsageError(`--batch-size must be a positive integer, got ${JSON.stringify(bs)}`);
  return { help: false as const, checkpoint: positionals[0]!, fusion: fusion as 'kernel' | 'output' | 'both', limit, batchSize: Number(bs), backend, gpuMode };
}

/** The confusion matrix as a table: rows true classes, columns predictions, per-class accuracy. */
function formatConfusion(confusion: number[][], classes: readonly string[]): string {
  const short = classes.map((c) => c.split(/[ /]/)[0]!.slice(0, 7));
  const w = Math.max(6, ...confusion.flat().map((v) => String(v).length + 1));
  const lines = [`${'true \\ predicted'.padEnd(17)}${short.map((c) => c.padStart(w)).join('')}   accuracy`];
  confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const acc = total ? `${((100 * row[i]!) / total).toFixed(1)}%` : '-';
    // MNIST's class names are the digits themselves.
    const name = short[i] === String(i) ? String(i) : `${i} ${short[i]}`;
    lines.push(`${name.padEnd(17)}${row.map((v) => String(v).padStart(w)).join('')}   ${acc.padStart(7)}`);
  });
  return lines.join('\n');
}

async function main(): Promise<number> {
  const opts = parse(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const chosen = await selectBackend(opts.backend, opts.gpuMode);
  if (chosen) console.log(chosen);
  const { checkpoint, extra, model } = loadTrainedModel(opts.checkpoint);
  const { args, config } = extra;
  const info = DATASET_INFO[args.dataset];
  const test = await loadSplit(args.dataset, 'test', opts.limit);
  const loader = testLoader(test, args.dataset, opts.backend, opts.batchSize);
  const cost = inferenceCost(model);
  const last = extra.history.at(-1);
  console.log(`${opts.checkpoint}: ${info.title}, model ${config.kind} (stem ${config.stem}, widths ${config.widths.join('/')}${config.kind === 'static' ? '' : `, g ${config.groupSize}`}), epoch ${checkpoint.epoch}/${args.epochs}, step ${checkpoint.step}`);
  console.log(`  ${model.numParameters().toLocaleString('en-US')} parameters, ${(cost.total / 1e6).toFixed(3)} MMAC per image at inference`);
  if (last === undefined) console.log('  (the checkpoint was saved before the end of the first epoch)');

  const dynamic = config.kind === 'dynamic';
  if (!dynamic && opts.fusion !== 'kernel') console.log(`  --fusion ${opts.fusion}: a ${config.kind} net has no ${config.kind === 'fixed' ? 'predicted coefficients (its summed kernels are one conv each)' : 'dynamic layers'}; evaluating it once`);
  const paths: ('kernel' | 'output')[] = !dynamic ? ['kernel'] : opts.fusion === 'both' ? ['kernel', 'output'] : [opts.fusion];
  const results = new Map<string, Evaluation>();
  for (const path of paths) {
    model.setFusion(path);
    const r = (await evaluateModel(model, loader, config.numClasses))!;
    results.set(path, r);
    const label = dynamic ? `${path} fusion` : config.kind === 'fixed' ? 'fixed coefficients' : 'static';
    console.log(`\n${label}: test accuracy ${(100 * r.accuracy).toFixed(2)}% (${Math.round(r.accuracy * r.images)}/${r.images}), loss ${r.loss.toFixed(4)}, ${r.seconds.toFixed(1)} s (${Math.round(r.images / r.seconds)} img/s)`);
  }
  const first = results.get(paths[0]!)!;
  console.log(`\nconfusion matrix (${paths[0]}${dynamic ? ' fusion' : ''}):\n${formatConfusion(first.confusion, info.classes)}`);

  if (results.size === 2) {
    const [k, o] = [results.get('kernel')!, results.get('output')!];
    let differ = 0;
    let unexplained = 0;
    for (let i = 0; i < k.predictions.length; i++) {
      if (k.predictions[i] === o.predictions[i]) continue;
      differ++;
      if (Math.min(k.margins[i]!, o.margins[i]!) >= TIE) unexplained++;
    }
    const same = k.accuracy === o.accuracy;
    console.log(
      `\nkernel vs output fusion: accuracy ${(100 * k.accuracy).toFixed(2)}% vs ${(100 * o.accuracy).toFixed(2)}% (${same ? 'equal' : 'different'}); ` +
        `${differ} of ${k.predictions.length} predictions differ${differ ? `, ${differ - unexplained} of them near-ties (top-2 logit gap < ${TIE})` : ''}`,
    );
    if (unexplained > 0) {
      console.error(`evaluate: the two fusion paths disagree on ${unexplained} images that are not near-ties: the paths are not computing the same function`);
      return 1;
    }
  }
  return 0;
}

runCli('evaluate', USAGE, main);
