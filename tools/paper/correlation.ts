/**
 * The paper's correlation analysis on our trained nets: for each conv layer, Pearson's r of
 * every pair of output feature maps over a set of test images (each channel's map flattened
 * per image; channels correlated over images and positions together), the distribution of |r|
 * in the paper's S/M/W/N bins (our thresholds: 0.7 / 0.5 / 0.3) and the full histogram of r.
 * For a dynamic layer also the maps of its fixed kernel bank (before mixing), and the kernels
 * themselves: static kernels, the fixed bank, and the kernels generated per image (the paper's
 * second figure).
 *
 *   npx tsx tools/paper/correlation.ts CHECKPOINT... [--images N] [--layer NAME]... [--json FILE] [--svg FILE]
 *   npx tsx tools/paper/correlation.ts [--quick | --full] [overrides]   (the paper's: seed-0 runs of the study)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { convLayers, type CorrelationSummary, type HistogramCell, type LayerCorrelation, ModelCorrelation, PAPER_BINS, renderBinBars, renderHistogramGrid } from '@dynconv/analysis';
import type { ModelKind } from '../models/dy-cnn.js';
import type { DatasetName } from '../train/args.js';
import { DATASET_INFO, loadSplit, testLoader } from '../train/data.js';
import { loadTrainedModel } from '../train/run.js';
import { UsageError } from '../cli.js';
import { type Budget, COMMON_USAGE, parsePaperArgs } from './budget.js';
import { cliContext, isMain, markdownTable, runMain, writeOutputs } from './cli.js';
import { ensureRun, type PaperContext } from './runs.js';
import { modelLabel } from './study.js';

/** The nets the paper's analysis compares, in column order. */
export const CORRELATION_MODELS: readonly ModelKind[] = ['static', 'static-wide', 'dynamic'];

/** The five conv layers of every net of tools/models/dy-cnn.ts, by position (the names differ between static and dynamic nets). */
export const LAYER_LABELS = ['stem', 'stage1 conv1', 'stage1 conv2', 'stage2 conv1', 'stage2 conv2'] as const;

/** One checkpoint's correlations. */
export interface CheckpointCorrelation {
  checkpoint: string;
  dataset: DatasetName;
  model: ModelKind;
  groupSize: number;
  seed: number;
  /** Test images the maps were correlated over. */
  images: number;
  /** Images whose generated kernels were correlated. */
  kernelImages: number;
  /** Per analyzed layer, in the net's order, each with its position label. */
  layers: (LayerCorrelation & { label: string })[];
}

/** Options of {@link correlateCheckpoint}. */
export interface CorrelateOptions {
  /** Test images to run (the first N of the test split). */
  images: number;
  /** Images whose generated kernels to correlate (default 100). */
  kernelImages?: number;
  /** Layer names (default: every conv layer). */
  layers?: string[];
}

/** Runs a tools/train.ts checkpoint in eval mode over test images and correlates its conv layers. */
export async function correlateCheckpoint(path: string, opts: CorrelateOptions): Promise<CheckpointCorrelation> {
  const { extra, model } = loadTrainedModel(path);
  const kernelImages = Math.min(opts.kernelImages ?? 100, opts.images);
  const analysis = new ModelCorrelation(model, { layers: opts.layers, kernelImages, thresholds: PAPER_BINS });
  const test = await loadSplit(extra.args.dataset, 'test', opts.images);
  for (const batch of testLoader(test, extra.args.dataset, 'cpu').epochBatches(0)) {
    analysis.addBatch(batch.images);
    batch.images.dispose();
    batch.labels.dispose();
  }
  const convNames = convLayers(model).map(([n]) => n);
  const layers = analysis.result().map((l) => ({ ...l, label: LAYER_LABELS[convNames.indexOf(l.name)] ?? l.name }));
  return { checkpoint: path, dataset: extra.args.dataset, model: extra.config.kind, groupSize: extra.config.groupSize, seed: extra.args.seed, images: analysis.images, kernelImages, layers };
}

/** The analysis on one data set: the seed-0 checkpoint of each net. */
export interface CorrelationDataset {
  dataset: DatasetName;
  models: CheckpointCorrelation[];
}

/** The paper's analysis at a budget. */
export interface CorrelationStudy {
  budget: Budget;
  datasets: CorrelationDataset[];
}

/** Correlates the seed-0 runs of the study's nets (training them first if they are missing). */
export async function runCorrelation(ctx: PaperContext, b: Budget): Promise<CorrelationStudy> {
  const datasets: CorrelationDataset[] = [];
  for (const dataset of b.datasets) {
    const models: CheckpointCorrelation[] = [];
    for (const model of CORRELATION_MODELS) {
      const run = await ensureRun(ctx, { dataset, model, groupSize: b.groupSize, seed: 0 }, b);
      const started = performance.now();
      models.push(await correlateCheckpoint(run.checkpoint, { images: b.correlationImages, kernelImages: b.kernelImages }));
      ctx.log(`correlations: ${dataset} ${model} over ${b.correlationImages} test images in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    datasets.push({ dataset, models });
  }
  return { budget: b, datasets };
}

/** `mean |r| 0.21, S+M 4.1%` */
export function shortNote(s: CorrelationSummary): string {
  return `mean |r| ${s.meanAbs.toFixed(2)}, S+M ${(100 * (s.fractions.strong + s.fractions.medium)).toFixed(1)}%`;
}

/** The columns of the feature-map figure: each net's maps, and the dynamic net's bank maps. */
function mapColumns(models: CheckpointCorrelation[]): { title: string; cell: (i: number) => HistogramCell | null }[] {
  const cols: { title: string; cell: (i: number) => HistogramCell | null }[] = [];
  for (const m of models) {
    const label = modelLabel(m.model, m.groupSize);
    cols.push({ title: m.model === 'dynamic' ? `${label}: mixed kernels` : label, cell: (i) => cellOf(m.layers[i]?.featureMaps) });
    if (m.layers.some((l) => l.bankFeatureMaps)) cols.push({ title: `${label}: fixed bank`, cell: (i) => cellOf(m.layers[i]?.bankFeatureMaps ?? null) });
  }
  return cols;
}

function cellOf(s: CorrelationSummary | null | undefined, color?: string): HistogramCell | null {
  return s ? { histogram: s.histogram, note: shortNote(s), ...(color ? { color } : {}) } : null;
}

const rowLabels = (m: CheckpointCorrelation) => m.layers.map((l) => l.label);

/** Histograms of r between feature maps, one row per layer, one column per net (and the dynamic net's bank). */
export function featureMapFigure(d: CorrelationDataset): string {
  const cols = mapColumns(d.models);
  const first = d.models[0]!;
  return renderHistogramGrid({
    title: `${DATASET_INFO[d.dataset].title}: correlation between the feature maps of each conv layer`,
    subtitle: `Pearson r of every pair of output channels over ${first.images} test images (maps flattened per image; images and positions pooled); seed-0 nets`,
    columns: cols.map((c) => c.title),
    rows: rowLabels(first).map((label, i) => ({ label, cells: cols.map((c) => c.cell(i)) })),
  });
}

/** Histograms of r between kernels (flattened weights): static kernels, the fixed bank, the generated per-image kernels. */
export function kernelFigure(d: CorrelationDataset): string {
  const cols: { title: string; cell: (i: number) => HistogramCell | null }[] = [];
  for (const m of d.models) {
    const label = modelLabel(m.model, m.groupSize);
    cols.push({ title: m.model === 'dynamic' ? `${label}: fixed bank` : label, cell: (i) => cellOf(m.layers[i]?.kernels) });
    if (m.layers.some((l) => l.generatedKernels)) cols.push({ title: `${label}: generated per image`, cell: (i) => cellOf(m.layers[i]?.generatedKernels ?? null) });
  }
  const first = d.models[0]!;
  const dyn = d.models.find((m) => m.model === 'dynamic');
  return renderHistogramGrid({
    title: `${DATASET_INFO[d.dataset].title}: correlation between the kernels of each conv layer`,
    subtitle: `Pearson r of every pair of kernels (weights flattened)${dyn ? `; generated kernels correlated within each of ${dyn.kernelImages} test images, pooled` : ''}`,
    columns: cols.map((c) => c.title),
    rows: rowLabels(first).map((label, i) => ({ label, cells: cols.map((c) => c.cell(i)) })),
  });
}

/** Stacked S/M/W/N bars of the feature-map correlations, one group per layer. */
export function binsFigure(d: CorrelationDataset): string {
  const first = d.models[0]!;
  return renderBinBars({
    title: `${DATASET_INFO[d.dataset].title}: feature-map pairs by |r| (the paper's S/M/W/N)`,
    subtitle: `strong |r| >= ${PAPER_BINS.strong}, medium [${PAPER_BINS.medium}, ${PAPER_BINS.strong}), weak [${PAPER_BINS.weak}, ${PAPER_BINS.medium}), none < ${PAPER_BINS.weak} (our thresholds; the paper prints none)`,
    groups: rowLabels(first).map((label, i) => ({
      label,
      rows: d.models.flatMap((m) => {
        const l = m.layers[i]!;
        const name = modelLabel(m.model, m.groupSize);
        return [
          { label: m.model === 'dynamic' ? `${name}, mixed` : name, fractions: l.featureMaps.fractions },
          ...(l.bankFeatureMaps ? [{ label: `${name}, fixed bank`, fractions: l.bankFeatureMaps.fractions }] : []),
        ];
      }),
    })),
  });
}

/** A table of every layer's correlations for one checkpoint (markdown). */
export function correlationTable(c: CheckpointCorrelation): string {
  const pct = (x: number) => (100 * x).toFixed(1);
  const rows = [['layer', 'what', 'pairs', 'mean |r|', 'median |r|', 'S %', 'M %', 'W %', 'N %', 'constant']];
  for (const l of c.layers) {
    const add = (what: string, s: CorrelationSummary | null) => {
      if (!s) return;
      rows.push([`${l.label} (${l.name})`, what, s.pairs.toLocaleString('en-US'), s.meanAbs.toFixed(3), s.medianAbs.toFixed(3), pct(s.fractions.strong), pct(s.fractions.medium), pct(s.fractions.weak), pct(s.fractions.none), String(s.constant)]);
    };
    add(l.type === 'DynamicConv2d' ? 'feature maps (mixed kernels)' : 'feature maps', l.featureMaps);
    add('feature maps of the fixed bank', l.bankFeatureMaps);
    add(l.type === 'DynamicConv2d' ? 'kernels: fixed bank' : 'kernels', l.kernels);
    add('kernels generated per image', l.generatedKernels);
  }
  return markdownTable(rows);
}

/** The results as JSON (summaries and histograms only: a few kB per net). */
export function correlationJson(x: unknown): string {
  return JSON.stringify(x, null, 1);
}

const USAGE = `usage: npx tsx tools/paper/correlation.ts [CHECKPOINT...] [flags]

With checkpoints (written by tools/train.ts): correlates each one's conv layers over test images
and prints a table per checkpoint; --svg draws the feature-map histograms side by side.
Without: the paper's analysis, on the seed-0 runs of the study (trained first if missing);
writes RUNS/<budget>/correlation.json and the figures there.

  --images N              test images (default: the budget's, 1000)
  --kernel-images N       images whose generated kernels are correlated (default: the budget's, 100)
  --layer NAME            only this layer (repeatable; e.g. stage1.conv1)
  --json FILE             write the results as JSON
  --svg FILE              write the feature-map histograms (checkpoints side by side)
${COMMON_USAGE}
  --help                  this text`;

async function main(): Promise<number> {
  const opts = parsePaperArgs(process.argv.slice(2), { images: { type: 'string' }, layer: { type: 'string', multiple: true }, json: { type: 'string' }, svg: { type: 'string' } }, true);
  if (!opts) {
    console.log(USAGE);
    return 0;
  }
  const images = opts.extra.images === undefined ? opts.budget.correlationImages : Number(opts.extra.images);
  if (!Number.isInteger(images) || images < 2) throw new UsageError(`--images must be an integer >= 2, got ${JSON.stringify(opts.extra.images)}`);
  const layers = opts.extra.layer as string[] | undefined;
  if (opts.positionals.length) {
    const results: CheckpointCorrelation[] = [];
    for (const path of opts.positionals) {
      const c = await correlateCheckpoint(path, { images, kernelImages: opts.budget.kernelImages, layers });
      results.push(c);
      console.log(`\n${path}: ${DATASET_INFO[c.dataset].title}, ${modelLabel(c.model, c.groupSize)}, ${c.images} test images\n\n${correlationTable(c)}`);
    }
    const write = (file: unknown, text: string) => {
      if (typeof file !== 'string') return;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      console.log(`wrote ${file}`);
    };
    write(opts.extra.json, correlationJson(results));
    if (typeof opts.extra.svg === 'string') {
      const rows = results[0]!.layers.map((l) => l.label);
      const cols = results.flatMap((c) => mapColumns([c]));
      write(opts.extra.svg, renderHistogramGrid({ title: 'Correlation between feature maps', subtitle: results.map((c) => c.checkpoint).join(', '), columns: cols.map((c) => c.title), rows: rows.map((label, i) => ({ label, cells: cols.map((c) => c.cell(i)) })) }));
    }
    return 0;
  }
  const ctx = cliContext(opts.runsDir, opts.verbose);
  ctx.counter.total = opts.budget.datasets.length * CORRELATION_MODELS.length;
  const study = await runCorrelation(ctx, { ...opts.budget, correlationImages: images });
  const files: Record<string, string> = { 'correlation.json': correlationJson(study) };
  for (const d of study.datasets) {
    for (const m of d.models) console.log(`\n${DATASET_INFO[d.dataset].title}, ${modelLabel(m.model, m.groupSize)}:\n\n${correlationTable(m)}`);
    files[`feature-correlation-${d.dataset}.svg`] = featureMapFigure(d);
    files[`kernel-correlation-${d.dataset}.svg`] = kernelFigure(d);
    files[`correlation-bins-${d.dataset}.svg`] = binsFigure(d);
  }
  writeOutputs(join(opts.runsDir, opts.budget.name), files);
  return 0;
}

if (isMain(import.meta.url)) runMain('correlation', USAGE, main);
