/**
 * Trainer runs for tools/paper/: each one described by the flags of tools/train.ts, trained in
 * this process through the trainer's own `runTraining` (one at a time: the CPU backend may
 * already use both cores), and reused when its folder already holds a finished run with the
 * same settings. A run stopped half-way (Ctrl-C) is continued from its checkpoint, exactly as
 * `tsx tools/train.ts --resume` would.
 */
import { existsSync } from 'node:fs';
import { noGrad } from '@dynconv/core';
import { join } from 'node:path';
import { inferenceCost } from '../models/cost.js';
import { DyCnn, type DyCnnConfig, type ModelKind } from '../models/dy-cnn.js';
import { type DatasetName, parseTrainArgs, type TrainArgs, UNSTORED_ARGS } from '../train/args.js';
import { loadSplit, testLoader } from '../train/data.js';
import { evaluateModel } from '../train/evaluation.js';
import type { EpochMetrics } from '../train/history.js';
import { formatDuration } from '../train/progress.js';
import { OUTPUT_FILES, readRun, runTraining, type StopControl } from '../train/run.js';
import { type Budget, budgetFlags } from './budget.js';

/** One trainer run of a study. */
export interface RunSpec {
  dataset: DatasetName;
  model: ModelKind;
  /** g of the dynamic and fixed nets, the widening of static-wide (ignored by static). */
  groupSize: number;
  seed: number;
}

/** A finished run and what the report needs of it. */
export interface RunRecord extends RunSpec {
  /** The run's folder. */
  outDir: string;
  checkpoint: string;
  /** The tools/train.ts flags that make this run. */
  argv: string[];
  history: EpochMetrics[];
  /** Test accuracy after the last epoch, in percent. */
  accuracy: number;
  /** Training images per second (the last epoch's). */
  trainImagesPerSecond: number;
  /** Wall-clock seconds of the whole run (training and evaluation). */
  seconds: number;
  params: number;
  /** Inference multiply-adds per image, millions (tools/models/cost.ts). */
  mmac: number;
  config: DyCnnConfig;
  /** True when an earlier finished run was reused. */
  reused: boolean;
}

/** Where the tools are and how they report. */
export interface PaperContext {
  /** runs/paper (runs go in RUNS/<budget>/<run>/). */
  runsDir: string;
  log: (line: string) => void;
  /** Set `stop` to end the current run with a checkpoint (Ctrl-C). */
  control: StopControl;
  /** Show the trainer's own progress lines. */
  verbose: boolean;
  /** Runs trained or reused so far, for the progress prefix. */
  counter: { done: number; total: number };
}

/** Thrown when a run was stopped through the context's control (the caller exits; a rerun continues). */
export class RunStopped extends Error {
  override name = 'RunStopped';
}

/** The run's folder name: `fashion-dynamic-g4-s0`, `mnist-static-s3`. */
export function runName(s: RunSpec): string {
  return `${s.dataset}-${s.model}${s.model === 'static' ? '' : `-g${s.groupSize}`}-s${s.seed}`;
}

/** The tools/train.ts flags of a run at a budget (without --out). */
export function trainFlags(s: RunSpec, b: Budget): string[] {
  return [
    '--dataset', s.dataset, '--model', s.model, '--seed', String(s.seed),
    '--limit', b.limit === undefined ? 'all' : String(b.limit), '--test-limit', b.testLimit === undefined ? 'all' : String(b.testLimit),
    '--epochs', String(b.epochs), '--warmup', String(b.warmup),
    '--group-size', String(s.groupSize), '--widths', b.widths.join(','), '--stem', String(b.stem),
  ];
}

/** The folder of a run at a budget. */
export function runDir(ctx: Pick<PaperContext, 'runsDir'>, s: RunSpec, b: Budget): string {
  return join(ctx.runsDir, b.name, runName(s));
}

/** The settings a checkpoint stores, in a canonical form to compare. */
function canonical(args: Record<string, unknown>): string {
  const stored = Object.fromEntries(Object.entries(args).filter(([k, v]) => v !== undefined && !(UNSTORED_ARGS as readonly string[]).includes(k)));
  return JSON.stringify(stored, Object.keys(stored).sort());
}

/** A run's parameters and inference cost, from its net's settings. */
export function modelFacts(config: DyCnnConfig): { params: number; mmac: number } {
  const model = new DyCnn(config);
  return { params: model.numParameters(), mmac: inferenceCost(model).total / 1e6 };
}

/**
 * Trains the run (or continues it, or reuses it when finished with the same settings) and
 * returns its record.
 * @throws RunStopped when `ctx.control.stop` was set during training.
 */
export async function ensureRun(ctx: PaperContext, spec: RunSpec, budget: Budget): Promise<RunRecord> {
  const outDir = runDir(ctx, spec, budget);
  const checkpoint = join(outDir, OUTPUT_FILES.checkpoint);
  const argv = trainFlags(spec, budget);
  const parsed = parseTrainArgs([...argv, '--out', outDir]);
  if (parsed.help) throw new Error('unreachable');
  const args: TrainArgs = parsed.args;
  const label = `${spec.dataset} ${spec.model}${spec.model === 'static' ? '' : ` g${spec.groupSize}`} seed ${spec.seed}`;
  ctx.counter.done++;
  const prefix = `[${ctx.counter.done}/${ctx.counter.total}] ${budget.name} ${label}`;
  let resume: string | undefined;
  if (existsSync(checkpoint)) {
    try {
      const { extra } = readRun(checkpoint);
      if (canonical(extra.args as unknown as Record<string, unknown>) !== canonical(args as unknown as Record<string, unknown>)) {
        ctx.log(`${prefix}: ${checkpoint} holds a run with other settings; training again`);
      } else if (extra.history.length >= args.epochs) {
        const record = toRecord(spec, outDir, checkpoint, argv, extra.history, extra.config, extra.elapsed, true);
        ctx.log(`${prefix}: ${record.accuracy.toFixed(2)}% (reused)`);
        return record;
      } else {
        resume = checkpoint;
      }
    } catch (e) {
      ctx.log(`${prefix}: cannot reuse ${checkpoint} (${(e as Error).message}); training again`);
    }
  }
  const sink = { write: (t: string) => void (ctx.verbose ? process.stdout.write(t) : undefined), isTTY: false };
  const started = performance.now();
  const result = await runTraining(resume ? { ...args, resume } : args, sink, ctx.control);
  if (result.status === 'stopped') throw new RunStopped(`stopped during ${label}; its checkpoint is saved, and running the same command again continues from it`);
  const { extra } = readRun(checkpoint);
  const record = toRecord(spec, outDir, checkpoint, argv, extra.history, extra.config, extra.elapsed, false);
  ctx.log(`${prefix}: ${record.accuracy.toFixed(2)}% in ${formatDuration((performance.now() - started) / 1000)} (${Math.round(record.trainImagesPerSecond)} img/s training)${resume ? ', continued from its checkpoint' : ''}`);
  return record;
}

function toRecord(spec: RunSpec, outDir: string, checkpoint: string, argv: string[], history: EpochMetrics[], config: DyCnnConfig, elapsed: number, reused: boolean): RunRecord {
  const last = history.at(-1)!;
  return {
    ...spec, outDir, checkpoint, argv, history, config, reused,
    accuracy: 100 * last.testAccuracy,
    trainImagesPerSecond: last.samplesPerSecond,
    seconds: elapsed,
    ...modelFacts(config),
  };
}

/**
 * Inference throughput of a run's checkpoint in eval mode (dynamic convs on kernel fusion), on
 * the first `images` test images in batches of 100, after one warm-up batch: images per second.
 */
export async function measureInference(checkpoint: string, images: number): Promise<number> {
  const { checkpoint: c, extra } = readRun(checkpoint);
  const model = new DyCnn(extra.config);
  c.restore({ model });
  model.eval();
  const test = await loadSplit(extra.args.dataset, 'test', images);
  const loader = testLoader(test, extra.args.dataset, 'cpu');
  // One warm-up batch: the first calls pay for JIT compilation and allocation.
  for (const batch of loader.epochBatches(0)) {
    noGrad(() => model.forward(batch.images));
    break;
  }
  const r = (await evaluateModel(model, loader, extra.config.numClasses))!;
  return r.images / r.seconds;
}

/** The `pnpm paper` command of a budget, and the tools/train.ts command of a run. */
export function commands(b: Budget, spec?: RunSpec): { paper: string; train?: string } {
  const flags = budgetFlags(b);
  return {
    paper: `pnpm paper${flags.length ? ` ${flags.join(' ')}` : ''}`,
    ...(spec ? { train: `npx tsx tools/train.ts ${trainFlags(spec, b).join(' ')}` } : {}),
  };
}
