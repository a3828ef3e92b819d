/**
 * docs/paper.md and its figures, from what `pnpm paper` measured: every number in the report is
 * read from {@link PaperResults}; only the paper's own numbers (in the claims) are typed in.
 */
import { type CorrelationSummary, PAPER_BINS } from '@dynconv/analysis';
import { DATASET_INFO } from '../train/data.js';
import { formatDuration } from '../train/progress.js';
import { type AblationResult, ablationFigure, ablationSpecs, ablationTable } from './ablation.js';
import { ablationDataset, type Budget } from './budget.js';
import { type Claim, evaluateClaims, type PaperResults } from './claims.js';
import { markdownTable } from './cli.js';
import { binsFigure, type CheckpointCorrelation, type CorrelationDataset, featureMapFigure, kernelFigure } from './correlation.js';
import { commands, type RunRecord } from './runs.js';
import { budgetText, modelLabel, studyFigure, studySpecs, studyTable } from './study.js';

/** The figures of a report: file name (under the image folder) to SVG text. */
export function paperFigures(r: PaperResults): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of r.correlation.datasets) {
    out[`feature-correlation-${d.dataset}.svg`] = featureMapFigure(d);
    out[`kernel-correlation-${d.dataset}.svg`] = kernelFigure(d);
    out[`correlation-bins-${d.dataset}.svg`] = binsFigure(d);
  }
  out['accuracy-vs-mmac.svg'] = studyFigure(r.studies);
  out['group-size.svg'] = ablationFigure(r.ablation);
  return out;
}

const f3 = (x: number) => x.toFixed(3);
const pct1 = (x: number) => (100 * x).toFixed(1);

/** Per layer: each net's mean |r| and S+M share of feature-map pairs. */
function correlationSummaryTable(d: CorrelationDataset, what: 'maps' | 'kernels'): string {
  const cols: { title: string; get: (m: CheckpointCorrelation, i: number) => CorrelationSummary | null; model: CheckpointCorrelation }[] = [];
  for (const m of d.models) {
    const name = modelLabel(m.model, m.groupSize);
    if (what === 'maps') {
      cols.push({ title: m.model === 'dynamic' ? `${name}, mixed kernels` : name, get: (x, i) => x.layers[i]!.featureMaps, model: m });
      if (m.model === 'dynamic') cols.push({ title: `${name}, fixed bank`, get: (x, i) => x.layers[i]!.bankFeatureMaps, model: m });
    } else {
      cols.push({ title: m.model === 'dynamic' ? `${name}, fixed bank` : name, get: (x, i) => x.layers[i]!.kernels, model: m });
      if (m.model === 'dynamic') cols.push({ title: `${name}, generated per image`, get: (x, i) => x.layers[i]!.generatedKernels, model: m });
    }
  }
  const rows = [['layer', ...cols.map((c) => `${c.title}: mean \\|r\\|, S+M %, S %`)]];
  d.models[0]!.layers.forEach((l, i) => {
    rows.push([
      l.label,
      ...cols.map((c) => {
        const s = c.get(c.model, i);
        return s ? `${f3(s.meanAbs)}, ${pct1(s.fractions.strong + s.fractions.medium)}, ${pct1(s.fractions.strong)} (${s.pairs.toLocaleString('en-US')} pairs)` : '-';
      }),
    ]);
  });
  return markdownTable(rows);
}

function claimsTable(claims: Claim[]): string {
  const rows = [['#', 'the paper says', 'we measure', 'verdict']];
  claims.forEach((c, i) => rows.push([String(i + 1), c.paper, c.measured, `**${c.verdict}**`]));
  return markdownTable(rows);
}

function runsTable(runs: RunRecord[]): string {
  const rows = [['run', 'test accuracy %', 'training img/s', 'seconds', 'reused']];
  for (const r of runs) rows.push([r.outDir, r.accuracy.toFixed(2), String(Math.round(r.trainImagesPerSecond)), r.seconds.toFixed(1), r.reused ? 'yes' : 'no']);
  return markdownTable(rows);
}

function budgetTable(budgets: Budget[]): string {
  const rows = [['budget', 'training images', 'epochs', 'warmup steps', 'test images', 'study seeds', 'ablation seeds', 'group sizes', 'widths / stem', 'correlation images', 'kernel images']];
  for (const b of budgets) {
    rows.push([b.name, b.limit === undefined ? 'all (60,000)' : b.limit.toLocaleString('en-US'), String(b.epochs), String(b.warmup), b.testLimit === undefined ? 'all (10,000)' : b.testLimit.toLocaleString('en-US'), String(b.seeds), String(b.ablationSeeds), b.groupSizes.join(', '), `${b.widths.join('/')} / ${b.stem}`, String(b.correlationImages), String(b.kernelImages)]);
  }
  return markdownTable(rows);
}

/** The train command of one net, with its seeds as a range. */
function trainCommand(b: Budget, spec: { dataset: 'mnist' | 'fashion'; model: 'dynamic' | 'static' | 'static-wide' | 'fixed'; groupSize: number }, seeds: number): string {
  const c = commands(b, { ...spec, seed: 0 }).train!;
  return `${c.replace('--seed 0', '--seed S')} --out runs/paper/${b.name}/${spec.dataset}-${spec.model}${spec.model === 'static' ? '' : `-g${spec.groupSize}`}-sS   # S = 0..${seeds - 1}`;
}

/** The report, markdown. `imgDir` is the figures' folder relative to the report. */
export function renderReport(r: PaperResults, imgDir: string): string {
  const claims = evaluateClaims(r);
  const b = r.budget;
  const quick = b.name === 'quick';
  const L: string[] = [];
  const img = (file: string, alt: string) => L.push(`![${alt}](${imgDir}/${file})`, '');
  L.push('# Reproducing the DyNet paper\'s claims on MNIST and Fashion-MNIST', '');
  L.push(`<!-- Generated by tools/paper/paper.ts (${commands(b).paper}); do not edit by hand: run it again. -->`, '');
  if (quick) {
    L.push('> **Quick budget: a smoke test of the pipeline, not results.** These numbers come from runs of a few hundred images and a couple of seeds; run `pnpm paper` (default budget) for the report.', '');
  }
  L.push(
    `Every number below comes from runs made by \`${commands(b).paper}\` (${r.budgets.map((x) => `${x.name} budget`).join(' and ')}), on ${r.machine.cores} cores of ${r.machine.cpu}, Node ${r.machine.node}, ` +
      `started ${r.timing.startedAt}. This invocation took ${formatDuration(r.timing.seconds)} (${r.timing.runsTrained} runs trained, ${r.timing.runsReused} reused from earlier invocations); ` +
      `the runs' own training and evaluation time adds up to ${formatDuration(r.timing.trainingSeconds)}. The paper's numbers are its own (DyNet: Dynamic Convolution for Accelerating Convolutional Neural Networks, Zhang, Zhang, Wang, Zhong 2020, arXiv 2004.10694).`,
    '',
  );
  L.push('The nets are the small ones of [docs/results.md](results.md) (tools/models/dy-cnn.ts): a static stem, two stages of two 3x3 convs, global pooling and a linear classifier. ' +
    `The **Dy-CNN** makes the four block convs dynamic (g = ${b.groupSize}, one coefficient predictor per block); **static** has the same channels with plain convs (about the same inference multiply-adds); ` +
    `**static-wide** has g times the channels, as many kernels as the Dy-CNN's banks; **Fix** is the Dy-CNN without predictors, every coefficient fixed at 1.`, '');
  L.push(budgetTable(r.budgets), '');

  L.push('## The claims', '');
  L.push(claimsTable(claims), '');
  L.push('How each verdict is decided (fixed before the runs; the code is tools/paper/claims.ts):', '');
  claims.forEach((c, i) => L.push(`${i + 1}. ${c.rule}`));
  L.push('');

  L.push('## 1. Correlation analysis', '');
  L.push(
    `For each conv layer of the seed-0 nets, Pearson's r of every pair of output feature maps over the first ${b.correlationImages} test images: each channel's map is flattened per image, and the channels are correlated over images and positions together, as the paper does. ` +
      "The maps are the convs' outputs in eval mode (before BatchNorm, which as a per-channel affine map leaves |r| unchanged). " +
      `For the Dy-CNN, "mixed kernels" are the layer's outputs (each image convolved with its own generated kernels, the inference path), and "fixed bank" the outputs of all C_out * g fixed kernels before mixing. ` +
      `The bins are the paper's S/M/W/N with thresholds of our choosing (the paper prints none): strong |r| >= ${PAPER_BINS.strong}, medium [${PAPER_BINS.medium}, ${PAPER_BINS.strong}), weak [${PAPER_BINS.weak}, ${PAPER_BINS.medium}), none < ${PAPER_BINS.weak}; the histograms show the full distribution of r in bins of 0.1. ` +
      `Kernels are correlated as flattened weight vectors; the Dy-CNN's generated kernels within each of the first ${b.kernelImages} test images, pooled.`,
    '',
  );
  for (const d of r.correlation.datasets) {
    const t = DATASET_INFO[d.dataset].title;
    L.push(`### ${t}`, '');
    img(`feature-correlation-${d.dataset}.svg`, `${t}: histograms of r between feature maps`);
    img(`correlation-bins-${d.dataset}.svg`, `${t}: S/M/W/N shares`);
    L.push('Feature maps:', '', correlationSummaryTable(d, 'maps'), '');
    img(`kernel-correlation-${d.dataset}.svg`, `${t}: histograms of r between kernels`);
    L.push('Kernels:', '', correlationSummaryTable(d, 'kernels'), '');
  }

  L.push('## 2. Dynamic vs static at equal FLOPs', '');
  L.push(
    'Each net trained with every seed; the table gives the mean ± sample standard deviation of the test accuracy, and Welch\'s unequal-variances t-test against the Dy-CNN (t, Welch–Satterthwaite degrees of freedom, two-sided p from the Student t distribution; @dynconv/analysis). ' +
      'Inference MMAC: multiply-adds per image (tools/models/cost.ts: convolutions, for dynamic convs the kernel-fusion path, i.e. the conv with the mixed kernels plus the mixing, the predictors, pooling and the classifier; BatchNorm, ReLU and biases not counted). ' +
      'Throughputs are single measurements on a shared machine (±30%): training img/s averaged over the seeds, inference img/s of the seed-0 checkpoint in eval mode, batch 100.',
    '',
  );
  for (const s of r.studies) {
    for (const d of s.datasets) L.push(`### ${DATASET_INFO[d.dataset].title}, ${s.budget.name} budget (${budgetText(s.budget)})`, '', studyTable(d), '');
  }
  img('accuracy-vs-mmac.svg', 'accuracy against inference MMAC');

  const a: AblationResult = r.ablation;
  L.push('## 3. Group-size ablation', '');
  L.push(
    `After the paper's Table 5, on ${DATASET_INFO[a.dataset].title} (${budgetText(a.budget, a.seeds)}). The paper's Dy-mobile top-1 errors: g = 2 29.43%, g = 4 28.69%, g = 6 28.27%; Fix-mobile (no predictor) 33.57%. ` +
      `Fix runs at g = ${b.groupSize} (our default, as the paper's Fix runs at its default g = 6); its summed kernels do not depend on the image, so its inference MMAC counts them folded into one kernel per channel, like a BatchNorm. ` +
      'The static net is listed for reference. Welch tests: each Dy-CNN against Fix, and against the smallest g.',
    '',
  );
  L.push(ablationTable(a), '');
  img('group-size.svg', 'accuracy and training throughput against g');

  L.push('## 4. Counted, not trained: FLOPs', '');
  if (r.flops) {
    const rows = [['Dy-network', 'static MFLOPs', 'Dy MFLOPs', 'reduction (all)', 'reduction (convs only)', 'paper (ICLR)', 'paper (arXiv)']];
    for (const f of r.flops) rows.push([f.label, f.staticMFlops.toFixed(1), f.dyMFlops.toFixed(1), `${f.reduction.toFixed(1)}%`, `${f.reductionConvOnly.toFixed(1)}%`, `${f.paperIclr.toFixed(1)}%`, `${f.paperArxiv.toFixed(1)}%`]);
    L.push('The paper\'s ImageNet networks as @dynconv/models builds them, profiled on one 224x224 image in eval mode (`pnpm flops` prints the same; docs/models.md explains the differences):', '', markdownTable(rows), '');
  } else {
    L.push('The ImageNet networks\' FLOPs are skipped at this budget (`pnpm flops` prints them).', '');
  }
  {
    const rows = [['input', 'Dy-CNN MMAC', 'static MMAC', 'static-wide MMAC', 'Dy-CNN / static', 'Dy-CNN / static-wide']];
    for (const s of r.scaling) rows.push([`${s.size}x${s.size}`, s.mmac.dynamic.toFixed(3), s.mmac.static.toFixed(3), s.mmac['static-wide'].toFixed(3), `${s.dynamicOverStatic.toFixed(3)}x`, `${s.dynamicOverWide.toFixed(3)}x`]);
    L.push('Our nets at larger inputs (the same weights apply to any size; counted by tools/models/cost.ts): the kernel mixing does not grow with the image, so the Dy-CNN\'s overhead over the static net shrinks.', '', markdownTable(rows), '');
  }

  L.push('## Reproducing', '');
  L.push('```sh', `${commands(b).paper}          # this report (runs are reused from runs/paper/ when finished; Ctrl-C saves the current run, and the same command continues)`);
  L.push('pnpm paper --quick     # a smoke test of every step, a minute or two', 'pnpm paper --full      # also the longer budget (the study then reports both)');
  L.push('npx tsx tools/paper/study.ts        # only the equal-FLOPs study (same flags)', 'npx tsx tools/paper/ablation.ts     # only the group-size ablation', 'npx tsx tools/paper/correlation.ts  # only the correlation analysis (or: correlation.ts CHECKPOINT... [--layer NAME])', '```', '');
  L.push('Each run is an ordinary `tools/train.ts` run (trained in-process through its `runTraining`, one at a time); the same runs from the command line:', '', '```sh');
  for (const s of r.studies) {
    for (const ds of s.budget.datasets) {
      for (const model of ['dynamic', 'static', 'static-wide'] as const) L.push(trainCommand(s.budget, { dataset: ds, model, groupSize: s.budget.groupSize }, s.budget.seeds));
    }
  }
  const ab = a.budget;
  for (const g of ab.groupSizes) if (g !== ab.groupSize) L.push(trainCommand(ab, { dataset: ablationDataset(ab), model: 'dynamic', groupSize: g }, ab.ablationSeeds));
  L.push(trainCommand(ab, { dataset: ablationDataset(ab), model: 'fixed', groupSize: ab.groupSize }, ab.ablationSeeds), '```', '');
  const all = new Map<string, RunRecord>();
  for (const s of r.studies) for (const d of s.datasets) for (const m of d.models) for (const run of m.runs) all.set(run.outDir, run);
  for (const v of a.variants) for (const run of v.runs) all.set(run.outDir, run);
  L.push(`<details><summary>All ${all.size} runs (${studySpecs(r.studies.at(-1)!.budget).length} of the ${r.studies.at(-1)!.budget.name} study, ${ablationSpecs(ab).length} of the ablation, shared where the settings agree)</summary>`, '', runsTable([...all.values()]), '', '</details>', '');

  L.push('## Notes', '');
  L.push(
    '- Scale: the paper trains on ImageNet at 224x224 for hundreds of epochs; here nets of 0.07-1 M parameters see a few thousand 28x28 images for one epoch. Verdicts are about these nets at this budget, and "not reproduced" may mean "not visible at this scale".',
    "- Statistics: Welch's t-test assumes roughly normal accuracies over seeds; with 3-5 seeds its power is low, so a difference of a few tenths of a point can stay insignificant. p-values are not corrected for the number of comparisons.",
    `- Test images: each run is evaluated on the first ${b.testLimit === undefined ? '10,000' : b.testLimit.toLocaleString('en-US')} test images; the correlations use the first ${b.correlationImages}.`,
    "- The correlations are of one seed's nets, so their verdicts count layers rather than test a difference.",
    '- Timings vary by ±30% on this shared machine; accuracies do not (seeded, single-threaded runs give the same weights bit for bit).',
    '',
  );
  return L.join('\n');
}
