/**
 * The equal-FLOPs accuracy study: the Dy-CNN, the static net with the same channels (about the
 * same inference multiply-adds) and the static net with the Dy-CNN's kernel count (g times the
 * channels), on MNIST and Fashion-MNIST, over seeds: mean ± standard deviation of the test
 * accuracy, Welch's t-test between the nets, and a figure of accuracy against inference MMAC.
 *
 *   npx tsx tools/paper/study.ts [--quick | --full] [overrides]   (see --help)
 *
 * Runs go to runs/paper/<budget>/<run>/ and are reused when finished (pnpm paper shares them).
 */
import { join } from 'node:path';
import { renderErrorBarChart, type SampleSummary, summarize, welchTTest, type WelchResult } from '@dynconv/analysis';
import type { ModelKind } from '../models/dy-cnn.js';
import type { DatasetName } from '../train/args.js';
import { DATASET_INFO } from '../train/data.js';
import { type Budget, COMMON_USAGE, parsePaperArgs } from './budget.js';
import { cliContext, isMain, markdownTable, pm, pValue, runMain, signed, writeOutputs } from './cli.js';
import { ensureRun, measureInference, type PaperContext, type RunRecord, type RunSpec } from './runs.js';

/** The study's three nets, in table order. */
export const STUDY_MODELS: readonly ModelKind[] = ['dynamic', 'static', 'static-wide'];

/** A net's name in the report. */
export function modelLabel(model: ModelKind, groupSize: number): string {
  switch (model) {
    case 'dynamic':
      return `Dy-CNN (g = ${groupSize})`;
    case 'static':
      return 'static, same channels';
    case 'static-wide':
      return `static-wide, ${groupSize}x channels`;
    case 'fixed':
      return `Fix (g = ${groupSize}, no predictor)`;
  }
}

/** One net's runs over the seeds, summarized. */
export interface ModelStat {
  model: ModelKind;
  groupSize: number;
  label: string;
  runs: RunRecord[];
  /** Test accuracy in percent over the seeds. */
  accuracy: SampleSummary;
  params: number;
  /** Inference multiply-adds per image, millions. */
  mmac: number;
  /** Training throughput over the seeds. */
  trainImagesPerSecond: SampleSummary;
  /** Inference throughput of the seed-0 checkpoint (measured once, batch 100). */
  inferenceImagesPerSecond: number;
  /** Training wall-clock seconds summed over the seeds. */
  seconds: number;
}

/** The study on one data set. */
export interface StudyDataset {
  dataset: DatasetName;
  models: ModelStat[];
  /** Welch's t-tests on the accuracies: dynamic minus static, dynamic minus static-wide, static minus static-wide. */
  tests: { dynamicVsStatic: WelchResult; dynamicVsWide: WelchResult; staticVsWide: WelchResult };
}

/** The whole study at one budget. */
export interface StudyResult {
  budget: Budget;
  datasets: StudyDataset[];
}

/** The runs of the study at a budget, in the order they are trained. */
export function studySpecs(b: Budget): RunSpec[] {
  return b.datasets.flatMap((dataset) => STUDY_MODELS.flatMap((model) => Array.from({ length: b.seeds }, (_, seed) => ({ dataset, model, groupSize: b.groupSize, seed }))));
}

/** Summarizes the runs of one net (all seeds). */
export async function modelStat(runs: RunRecord[], speedImages: number): Promise<ModelStat> {
  const first = runs[0]!;
  return {
    model: first.model,
    groupSize: first.groupSize,
    label: modelLabel(first.model, first.groupSize),
    runs,
    accuracy: summarize(runs.map((r) => r.accuracy)),
    params: first.params,
    mmac: first.mmac,
    trainImagesPerSecond: summarize(runs.map((r) => r.trainImagesPerSecond)),
    inferenceImagesPerSecond: await measureInference(runs.find((r) => r.seed === 0)?.checkpoint ?? first.checkpoint, speedImages),
    seconds: runs.reduce((s, r) => s + r.seconds, 0),
  };
}

/** Trains (or reuses) every run of the study at budget `b` and summarizes it. */
export async function runStudy(ctx: PaperContext, b: Budget): Promise<StudyResult> {
  const records: RunRecord[] = [];
  for (const spec of studySpecs(b)) records.push(await ensureRun(ctx, spec, b));
  const datasets: StudyDataset[] = [];
  for (const dataset of b.datasets) {
    const models: ModelStat[] = [];
    for (const model of STUDY_MODELS) models.push(await modelStat(records.filter((r) => r.dataset === dataset && r.model === model), b.speedImages));
    const acc = (m: ModelKind) => models.find((s) => s.model === m)!.runs.map((r) => r.accuracy);
    datasets.push({
      dataset,
      models,
      tests: { dynamicVsStatic: welchTTest(acc('dynamic'), acc('static')), dynamicVsWide: welchTTest(acc('dynamic'), acc('static-wide')), staticVsWide: welchTTest(acc('static'), acc('static-wide')) },
    });
  }
  return { budget: b, datasets };
}

/** The budget in words: `6,000 training images, 1 epoch, 2,000 test images, 5 seeds`. */
export function budgetText(b: Budget, seeds = b.seeds): string {
  const n = (x: number | undefined, all: string) => (x === undefined ? all : x.toLocaleString('en-US'));
  return `${n(b.limit, '60,000')} training images, ${b.epochs} epoch${b.epochs === 1 ? '' : 's'}, ${n(b.testLimit, '10,000')} test images, ${seeds} seeds`;
}

/** The study's table for one data set (markdown). */
export function studyTable(d: StudyDataset): string {
  const rows = [['net', 'parameters', 'inference MMAC', 'test accuracy % (mean ± sd)', 'seeds', 'vs Dy-CNN (points)', "Welch's t, df, p", 'training img/s', 'inference img/s']];
  for (const m of d.models) {
    const t = m.model === 'static' ? d.tests.dynamicVsStatic : m.model === 'static-wide' ? d.tests.dynamicVsWide : undefined;
    rows.push([
      m.label,
      m.params.toLocaleString('en-US'),
      m.mmac.toFixed(3),
      pm(m.accuracy),
      String(m.accuracy.n),
      t ? signed(-t.difference) : '-',
      t ? `t = ${t.t.toFixed(2)}, df = ${t.df.toFixed(1)}, p = ${pValue(t.p)}` : '-',
      String(Math.round(m.trainImagesPerSecond.mean)),
      String(Math.round(m.inferenceImagesPerSecond)),
    ]);
  }
  return markdownTable(rows);
}

/** Accuracy against inference MMAC (log axis), one panel per data set and budget, error bars ± sd. */
export function studyFigure(results: StudyResult[]): string {
  const colors: Record<string, string> = { dynamic: '#0072b2', static: '#e69f00', 'static-wide': '#009e73' };
  const panels = results.flatMap((r) =>
    r.datasets.map((d) => ({
      title: `${DATASET_INFO[d.dataset].title}, ${r.budget.name} budget`,
      xLabel: 'inference multiply-adds per image (millions, log scale)',
      yLabel: 'test accuracy (%)',
      xLog: true,
      series: d.models.map((m) => ({ label: `${m.label}: ${pm(m.accuracy)}`, color: colors[m.model], points: [{ x: m.mmac, y: m.accuracy.mean, error: m.accuracy.std, label: `${m.mmac.toFixed(2)} MMAC` }] })),
    })),
  );
  const b = results.at(-1)!.budget;
  return renderErrorBarChart({ title: 'Dynamic vs static at equal inference FLOPs', subtitle: `mean ± standard deviation over seeds; ${results.map((r) => `${r.budget.name}: ${budgetText(r.budget)}`).join('; ')}; widths ${b.widths.join('/')}, stem ${b.stem}`, panels });
}

const USAGE = `usage: npx tsx tools/paper/study.ts [flags]

The equal-FLOPs study: Dy-CNN vs static vs static-wide on each data set over seeds, with
Welch's t-tests. Prints the tables; writes RUNS/<budget>/study.json and study.svg.

${COMMON_USAGE}
  --help                  this text`;

async function main(): Promise<number> {
  const opts = parsePaperArgs(process.argv.slice(2));
  if (!opts) {
    console.log(USAGE);
    return 0;
  }
  const ctx = cliContext(opts.runsDir, opts.verbose);
  ctx.counter.total = opts.budgets.reduce((n, b) => n + studySpecs(b).length, 0);
  const results: StudyResult[] = [];
  for (const b of opts.budgets) results.push(await runStudy(ctx, b));
  for (const r of results) {
    for (const d of r.datasets) console.log(`\n${DATASET_INFO[d.dataset].title}, ${r.budget.name} budget (${budgetText(r.budget)}):\n\n${studyTable(d)}`);
  }
  writeOutputs(join(opts.runsDir, opts.budget.name), { 'study.json': JSON.stringify(results, null, 1), 'study.svg': studyFigure(results) });
  return 0;
}

if (isMain(import.meta.url)) runMain('study', USAGE, main);
