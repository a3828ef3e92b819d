/**
 * `pnpm paper`: the whole reproduction in one command. Trains (or reuses) every run of the
 * equal-FLOPs study and the group-size ablation, correlates the seed-0 nets' conv layers,
 * counts the FLOPs claims, and writes docs/paper.md with the figures under docs/img/paper/:
 * each claim of the paper, our measurement next to it, and a verdict.
 *
 *   pnpm paper            the default budget (about 20 minutes on 2 cores)
 *   pnpm paper --quick    a smoke test (a minute or two)
 *   pnpm paper --full     the longer budget, plus the default budget's study
 *
 * Finished runs are reused from runs/paper/<budget>/<run>/; Ctrl-C saves the current run's
 * checkpoint (exit code 130), and the same command continues from it.
 */
import { cpus } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ablationSpecs, runAblation } from './ablation.js';
import { COMMON_USAGE, parsePaperArgs } from './budget.js';
import type { PaperResults } from './claims.js';
import { evaluateClaims } from './claims.js';
import { cliContext, isMain, runMain } from './cli.js';
import { CORRELATION_MODELS, runCorrelation } from './correlation.js';
import { flopsReductions, inputScaling } from './flops.js';
import { paperFigures, renderReport } from './report.js';
import type { PaperContext } from './runs.js';
import { runStudy, studySpecs } from './study.js';

const USAGE = `usage: pnpm paper [flags]   (tsc -b && tsx tools/paper/paper.ts)

Reproduces the DyNet paper's claims at our scale: the correlation analysis, dynamic vs static at
equal FLOPs over seeds, the group-size ablation, the counted FLOPs; writes docs/paper.md and
its figures. Finished runs are reused; Ctrl-C saves the current run and a rerun continues it.

${COMMON_USAGE}
  --doc FILE              the report (default docs/paper.md)
  --img DIR               its figures (default docs/img/paper)
  --json FILE             also write every measurement as JSON (default RUNS/<budget>/paper.json)
  --help                  this text`;

/** Everything `pnpm paper` does, given parsed options; returns the results (the caller writes them). */
export async function reproduce(ctx: PaperContext, opts: NonNullable<ReturnType<typeof parsePaperArgs>>): Promise<PaperResults> {
  const started = performance.now();
  const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const b = opts.budget;
  ctx.counter.total = opts.budgets.reduce((n, x) => n + studySpecs(x).length, 0) + ablationSpecs(b).length + b.datasets.length * CORRELATION_MODELS.length;
  const studies = [];
  for (const x of opts.budgets) studies.push(await runStudy(ctx, x));
  const ablation = await runAblation(ctx, b);
  const correlation = await runCorrelation(ctx, b);
  let flops = null;
  if (b.flops) {
    const t = performance.now();
    flops = flopsReductions();
    ctx.log(`FLOPs of the ImageNet networks counted in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  // A run shared by the study and the ablation is counted once, by its first record (trained or reused then).
  const runs = new Map<string, { reused: boolean; seconds: number }>();
  const add = (r: { outDir: string; reused: boolean; seconds: number }) => void (runs.has(r.outDir) || runs.set(r.outDir, r));
  for (const s of studies) for (const d of s.datasets) for (const m of d.models) for (const r of m.runs) add(r);
  for (const v of ablation.variants) for (const r of v.runs) add(r);
  const trained = [...runs.values()].filter((r) => !r.reused).length;
  return {
    budget: b,
    budgets: opts.budgets,
    studies,
    ablation,
    correlation,
    flops,
    scaling: inputScaling(b),
    timing: { startedAt, seconds: (performance.now() - started) / 1000, runsTrained: trained, runsReused: runs.size - trained, trainingSeconds: [...runs.values()].reduce((s, r) => s + r.seconds, 0) },
    machine: { cpu: cpus()[0]?.model.trim() ?? 'unknown CPU', cores: cpus().length, node: process.versions.node },
  };
}

async function main(): Promise<number> {
  const opts = parsePaperArgs(process.argv.slice(2), { doc: { type: 'string' }, img: { type: 'string' }, json: { type: 'string' } });
  if (!opts) {
    console.log(USAGE);
    return 0;
  }
  const doc = (opts.extra.doc as string | undefined) ?? 'docs/paper.md';
  const imgDir = (opts.extra.img as string | undefined) ?? 'docs/img/paper';
  const json = (opts.extra.json as string | undefined) ?? join(opts.runsDir, opts.budget.name, 'paper.json');
  const ctx = cliContext(opts.runsDir, opts.verbose);
  const results = await reproduce(ctx, opts);
  mkdirSync(imgDir, { recursive: true });
  for (const [file, svg] of Object.entries(paperFigures(results))) writeFileSync(join(imgDir, file), svg);
  mkdirSync(dirname(doc), { recursive: true });
  writeFileSync(doc, renderReport(results, relative(dirname(doc), imgDir) || '.'));
  mkdirSync(dirname(json), { recursive: true });
  writeFileSync(json, JSON.stringify(results, null, 1));
  console.log('\nverdicts:');
  for (const c of evaluateClaims(results)) console.log(`  ${c.verdict.padEnd(26)} ${c.id}`);
  console.log(`\nwrote ${doc}, its figures in ${imgDir}/ and ${json} (${Math.round(results.timing.seconds)} s)`);
  return 0;
}

if (isMain(import.meta.url)) runMain('paper', USAGE, main);
