/**
 * How much training each tool of tools/paper/ does: three budgets (quick, default, full) and
 * the flags that override a budget's parts (the tests use them to make runs of seconds).
 *
 * The default budget is sized for about 20 minutes on the project's 2-core machine, where the
 * Dy-CNN trains at 500-700 images/s, the static net at 800-900 and the static-wide net (16x the
 * multiply-adds) at about 150: 45 trainer runs (30 for the study, 15 more for the ablation) of
 * one epoch over 6,000 training images, each evaluated on 2,000 test images.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../cli.js';
import type { DatasetName } from '../train/args.js';
import { parseImageCount } from '../train/argv.js';

/** The budgets, smallest first. */
export const BUDGET_NAMES = ['quick', 'default', 'full'] as const;
/** One of {@link BUDGET_NAMES}. */
export type BudgetName = (typeof BUDGET_NAMES)[number];

/** Everything a budget fixes. */
export interface Budget {
  name: BudgetName;
  /** Training images per run (undefined: all 60,000). */
  limit: number | undefined;
  /** Test images each run is evaluated on (undefined: all 10,000). */
  testLimit: number | undefined;
  epochs: number;
  /** Optimizer steps of warmup (the trainer's 100 would be most of a 94-step run). */
  warmup: number;
  /** Seeds of the equal-FLOPs study: 0 .. seeds-1. */
  seeds: number;
  /** Seeds of the group-size ablation. */
  ablationSeeds: number;
  /** The data sets of the study (the ablation runs on Fashion-MNIST when it is one of them, else on the first). */
  datasets: DatasetName[];
  /** The ablation's group sizes. */
  groupSizes: number[];
  /** The group size of the study's dynamic net, of static-wide's widening and of the Fix variant. */
  groupSize: number;
  /** The nets' stage widths and stem. */
  widths: [number, number];
  stem: number;
  /** Test images the correlation analysis runs over. */
  correlationImages: number;
  /** Images whose generated kernels are correlated (each image's with each other). */
  kernelImages: number;
  /** Test images timed for inference throughput. */
  speedImages: number;
  /** Profile the ImageNet models at 224x224 for the FLOPs-reduction claim (about 15 s). */
  flops: boolean;
}

const COMMON = { epochs: 1, warmup: 20, datasets: ['mnist', 'fashion'] as DatasetName[], groupSizes: [1, 2, 4, 6, 8], groupSize: 4, widths: [32, 64] as [number, number], stem: 16 };

/** The three budgets. */
export const BUDGETS: Record<BudgetName, Budget> = {
  /** A smoke test of every step: a minute or two. */
  quick: { ...COMMON, name: 'quick', limit: 512, testLimit: 500, seeds: 2, ablationSeeds: 2, correlationImages: 200, kernelImages: 50, speedImages: 300, flops: false },
  /** `pnpm paper`: about 20 minutes on 2 cores. */
  default: { ...COMMON, name: 'default', limit: 6000, testLimit: 2000, seeds: 5, ablationSeeds: 3, correlationImages: 1000, kernelImages: 100, speedImages: 1000, flops: true },
  /** `pnpm paper --full`: five times the training images, the whole test set (about 1 h 15 min more). */
  full: { ...COMMON, name: 'full', limit: 30000, testLimit: undefined, seeds: 5, ablationSeeds: 3, correlationImages: 2000, kernelImages: 200, speedImages: 2000, flops: true },
};

/** The command line shared by tools/paper/*.ts: a budget and overrides. */
export interface PaperOptions {
  budget: Budget;
  /** Also run the default budget's study first (`--full` reports both budgets). */
  budgets: Budget[];
  /** Where runs go: RUNS/<budget>/<run>/ (default runs/paper). */
  runsDir: string;
  /** Print the trainer's own progress lines. */
  verbose: boolean;
  /** Positional arguments (correlation.ts takes checkpoints). */
  positionals: string[];
  /** Flags a tool adds for itself, as parsed. */
  extra: Record<string, string | boolean | string[] | undefined>;
}


/** The usage lines every tool of tools/paper/ shares. */
export const COMMON_USAGE = `  --quick                 the smoke-test budget (a minute or two)
  --full                  the longer budget (the study is also run, or reused, at the default budget)
  --runs DIR              where runs are kept and reused (default runs/paper; DIR/<budget>/<run>/)
  --verbose               show the trainer's progress lines
  Overrides of the budget (for tests and experiments; the report names every setting used):
  --seeds N --ablation-seeds N --limit N|all --test-limit N|all --epochs N --warmup N
  --datasets mnist,fashion --group-sizes 1,2,4,6,8 --group-size G --widths A,B --stem N
  --correlation-images N --kernel-images N --speed-images N --no-flops`;

const FLAGS = {
  quick: { type: 'boolean' },
  full: { type: 'boolean' },
  runs: { type: 'string' },
  verbose: { type: 'boolean' },
  seeds: { type: 'string' },
  'ablation-seeds': { type: 'string' },
  limit: { type: 'string' },
  'test-limit': { type: 'string' },
  epochs: { type: 'string' },
  warmup: { type: 'string' },
  datasets: { type: 'string' },
  'group-sizes': { type: 'string' },
  'group-size': { type: 'string' },
  widths: { type: 'string' },
  stem: { type: 'string' },
  'correlation-images': { type: 'string' },
  'kernel-images': { type: 'string' },
  'speed-images': { type: 'string' },
  'no-flops': { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

type ExtraFlags = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

/**
 * Parses a tools/paper/ command line: the budget, its overrides, and the tool's own flags
 * (`extraFlags`). Returns undefined for --help.
 * @throws UsageError for bad flags.
 */
export function parsePaperArgs(argv: readonly string[], extraFlags: ExtraFlags = {}, allowPositionals = false): PaperOptions | undefined {
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: { ...FLAGS, ...extraFlags }, strict: true, allowPositionals }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return undefined;
  if (values.quick && values.full) throw new UsageError('--quick and --full are two budgets: give one of them');
  const base = BUDGETS[values.quick ? 'quick' : values.full ? 'full' : 'default'];
  const str = (k: string) => values[k] as string | undefined;
  const int = (k: string, min: number): number | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const x = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(x) || x < min) throw new UsageError(`--${k} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    return x;
  };
  const list = (k: string, min: number): number[] | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const xs = v.split(',').map((s) => (/^\s*\d+\s*$/.test(s) ? Number(s) : NaN));
    if (!xs.length || xs.some((x) => !Number.isSafeInteger(x) || x < min)) throw new UsageError(`--${k} must be integers >= ${min} separated by commas, got ${JSON.stringify(v)}`);
    return xs;
  };
  const count = (k: string): number | undefined | null => {
    const v = str(k);
    if (v === undefined) return null;
    const r = parseImageCount(k, v);
    if ('error' in r) throw new UsageError(r.error);
    return r.value;
  };
  const datasetsText = str('datasets');
  const datasets = datasetsText?.split(',') as DatasetName[] | undefined;
  if (datasets && (!datasets.length || datasets.some((d) => d !== 'mnist' && d !== 'fashion') || new Set(datasets).size !== datasets.length)) {
    throw new UsageError(`--datasets must be mnist, fashion or both separated by a comma, got ${JSON.stringify(datasetsText)}`);
  }
  const widths = list('widths', 1);
  if (widths && widths.length !== 2) throw new UsageError(`--widths must be two integers A,B, got ${JSON.stringify(str('widths'))}`);
  const limit = count('limit');
  const testLimit = count('test-limit');
  const override = (b: Budget): Budget => ({
    ...b,
    ...(limit !== null ? { limit } : {}),
    ...(testLimit !== null ? { testLimit } : {}),
    epochs: int('epochs', 1) ?? b.epochs,
    warmup: int('warmup', 0) ?? b.warmup,
    seeds: int('seeds', 2) ?? b.seeds,
    ablationSeeds: int('ablation-seeds', 2) ?? b.ablationSeeds,
    datasets: datasets ?? b.datasets,
    groupSizes: list('group-sizes', 1) ?? b.groupSizes,
    groupSize: int('group-size', 1) ?? b.groupSize,
    widths: (widths as [number, number] | undefined) ?? b.widths,
    stem: int('stem', 1) ?? b.stem,
    correlationImages: int('correlation-images', 2) ?? b.correlationImages,
    kernelImages: int('kernel-images', 1) ?? b.kernelImages,
    speedImages: int('speed-images', 1) ?? b.speedImages,
    flops: values['no-flops'] ? false : b.flops,
  });
  const budget = override(base);
  // --full: the default budget's study too, with the same overrides of what is not budget-specific.
  const budgets = budget.name === 'full' ? [{ ...override(BUDGETS.default), datasets: budget.datasets }, budget] : [budget];
  const extra = Object.fromEntries(Object.keys(extraFlags).map((k) => [k, values[k]]));
  return { budget, budgets, runsDir: str('runs') ?? 'runs/paper', verbose: values.verbose === true, positionals, extra };
}

/** The flags that reproduce a budget's overrides (for the report's commands): empty for an untouched budget. */
export function budgetFlags(b: Budget): string[] {
  const base = BUDGETS[b.name];
  const flags: string[] = b.name === 'default' ? [] : [`--${b.name}`];
  const num = (k: string, v: number | undefined, w: number | undefined) => {
    if (v !== w) flags.push(`--${k}`, v === undefined ? 'all' : String(v));
  };
  num('limit', b.limit, base.limit);
  num('test-limit', b.testLimit, base.testLimit);
  num('epochs', b.epochs, base.epochs);
  num('warmup', b.warmup, base.warmup);
  num('seeds', b.seeds, base.seeds);
  num('ablation-seeds', b.ablationSeeds, base.ablationSeeds);
  if (b.datasets.join() !== base.datasets.join()) flags.push('--datasets', b.datasets.join(','));
  if (b.groupSizes.join() !== base.groupSizes.join()) flags.push('--group-sizes', b.groupSizes.join(','));
  num('group-size', b.groupSize, base.groupSize);
  if (b.widths.join() !== base.widths.join()) flags.push('--widths', b.widths.join(','));
  num('stem', b.stem, base.stem);
  num('correlation-images', b.correlationImages, base.correlationImages);
  num('kernel-images', b.kernelImages, base.kernelImages);
  num('speed-images', b.speedImages, base.speedImages);
  if (b.flops !== base.flops) flags.push('--no-flops');
  return flags;
}

/** The data set the ablation runs on: Fashion-MNIST (more headroom than MNIST) when the budget has it. */
export function ablationDataset(b: Budget): DatasetName {
  return b.datasets.includes('fashion') ? 'fashion' : b.datasets[0]!;
}
