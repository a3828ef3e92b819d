/**
 * The flags of tools/train.ts: parsing, validation and the usage text. Everything a run depends
 * on ends up in {@link TrainArgs}, which is stored in the checkpoint so that `--resume` and
 * tools/evaluate.ts can rebuild the same run.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG, MODEL_KINDS, type ModelKind } from '../models/dy-cnn.js';
import { joinNegativeValues, parseImageCount, valueFlagsOf } from './argv.js';

/** The data sets `--dataset` accepts. */
export type DatasetName = 'mnist' | 'fashion';
/** The optimizers `--optimizer` accepts. */
export type OptimizerName = 'sgd' | 'adam' | 'adamw';
/** The learning-rate schedules `--schedule` accepts. */
export type ScheduleName = 'cosine' | 'step' | 'none';

/** A run's settings, as parsed and completed with defaults. JSON-able (kept in checkpoints). */
export interface TrainArgs {
  dataset: DatasetName;
  model: ModelKind;
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
  /** Decoupled for AdamW, an L2 term for SGD and Adam. */
  weightDecay: number;
  /** SGD only. */
  momentum: number;
  schedule: ScheduleName;
  /** Optimizer steps of linear warmup (from lr/10) before the schedule. */
  warmup: number;
  labelSmoothing: number;
  /** Random shifts by up to 2 pixels (torchvision's RandomCrop with padding 2). */
  augment: boolean;
  seed: number;
  backend: string;
  /** gpu.js mode for `--backend gpu` ('auto' measures the available ones). */
  gpuMode?: string;
  /** Train on the first N training images (all when absent: `--limit all`). */
  limit?: number;
  /** Evaluate on the first N test images (all when absent). */
  testLimit?: number;
  /**
   * How the Dy-CNN's dynamic convs compute in training mode. Both give the same function; the
   * paper trains with output fusion, kernel fusion measured faster on our CPU. Evaluation
   * always uses kernel fusion, the paper's inference path.
   */
  trainFusion: 'kernel' | 'output';
  /** The paper's g for the dynamic and fixed nets (and the widening of static-wide). */
  groupSize: number;
  /** Channels of the two stages. */
  widths: [number, number];
  /** Channels of the stem. */
  stem: number;
  /** Output folder; absent: runs/<dataset>-<model>, or the checkpoint's folder when resuming. */
  out?: string;
  /** Checkpoint to continue from (not stored: a resumed run keeps the stored args). */
  resume?: string;
  /** Debug: stop as on Ctrl-C after this many optimizer steps in this process. */
  stopAfterSteps?: number;
  /** Debug: check every op's output and gradient for NaN/Inf and name the first that has one (core's detectAnomaly). */
  detectAnomaly?: boolean;
}

/** The settings a checkpoint does not store: where to write, and debugging switches for this process. */
export const UNSTORED_ARGS = ['resume', 'out', 'stopAfterSteps', 'detectAnomaly'] as const;

/** Bad command line: the CLI prints the message and the usage and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The defaults of the run `pnpm start` makes (see docs/results.md for how they were chosen). */
export const DEFAULTS = {
  dataset: 'mnist',
  model: 'dynamic',
  epochs: 1,
  /** Training images: all 60,000 (one epoch; its time: docs/benchmarks.md, "Training: the default run"). */
  limit: undefined as number | undefined,
  batchSize: 64,
  optimizer: 'adamw',
  schedule: 'cosine',
  warmup: 100,
  /** 0.1 with lr 0.01: 99.13% (seed 0) and 99.12% (seed 1) in one epoch (0 and lr 0.006: 98.92%). */
  labelSmoothing: 0.1,
  seed: 0,
  backend: 'cpu',
  trainFusion: 'kernel',
} as const;

/** Learning rate and weight decay by optimizer, when not given. */
export const OPTIMIZER_DEFAULTS: Record<OptimizerName, { lr: number; weightDecay: number }> = {
  sgd: { lr: 0.1, weightDecay: 5e-4 },
  adam: { lr: 3e-3, weightDecay: 0 },
  adamw: { lr: 0.01, weightDecay: 0.05 },
};

/** The text `--help` prints, and bad flags print after their message. */
export const USAGE = `usage: tsx tools/train.ts [flags]

Trains a Dy-CNN (or a static baseline) on MNIST or Fashion-MNIST, evaluating on the test set
after every epoch. Writes OUT/metrics.jsonl, OUT/checkpoint.safetensors and OUT/curves.svg.
Ctrl-C saves a checkpoint at the current step; --resume continues exactly from it.

  --dataset mnist|fashion             data set (default ${DEFAULTS.dataset})
  --model dynamic|static|static-wide|fixed
                                      the Dy-CNN, the static net with the same channels, the static
                                      net with group-size times the channels, or the Dy-CNN without
                                      predictors, coefficients fixed at 1 (the paper's "Fix"; default ${DEFAULTS.model})
  --epochs N                          passes over the training set (default ${DEFAULTS.epochs})
  --batch-size N                      images per step (default ${DEFAULTS.batchSize})
  --optimizer sgd|adam|adamw          (default ${DEFAULTS.optimizer}; sgd uses Nesterov momentum)
  --lr X                              peak learning rate (default: sgd ${OPTIMIZER_DEFAULTS.sgd.lr}, adam ${OPTIMIZER_DEFAULTS.adam.lr}, adamw ${OPTIMIZER_DEFAULTS.adamw.lr})
  --weight-decay X                    (default: sgd ${OPTIMIZER_DEFAULTS.sgd.weightDecay}, adam ${OPTIMIZER_DEFAULTS.adam.weightDecay}, adamw ${OPTIMIZER_DEFAULTS.adamw.weightDecay})
  --momentum X                        SGD momentum (default 0.9)
  --schedule cosine|step|none         lr per step: cosine to 0, x0.1 at 50% and 75% of the steps,
                                      or constant (default ${DEFAULTS.schedule})
  --warmup N                          steps of linear warmup from lr/10 (default ${DEFAULTS.warmup})
  --label-smoothing X                 in [0, 1) (default ${DEFAULTS.labelSmoothing})
  --augment                           random shifts of up to 2 pixels, and horizontal
                                      flips for fashion (default off)
  --seed N                            weights, shuffling and augmentation (default ${DEFAULTS.seed})
  --backend cpu|gpu                   compute backend (default cpu; gpu: gpu.js kernels, see --gpu-mode)
  --gpu-mode MODE                     with --backend gpu: auto, headlessgl, webasm or cpu (default auto:
                                      the fastest that works here, measured)
  --limit N|all                       train on the first N training images (default ${DEFAULTS.limit ?? 'all'})
  --test-limit N|all                  evaluate on the first N test images (default all)
  --train-fusion kernel|output        how dynamic convs compute while training (default ${DEFAULTS.trainFusion});
                                      evaluation always uses kernel fusion
  --group-size N                      the paper's g (default ${DEFAULT_CONFIG.groupSize})
  --widths A,B                        channels of the two stages (default ${DEFAULT_CONFIG.widths.join(',')})
  --stem N                            channels of the stem conv (default ${DEFAULT_CONFIG.stem})
  --out DIR                           output folder (default runs/<dataset>-<model>)
  --resume CHECKPOINT                 continue a run from its checkpoint (its stored settings are
                                      used; only --out, --stop-after-steps and --detect-anomaly
                                      may be given with it)
  --stop-after-steps N                debugging: stop as on Ctrl-C after N steps
  --detect-anomaly                    debugging: stop at the first op whose output or gradient holds
                                      NaN or Inf, naming it (slow; also DYNCONV_DETECT_ANOMALY=1)
  --help                              this text

Negative numbers may follow a space (--lr -1) or an = (--lr=-1).`;

const FLAGS = {
  dataset: { type: 'string' },
  model: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string' },
  'weight-decay': { type: 'string' },
  momentum: { type: 'string' },
  schedule: { type: 'string' },
  warmup: { type: 'string' },
  'label-smoothing': { type: 'string' },
  augment: { type: 'boolean' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  'gpu-mode': { type: 'string' },
  limit: { type: 'string' },
  'test-limit': { type: 'string' },
  'train-fusion': { type: 'string' },
  'group-size': { type: 'string' },
  widths: { type: 'string' },
  stem: { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'string' },
  'stop-after-steps': { type: 'string' },
  'detect-anomaly': { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

/** The backends the tools run on: the CPU, or gpu.js kernels (@dynconv/gpu, loaded only when asked for). */
export const TRAIN_BACKENDS = ['cpu', 'gpu'];

/** The modes `--gpu-mode` accepts (webgl/webgl2 need a browser; webgpu is asynchronous only). */
export const GPU_MODES = ['auto', 'headlessgl', 'webasm', 'cpu'] as const;

/** What the command line asked for: a run, or the usage text. */
export type ParsedCommand = { help: true } | { help: false; args: TrainArgs };

/**
 * Parses tools/train.ts's command line.
 * @throws UsageError for an unknown flag, a positional argument or a bad value.
 */
export function parseTrainArgs(argv: readonly string[]): ParsedCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: joinNegativeValues(argv, valueFlagsOf(FLAGS)), options: FLAGS, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return { help: true };
  const str = (k: keyof typeof FLAGS) => values[k] as string | undefined;
  const given = new Set(Object.keys(values).filter((k) => values[k] !== undefined));

  const dataset = oneOf('dataset', str('dataset') ?? DEFAULTS.dataset, ['mnist', 'fashion'] as const);
  const model = oneOf('model', str('model') ?? DEFAULTS.model, MODEL_KINDS);
  const optimizer = oneOf('optimizer', str('optimizer') ?? DEFAULTS.optimizer, ['sgd', 'adam', 'adamw'] as const);
  const schedule = oneOf('schedule', str('schedule') ?? DEFAULTS.schedule, ['cosine', 'step', 'none'] as const);
  const backend = str('backend') ?? DEFAULTS.backend;
  if (!TRAIN_BACKENDS.includes(backend)) throw new UsageError(`--backend: unknown backend ${JSON.stringify(backend)} (available: ${TRAIN_BACKENDS.join(', ')})`);
  const gpuModeText = str('gpu-mode');
  if (gpuModeText !== undefined && backend !== 'gpu') throw new UsageError('--gpu-mode needs --backend gpu');
  const gpuMode = backend === 'gpu' ? oneOf('gpu-mode', gpuModeText ?? 'auto', GPU_MODES) : undefined;
  const widthsText = str('widths') ?? DEFAULT_CONFIG.widths.join(',');
  const widths = widthsText.split(',').map((w) => integer('widths', w, 1));
  if (widths.length !== 2) throw new UsageError(`--widths must be two positive integers A,B, got ${JSON.stringify(widthsText)}`);
  const limit = (name: 'limit' | 'test-limit', fallback?: number) => {
    const text = str(name);
    if (text === undefined) return fallback;
    const n = parseImageCount(name, text);
    if ('error' in n) throw new UsageError(n.error);
    return n.value;
  };
  const stop = str('stop-after-steps');
  const args: TrainArgs = {
    dataset,
    model,
    epochs: integer('epochs', str('epochs') ?? String(DEFAULTS.epochs), 1),
    batchSize: integer('batch-size', str('batch-size') ?? String(DEFAULTS.batchSize), 1),
    lr: number('lr', str('lr') ?? String(OPTIMIZER_DEFAULTS[optimizer].lr), { positive: true }),
    optimizer,
    weightDecay: number('weight-decay', str('weight-decay') ?? String(OPTIMIZER_DEFAULTS[optimizer].weightDecay), {}),
    momentum: number('momentum', str('momentum') ?? '0.9', { below1: true }),
    schedule,
    warmup: integer('warmup', str('warmup') ?? String(DEFAULTS.warmup), 0),
    labelSmoothing: number('label-smoothing', str('label-smoothing') ?? String(DEFAULTS.labelSmoothing), { below1: true }),
    augment: values.augment === true,
    seed: integer('seed', str('seed') ?? String(DEFAULTS.seed), 0),
    backend,
    ...(gpuMode === undefined ? {} : { gpuMode }),
    limit: limit('limit', DEFAULTS.limit),
    testLimit: limit('test-limit'),
    trainFusion: oneOf('train-fusion', str('train-fusion') ?? DEFAULTS.trainFusion, ['kernel', 'output'] as const),
    groupSize: integer('group-size', str('group-size') ?? String(DEFAULT_CONFIG.groupSize), 1),
    widths: widths as [number, number],
    stem: integer('stem', str('stem') ?? String(DEFAULT_CONFIG.stem), 1),
    out: str('out'),
    resume: str('resume'),
    stopAfterSteps: stop === undefined ? undefined : integer('stop-after-steps', stop, 1),
    ...(values['detect-anomaly'] === true ? { detectAnomaly: true } : {}),
  };
  if (args.resume !== undefined) {
    const allowed = new Set(['resume', 'out', 'stop-after-steps', 'detect-anomaly']);
    const extra = [...given].filter((k) => !allowed.has(k));
    if (extra.length) throw new UsageError(`--resume continues a run with the settings stored in its checkpoint; it cannot be combined with ${extra.map((k) => `--${k}`).join(', ')} (only --out, --stop-after-steps and --detect-anomaly)`);
  }
  return { help: false, args };
}

function oneOf<T extends string>(flag: string, v: string, options: readonly T[]): T {
  if (!(options as readonly string[]).includes(v)) throw new UsageError(`--${flag} must be one of ${options.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function integer(flag: string, v: string, min: number): number {
  const x = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(x) || x < min) throw new UsageError(`--${flag} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return x;
}

function number(flag: string, v: string, rule: { positive?: boolean; below1?: boolean }): number {
  const x = v.trim() === '' ? NaN : Number(v);
  const ok = Number.isFinite(x) && (rule.positive ? x > 0 : x >= 0) && (!rule.below1 || x < 1);
  if (!ok) {
    const what = rule.below1 ? 'a number in [0, 1)' : rule.positive ? 'a positive number' : 'a non-negative number';
    throw new UsageError(`--${flag} must be ${what}, got ${JSON.stringify(v)}`);
  }
  return x;
}
