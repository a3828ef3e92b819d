/**
 * tools/paper/ end to end, at a budget of seconds: pnpm paper's script writes the report, its
 * figures and its JSON, and a second invocation reuses every run; study.ts, ablation.ts and
 * correlation.ts run on their own; a run stopped half-way continues from its checkpoint to the
 * same weights as an uninterrupted one. The tools run through tsx against the packages' dist/
 * builds (`tsc -b` first, as for test/train.test.ts).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePaperArgs } from '../../tools/paper/budget.js';
import { ensureRun, type PaperContext, RunStopped } from '../../tools/paper/runs.js';
import { balanced } from '../../packages/analysis/test/balanced.js';
import { snapshot, tool } from '../helpers/train-tools.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dynconv-paper-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A budget of seconds: one data set, two seeds, nets of a few thousand parameters. */
const TINY = ['--quick', '--datasets', 'mnist', '--seeds', '2', '--ablation-seeds', '2', '--limit', '128', '--test-limit', '100', '--warmup', '2', '--group-sizes', '1,2', '--group-size', '2', '--widths', '4,8', '--stem', '4', '--correlation-images', '60', '--kernel-images', '10', '--speed-images', '50'];

describe('tools/paper/paper.ts', () => {
  it('writes the report with every claim and a verdict, its figures and its JSON; a rerun reuses every run', async () => {
    const runs = join(tmp, 'runs');
    const doc = join(tmp, 'docs', 'paper.md');
    const img = join(tmp, 'docs', 'img', 'paper');
    const first = await tool('tools/paper/paper.ts', [...TINY, '--runs', runs, '--doc', doc, '--img', img]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/\[1\/\d+\] quick mnist dynamic g2 seed 0: \d+\.\d\d% in /);
    const md = readFileSync(doc, 'utf8');
    expect(md).toContain('**Quick budget: a smoke test of the pipeline, not results.**');
    for (const h of ['## The claims', '## 1. Correlation analysis', '## 2. Dynamic vs static at equal FLOPs', '## 3. Group-size ablation', '## 4. Counted, not trained: FLOPs', '## Reproducing']) expect(md).toContain(h);
    const verdicts = [...md.matchAll(/\| \*\*(reproduced|partly reproduced|not reproduced|not testable at this scale)\*\* \|/g)];
    expect(verdicts.length).toBe(12);
    const figures = readdirSync(img).sort();
    expect(figures).toEqual(['accuracy-vs-mmac.svg', 'correlation-bins-mnist.svg', 'feature-correlation-mnist.svg', 'group-size.svg', 'kernel-correlation-mnist.svg']);
    for (const f of figures) {
      const svg = readFileSync(join(img, f), 'utf8');
      expect(svg.startsWith('<svg'), f).toBe(true);
      expect(balanced(svg), f).toBe(true);
      expect(md).toContain(`](img/paper/${f})`);
    }
    const json = JSON.parse(readFileSync(join(runs, 'quick', 'paper.json'), 'utf8'));
    expect(json.studies[0].datasets[0].models.map((m: { model: string }) => m.model)).toEqual(['dynamic', 'static', 'static-wide']);
    expect(json.studies[0].datasets[0].models[0].accuracy.n).toBe(2);
    expect(json.ablation.variants.map((v: { key: string }) => v.key)).toEqual(['g1', 'g2', 'fix', 'static']);
    expect(json.correlation.datasets[0].models[2].layers[1].generatedKernels.pairs).toBe(10 * 6); // 10 images, C(4, 2) pairs
    expect(json.timing.runsTrained).toBe(10); // 6 of the study, g1 x2 and fix x2 of the ablation

    const second = await tool('tools/paper/paper.ts', [...TINY, '--runs', runs, '--doc', doc, '--img', img]);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/% in \d/);
    expect(second.stdout).toMatch(/seed 1: \d+\.\d\d% \(reused\)/);
    const again = readFileSync(doc, 'utf8');
    expect(again).toMatch(/0 runs trained, 10 reused/);
    // The numbers are the runs': the same accuracies both times.
    const accuracies = (s: string) => [...s.matchAll(/\| ([\d.]+ ± [\d.]+) \|/g)].map((m) => m[1]);
    expect(accuracies(again)).toEqual(accuracies(md));
  });

  it('study.ts, ablation.ts and correlation.ts run on their own; bad flags exit with code 2 and the usage', async () => {
    const runs = join(tmp, 'runs');
    const study = await tool('tools/paper/study.ts', [...TINY, '--runs', runs]);
    expect(study.code).toBe(0);
    expect(study.stdout).toMatch(/\| Dy-CNN \(g = 2\) \| [\d,]+ \| [\d.]+ \| [\d.]+ ± [\d.]+ \| 2 \|/);
    expect(JSON.parse(readFileSync(join(runs, 'quick', 'study.json'), 'utf8'))[0].datasets[0].tests.dynamicVsStatic.df).toBeGreaterThan(0);
    const ablation = await tool('tools/paper/ablation.ts', [...TINY, '--runs', runs]);
    expect(ablation.code).toBe(0);
    expect(ablation.stdout).toContain('| Fix (g = 2, no predictor) |');
    expect(existsSync(join(runs, 'quick', 'ablation.svg'))).toBe(true);
    const ckpt = join(runs, 'quick', 'mnist-dynamic-g2-s0', 'checkpoint.safetensors');
    const out = join(tmp, 'corr');
    const corr = await tool('tools/paper/correlation.ts', [ckpt, '--images', '40', '--layer', 'stage1.conv1', '--layer', 'stage2.conv2', '--json', join(out, 'c.json'), '--svg', join(out, 'c.svg')]);
    expect(corr.stderr).toBe('');
    expect(corr.code).toBe(0);
    expect(corr.stdout).toMatch(/\| stage1 conv1 \(stage1\.conv1\) \| feature maps \(mixed kernels\) \| 6 \|/);
    const c = JSON.parse(readFileSync(join(out, 'c.json'), 'utf8'));
    expect(c[0].layers.map((l: { name: string }) => l.name)).toEqual(['stage1.conv1', 'stage2.conv2']);
    expect(c[0].images).toBe(40);
    expect(balanced(readFileSync(join(out, 'c.svg'), 'utf8'))).toBe(true);
    const bad = await tool('tools/paper/correlation.ts', [ckpt, '--layer', 'nope', '--images', '10']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no conv layer named "nope"; the model's conv layers are stem\.conv, stage1\.conv1/);
    const usage = await tool('tools/paper/paper.ts', ['--seeds', 'x']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--seeds must be an integer >= 2, got "x"[\s\S]*usage: pnpm paper/);
  });
});

describe('resuming', () => {
  it('a run stopped after one step continues from its checkpoint to the weights of an uninterrupted run', async () => {
    const opts = parsePaperArgs([...TINY, '--limit', '256'])!;
    const spec = { dataset: 'mnist' as const, model: 'dynamic' as const, groupSize: 2, seed: 1 };
    const ctx = (runsDir: string, stop: boolean): PaperContext => ({ runsDir, log: () => {}, verbose: false, control: { stop }, counter: { done: 0, total: 1 } });
    const [a, b] = [join(tmp, 'resume-a'), join(tmp, 'resume-b')];
    await expect(ensureRun(ctx(a, true), spec, opts.budget)).rejects.toThrow(RunStopped);
    const lines: string[] = [];
    const resumed = await ensureRun({ ...ctx(a, false), log: (l) => lines.push(l) }, spec, opts.budget);
    expect(lines.join('\n')).toContain('continued from its checkpoint');
    const whole = await ensureRun(ctx(b, false), spec, opts.budget);
    expect(resumed.accuracy).toBe(whole.accuracy);
    expect(snapshot(resumed.checkpoint).tensors).toEqual(snapshot(whole.checkpoint).tensors);
  });
});
