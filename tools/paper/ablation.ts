/**
 * The group-size ablation, after the paper's Table 5: the Dy-CNN with g = 1, 2, 4, 6, 8 and
 * the "Fix" variant (the same channels and kernel banks without the predictor, coefficients
 * fixed at 1), over seeds: accuracy, parameters, inference MMAC, training and inference
 * images per second. The static net (no bank, no predictor) is listed for reference.
 *
 *   npx tsx tools/paper/ablation.ts [--quick | --full] [overrides]   (see --help)
 */
import { join } from 'node:path';
import { renderErrorBarChart, summarize, welchTTest, type WelchResult } from '@dynconv/analysis';
import type { DatasetName } from '../train/args.js';
import { DATASET_INFO } from '../train/data.js';
import { ablationDataset, type Budget, COMMON_USAGE, parsePaperArgs } from './budget.js';
import { cliContext, isMain, markdownTable, pm, pValue, runMain, signed, writeOutputs } from './cli.js';
import { ensureRun, type PaperContext, type RunRecord, type RunSpec } from './runs.js';
import { budgetText, type ModelStat, modelStat } from './study.js';

/** One row of the ablation: a net, its runs and (except for the static reference) its test against Fix. */
export interface AblationVariant extends ModelStat {
  /** `g1` .. `g8`, `fix`, `static`. */
  key: string;
}

/** The ablation at one budget. */
export interface AblationResult {
  budget: Budget;
  dataset: DatasetName;
  seeds: number;
  /** The dynamic nets by g, then Fix, then the static reference. */
  variants: AblationVariant[];
  /** Welch's t-test of each dynamic net against Fix (dynamic minus Fix). */
  vsFix: Record<string, WelchResult>;
  /** Welch's t-test of each dynamic net against the smallest g (this minus that). */
  vsSmallest: Record<string, WelchResult>;
}

/** The ablation's runs at a budget. */
export function ablationSpecs(b: Budget): RunSpec[] {
  const dataset = ablationDataset(b);
  const seeds = Array.from({ length: b.ablationSeeds }, (_, s) => s);
  return [
    ...b.groupSizes.flatMap((groupSize) => seeds.map((seed): RunSpec => ({ dataset, model: 'dynamic', groupSize, seed }))),
    ...seeds.map((seed): RunSpec => ({ dataset, model: 'fixed', groupSize: b.groupSize, seed })),
    ...seeds.map((seed): RunSpec => ({ dataset, model: 'static', groupSize: b.groupSize, seed })),
  ];
}

/** Trains (or reuses; the study's runs at the same settings are the same folders) the ablation's runs, and summarizes them. */
export async function runAblation(ctx: PaperContext, b: Budget): Promise<AblationResult> {
  const records: RunRecord[] = [];
  for (const spec of ablationSpecs(b)) records.push(await ensureRun(ctx, spec, b));
  const variants: AblationVariant[] = [];
  const group = async (key: string, pick: (r: RunRecord) => boolean) => variants.push({ key, ...(await modelStat(records.filter(pick), b.speedImages)) });
  for (const g of b.groupSizes) await group(`g${g}`, (r) => r.model === 'dynamic' && r.groupSize === g);
  await group('fix', (r) => r.model === 'fixed');
  await group('static', (r) => r.model === 'static');
  const acc = (key: string) => variants.find((v) => v.key === key)!.runs.map((r) => r.accuracy);
  const smallest = `g${Math.min(...b.groupSizes)}`;
  const vsFix: Record<string, WelchResult> = {};
  const vsSmallest: Record<string, WelchResult> = {};
  for (const g of b.groupSizes) {
    vsFix[`g${g}`] = welchTTest(acc(`g${g}`), acc('fix'));
    if (`g${g}` !== smallest) vsSmallest[`g${g}`] = welchTTest(acc(`g${g}`), acc(smallest));
  }
  return { budget: b, dataset: ablationDataset(b), seeds: b.ablationSeeds, variants, vsFix, vsSmallest };
}

/** The ablation's table (markdown), like the paper's Table 5 plus cost and speed columns. */
export function ablationTable(a: AblationResult): string {
  const smallest = `g${Math.min(...a.budget.groupSizes)}`;
  const rows = [['net', 'parameters', 'inference MMAC', 'test accuracy % (mean ± sd)', 'error %', 'vs Fix (points, p)', `vs ${smallest.replace('g', 'g = ')} (points, p)`, 'training img/s', 'inference img/s']];
  for (const v of a.variants) {
    const f = a.vsFix[v.key];
    const s = a.vsSmallest[v.key];
    rows.push([
      v.label,
      v.params.toLocaleString('en-US'),
      v.mmac.toFixed(3),
      pm(v.accuracy),
      (100 - v.accuracy.mean).toFixed(2),
      f ? `${signed(f.difference)}, p = ${pValue(f.p)}` : '-',
      s ? `${signed(s.difference)}, p = ${pValue(s.p)}` : '-',
      `${Math.round(v.trainImagesPerSecond.mean)} ± ${Math.round(v.trainImagesPerSecond.std)}`,
      String(Math.round(v.inferenceImagesPerSecond)),
    ]);
  }
  return markdownTable(rows);
}

/** Accuracy and training throughput against g, with Fix and the static net as reference points. */
export function ablationFigure(a: AblationResult): string {
  const dyn = a.variants.filter((v) => v.model === 'dynamic');
  const fix = a.variants.find((v) => v.key === 'fix')!;
  const stat = a.variants.find((v) => v.key === 'static')!;
  const ticks = dyn.map((v) => v.groupSize);
  return renderErrorBarChart({
    title: `Group size ablation on ${DATASET_INFO[a.dataset].title} (after the paper's Table 5)`,
    subtitle: `mean ± standard deviation over ${a.seeds} seeds; ${budgetText(a.budget, a.seeds)}`,
    panels: [
      {
        title: 'test accuracy',
        xLabel: 'group size g (fixed kernels per output channel)',
        yLabel: 'test accuracy (%)',
        xTicks: ticks,
        series: [
          { label: 'Dy-CNN', color: '#0072b2', line: true, points: dyn.map((v) => ({ x: v.groupSize, y: v.accuracy.mean, error: v.accuracy.std })) },
          { label: `Fix (g = ${fix.groupSize}, coefficients fixed at 1): ${pm(fix.accuracy)}`, color: '#d55e00', points: [{ x: fix.groupSize, y: fix.accuracy.mean, error: fix.accuracy.std, label: 'Fix' }] },
          { label: `static, same channels: ${pm(stat.accuracy)}`, color: '#e69f00', points: [{ x: 1, y: stat.accuracy.mean, error: stat.accuracy.std, label: 'static' }] },
        ],
      },
      {
        title: 'training throughput',
        xLabel: 'group size g',
        yLabel: 'training images per second',
        xTicks: ticks,
        series: [
          { label: 'Dy-CNN', color: '#0072b2', line: true, points: dyn.map((v) => ({ x: v.groupSize, y: v.trainImagesPerSecond.mean, error: v.trainImagesPerSecond.std })) },
          { label: 'Fix', color: '#d55e00', points: [{ x: fix.groupSize, y: fix.trainImagesPerSecond.mean, error: fix.trainImagesPerSecond.std }] },
          { label: 'static', color: '#e69f00', points: [{ x: 1, y: stat.trainImagesPerSecond.mean, error: stat.trainImagesPerSecond.std }] },
        ],
      },
    ],
  });
}

/** Summary of the accuracies over seeds, exported for the claims. */
export const accuracyOf = (a: AblationResult, key: string) => summarize(a.variants.find((v) => v.key === key)?.runs.map((r) => r.accuracy) ?? []);

const USAGE = `usage: npx tsx tools/paper/ablation.ts [flags]

The group-size ablation (g = 1, 2, 4, 6, 8 and Fix) on Fashion-MNIST (or the first data set of
--datasets) over seeds. Prints the table; writes RUNS/<budget>/ablation.json and ablation.svg.

${COMMON_USAGE}
  --help                  this text`;

async function main(): Promise<number> {
  const opts = parsePaperArgs(process.argv.slice(2));
  if (!opts) {
    console.log(USAGE);
    return 0;
  }
  const ctx = cliContext(opts.runsDir, opts.verbose);
  ctx.counter.total = ablationSpecs(opts.budget).length;
  const a = await runAblation(ctx, opts.budget);
  console.log(`\n${DATASET_INFO[a.dataset].title}, ${a.budget.name} budget (${budgetText(a.budget, a.seeds)}):\n\n${ablationTable(a)}`);
  writeOutputs(join(opts.runsDir, opts.budget.name), { 'ablation.json': JSON.stringify(a, null, 1), 'ablation.svg': ablationFigure(a) });
  return 0;
}

if (isMain(import.meta.url)) runMain('ablation', USAGE, main);
