/**
 * The training loop of tools/train.ts, with everything that makes a run resumable: the model,
 * optimizer, schedule, data-loader position, the running sums of the epoch in progress and the
 * metrics so far all go into one checkpoint, at the end of every epoch and whenever the run is
 * asked to stop (Ctrl-C). A resumed run replays nothing: it loads that state and continues with
 * the very next batch, so its weights and metrics are those of an uninterrupted run.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crossEntropy, detectAnomaly, Generator, tidy } from '@dynconv/core';
import type { DataLoaderState } from '@dynconv/data';
import { loadCheckpoint, saveCheckpoint, writeFileAtomicSync } from '@dynconv/nn/node';
import { inferenceCost } from '../models/cost.js';
import { DEFAULT_CONFIG, DyCnn, type DyCnnConfig } from '../models/dy-cnn.js';
import type { TrainArgs, UNSTORED_ARGS } from './args.js';
import { renderCurves } from './curves-svg.js';
import { DATASET_INFO, loadSplit, testLoader, trainLoader } from './data.js';
import { evaluateModel } from './evaluation.js';
import { curvesOf, type EpochMetrics, metricsJsonl, type TracePoint } from './history.js';
import { buildOptimizer, buildScheduler, currentLr } from './optim.js';
import { EpochProgress, formatDuration, type ProgressSink } from './progress.js';
import { runExtraOf } from './stored-run.js';

export { runExtraOf };

/** Running sums of the epoch in progress (saved, so a resumed epoch reports the same means). */
interface EpochSums {
  lossSum: number;
  correct: number;
  seen: number;
  /** Wall-clock seconds spent on this epoch so far, and on its training steps alone. */
  seconds: number;
  trainSeconds: number;
  /** The same sums since the last trace point. */
  traceLossSum: number;
  traceCorrect: number;
  traceSeen: number;
  lr: number;
}

/** The checkpoint's `extra`: everything besides tensors and optimizer/schedule state. */
export interface RunExtra {
  /** The run's settings (without --resume, --out and debugging flags). */
  args: Omit<TrainArgs, (typeof UNSTORED_ARGS)[number]>;
  config: DyCnnConfig;
  loader: DataLoaderState;
  history: EpochMetrics[];
  trace: TracePoint[];
  sums: EpochSums;
  /** Wall-clock seconds of the whole run so far. */
  elapsed: number;
}

/** How the caller asks a run to stop (the CLI sets `stop` on SIGINT). */
export interface StopControl {
  stop: boolean;
}

/** How a run ended. */
export interface RunResult {
  status: 'finished' | 'stopped';
  outDir: string;
  checkpoint: string;
  history: EpochMetrics[];
  step: number;
}

/** File names inside the output folder. */
export const OUTPUT_FILES = { checkpoint: 'checkpoint.safetensors', metrics: 'metrics.jsonl', curves: 'curves.svg' } as const;

/** The net a run trains, from its settings. */
export function modelConfig(args: Pick<TrainArgs, 'model' | 'stem' | 'widths' | 'groupSize'>): DyCnnConfig {
  return { ...DEFAULT_CONFIG, kind: args.model, stem: args.stem, widths: [...args.widths], groupSize: args.groupSize };
}

/** A net's name in titles: `Dy-CNN (g = 4)`, `static CNN`, `static CNN, 4x wide`, `Fix-CNN (g = 4)`. */
export function modelTitle(config: Pick<DyCnnConfig, 'kind' | 'groupSize'>): string {
  switch (config.kind) {
    case 'dynamic':
      return `Dy-CNN (g = ${config.groupSize})`;
    case 'static':
      return 'static CNN';
    case 'static-wide':
      return `static CNN, ${config.groupSize}x wide`;
    case 'fixed':
      return `Fix-CNN (g = ${config.groupSize}, coefficients fixed at 1)`;
  }
}

/** Where a run writes when --out is not given. */
export function defaultOutDir(args: Pick<TrainArgs, 'dataset' | 'model'>): string {
  return join('runs', `${args.dataset}-${args.model}`);
}

const freshSums = (): EpochSums => ({ lossSum: 0, correct: 0, seen: 0, seconds: 0, trainSeconds: 0, traceLossSum: 0, traceCorrect: 0, traceSeen: 0, lr: 0 });

/** Lets pending events (a Ctrl-C) run between two synchronous steps. */
const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Trains (or resumes) a run as `args` describe, writing OUT/metrics.jsonl, OUT/curves.svg and
 * OUT/checkpoint.safetensors after every epoch. Progress goes to `sink`. Returns when the run
 * has finished its epochs or has been stopped through `control` (or --stop-after-steps), after
 * saving a checkpoint.
 */
export async function runTraining(cliArgs: TrainArgs, sink: ProgressSink, control: StopControl = { stop: false }): Promise<RunResult> {
  const log = (text: string) => sink.write(`${text}\n`);
  const startedAt = performance.now();
  const resumed = cliArgs.resume === undefined ? undefined : loadCheckpoint(cliArgs.resume);
  const stored = resumed ? runExtraOf(resumed.extra, cliArgs.resume!) : undefined;
  // A resumed run keeps its stored settings; its output goes next to the checkpoint unless --out says otherwise.
  const args: TrainArgs = stored ? { ...stored.args, out: cliArgs.out ?? dirname(cliArgs.resume!), stopAfterSteps: cliArgs.stopAfterSteps, detectAnomaly: cliArgs.detectAnomaly } : cliArgs;
  const outDir = args.out ?? defaultOutDir(args);
  const { resume: _r, stopAfterSteps: _s, out: _o, detectAnomaly: _d, ...storedArgs } = args;

  const info = DATASET_INFO[args.dataset];
  const config = stored?.config ?? modelConfig(args);
  const generator = new Generator(args.seed);
  const model = new DyCnn(config, { generator });
  const [trainSet, testSet] = await Promise.all([loadSplit(args.dataset, 'train', args.limit), loadSplit(args.dataset, 'test', args.testLimit)]);
  const loader = trainLoader(trainSet, args);
  const evalLoader = testLoader(testSet, args.dataset, args.backend);
  const stepsPerEpoch = loader.length;
  if (stepsPerEpoch === 0) throw new Error(`the training set has ${trainSet.length} images, fewer than one batch of ${args.batchSize}`);
  const optimizer = buildOptimizer(model, args);
  const scheduler = buildScheduler(optimizer, args, args.epochs * stepsPerEpoch);

  let history: EpochMetrics[] = [];
  let trace: TracePoint[] = [];
  let sums = freshSums();
  let step = 0;
  let elapsedBefore = 0;
  if (resumed && stored) {
    try {
      // The loader first: it changes nothing when it refuses, and restore is all or nothing.
      loader.setState(stored.loader);
      resumed.restore({ model, optimizer, scheduler, generators: { init: generator } });
    } catch (e) {
      throw new Error(`'${cliArgs.resume}': ${(e as Error).message}`);
    }
    ({ history, trace, sums } = stored);
    step = resumed.step;
    elapsedBefore = stored.elapsed;
  }

  mkdirSync(outDir, { recursive: true });
  const paths = {
    checkpoint: join(outDir, OUTPUT_FILES.checkpoint),
    metrics: join(outDir, OUTPUT_FILES.metrics),
    curves: join(outDir, OUTPUT_FILES.curves),
  };
  const cost = inferenceCost(model);
  const title = `${info.title}: ${modelTitle(config)}`;
  const subtitle = `${model.numParameters().toLocaleString('en-US')} parameters, ${(cost.total / 1e6).toFixed(2)} MMAC per image; ${args.optimizer}, lr ${args.lr}, ${args.schedule} schedule, batch ${args.batchSize}, ${trainSet.length} training images, seed ${args.seed}`;
  const save = () =>
    saveCheckpoint(paths.checkpoint, {
      model,
      optimizer,
      scheduler,
      generators: { init: generator },
      epoch: history.length,
      step,
      extra: { args: storedArgs, config, loader: loader.getState(), history, trace, sums, elapsed: elapsedBefore + (performance.now() - startedAt) / 1000 } satisfies RunExtra as unknown as Record<string, unknown>,
    });

  log(`${resumed ? `resuming ${cliArgs.resume} at epoch ${history.length + 1}, step ${step}` : 'training'}: ${title}`);
  log(`  ${subtitle}`);
  log(`  ${stepsPerEpoch} steps per epoch, ${plural(args.epochs, 'epoch')}; test set ${testSet.length} images; writing to ${outDir}/`);

  let stepsHere = 0;
  const stopNow = () => control.stop || (args.stopAfterSteps !== undefined && stepsHere >= args.stopAfterSteps);
  const traceEvery = Math.max(1, Math.ceil(stepsPerEpoch / 10));
  const stopped = (where: string): RunResult => {
    save();
    log(`stopped ${where} (epoch ${history.length + 1}, step ${step}); checkpoint saved to ${paths.checkpoint}`);
    log(`continue with: tsx tools/train.ts --resume ${paths.checkpoint}`);
    return { status: 'stopped', outDir, checkpoint: paths.checkpoint, history, step };
  };

  while (history.length < args.epochs) {
    const e = history.length;
    const label = `epoch ${e + 1}/${args.epochs}`;
    const progress = new EpochProgress(sink, label, stepsPerEpoch);
    // The loader is past this epoch when a run stopped between its training and its evaluation.
    if (loader.epoch === e) {
      model.train().setFusion(args.trainFusion);
      const epochStart = performance.now();
      const samplesBefore = sums.seen;
      let lastTick = epochStart;
      // Wall-clock time of the training phase, data loading and event-loop turns included.
      const tick = () => {
        const now = performance.now();
        sums.seconds += (now - lastTick) / 1000;
        sums.trainSeconds += (now - lastTick) / 1000;
        lastTick = now;
        return now;
      };
      for (const batch of loader) {
        const lr = currentLr(optimizer);
        // tidy(): a device backend (--backend gpu) frees the step's tensors at once.
        const trainStep = () =>
          tidy(() => {
            const logits = model.forward(batch.images);
            const loss = crossEntropy(logits, batch.labels, { labelSmoothing: args.labelSmoothing });
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
            return { lossValue: loss.item(), correct: countCorrect(logits.detach().dataSync(), batch.labels.dataSync(), config.numClasses) };
          });
        // --detect-anomaly: the first op of forward or backward that makes a NaN/Inf throws, naming itself.
        const { lossValue, correct } = args.detectAnomaly ? detectAnomaly(trainStep) : trainStep();
        batch.images.dispose();
        batch.labels.dispose();
        scheduler?.step();
        step++;
        stepsHere++;
        if (!Number.isFinite(lossValue)) throw new Error(`the loss became ${lossValue} at step ${step} (lr ${lr}); try a lower --lr`);
        const b = batch.labels.shape[0]!;
        sums.lossSum += lossValue * b;
        sums.correct += correct;
        sums.seen += b;
        sums.traceLossSum += lossValue * b;
        sums.traceCorrect += correct;
        sums.traceSeen += b;
        sums.lr = lr;
        const done = batch.batch + 1;
        if (done % traceEvery === 0 || done === stepsPerEpoch) {
          trace.push({ epoch: e + done / stepsPerEpoch, loss: sums.traceLossSum / sums.traceSeen, accuracy: sums.traceCorrect / sums.traceSeen });
          Object.assign(sums, { traceLossSum: 0, traceCorrect: 0, traceSeen: 0 });
        }
        const now = tick();
        const rate = (sums.seen - samplesBefore) / ((now - epochStart) / 1000);
        progress.update({
          done,
          total: stepsPerEpoch,
          loss: sums.lossSum / sums.seen,
          accuracy: sums.correct / sums.seen,
          samplesPerSecond: rate,
          etaSeconds: ((stepsPerEpoch - done) * args.batchSize) / rate,
          lr,
        });
        await yieldToEvents();
        tick();
        if (stopNow()) {
          progress.finish();
          return stopped(done === stepsPerEpoch ? 'after the last step of the epoch' : `at step ${done}/${stepsPerEpoch} of the epoch`);
        }
      }
      progress.finish();
    }

    const evalStart = performance.now();
    // The paper's choice by mode: kernel fusion in eval mode.
    model.setFusion(undefined);
    const result = await evaluateModel(model, evalLoader, config.numClasses, async () => {
      await yieldToEvents();
      return control.stop;
    });
    sums.seconds += (performance.now() - evalStart) / 1000;
    if (!result) return stopped('during evaluation');
    const metrics: EpochMetrics = {
      epoch: e + 1,
      trainLoss: sums.lossSum / sums.seen,
      trainAccuracy: sums.correct / sums.seen,
      testLoss: result.loss,
      testAccuracy: result.accuracy,
      seconds: round(sums.seconds, 2),
      lr: sums.lr,
      step,
      samplesPerSecond: round(sums.seen / sums.trainSeconds, 1),
    };
    history.push(metrics);
    sums = freshSums();
    writeFileAtomicSync(paths.metrics, new TextEncoder().encode(metricsJsonl(history)));
    writeFileAtomicSync(paths.curves, new TextEncoder().encode(renderCurves(curvesOf(history, trace, title, subtitle, args.epochs))));
    save();
    log(
      `${label}: train loss ${metrics.trainLoss.toFixed(4)} acc ${pct(metrics.trainAccuracy)} | test loss ${metrics.testLoss.toFixed(4)} acc ${pct(metrics.testAccuracy)} | ` +
        `${formatDuration(metrics.seconds)} (${metrics.samplesPerSecond} img/s training, evaluation ${result.seconds.toFixed(1)} s)`,
    );
    if (control.stop) return stopped('after the epoch');
  }

  const last = history.at(-1)!;
  const total = elapsedBefore + (performance.now() - startedAt) / 1000;
  log(`done: test accuracy ${pct(last.testAccuracy)} after ${plural(history.length, 'epoch')}, ${formatDuration(total)} in all`);
  log(`  ${paths.metrics}\n  ${paths.curves}\n  ${paths.checkpoint}`);
  return { status: 'finished', outDir, checkpoint: paths.checkpoint, history, step };
}

function countCorrect(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (logits[i * numClasses + c]! > logits[i * numClasses + best]!) best = c;
    if (best === labels[i]) correct++;
  }
  return correct;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** Read-only access for tools/evaluate.ts: the run settings stored in a checkpoint. */
export function readRun(path: string): { checkpoint: ReturnType<typeof loadCheckpoint>; extra: RunExtra } {
  const checkpoint = loadCheckpoint(path);
  return { checkpoint, extra: runExtraOf(checkpoint.extra, path) };
}

/** {@link readRun}, plus the net the checkpoint holds: rebuilt from its stored settings, weights restored, in eval mode. */
export function loadTrainedModel(path: string): ReturnType<typeof readRun> & { model: DyCnn } {
  const run = readRun(path);
  const model = new DyCnn(run.extra.config);
  run.checkpoint.restore({ model });
  model.eval();
  return { ...run, model };
}

