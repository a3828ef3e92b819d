/**
 * tools/paper/budget.ts and the run plan: the budgets' sizes, the flags that override them (and
 * print back as the report's command), and how the study and the ablation share runs.
 */
import { describe, expect, it } from 'vitest';
import { ablationSpecs } from '../../tools/paper/ablation.js';
import { UsageError } from '../../tools/cli.js';
import { ablationDataset, BUDGETS, budgetFlags, parsePaperArgs } from '../../tools/paper/budget.js';
import { combine, pooled } from '../../tools/paper/claims.js';
import { markdownTable } from '../../tools/paper/cli.js';
import { commands, runDir, runName, trainFlags } from '../../tools/paper/runs.js';
import { studySpecs } from '../../tools/paper/study.js';
import { parseTrainArgs } from '../../tools/train/args.js';
import { summarizeCorrelations } from '@dynconv/analysis';

const parse = (argv: string[]) => {
  const o = parsePaperArgs(argv);
  if (!o) throw new Error('help');
  return o;
};

describe('budgets', () => {
  it('the default budget is 45 distinct trainer runs: 30 for the study, 15 more for the ablation (its g = 4 and static runs are the study\'s)', () => {
    const b = BUDGETS.default;
    const study = studySpecs(b);
    const ablation = ablationSpecs(b);
    expect(study.length).toBe(2 * 3 * 5);
    expect(ablation.length).toBe(5 * 3 + 3 + 3);
    const dirs = new Set([...study, ...ablation].map((s) => runDir({ runsDir: 'runs/paper' }, s, b)));
    expect(dirs.size).toBe(45);
    expect(ablationDataset(b)).toBe('fashion');
    expect(runName({ dataset: 'fashion', model: 'dynamic', groupSize: 4, seed: 2 })).toBe('fashion-dynamic-g4-s2');
    expect(runName({ dataset: 'mnist', model: 'static', groupSize: 4, seed: 0 })).toBe('mnist-static-s0');
  });

  it('each run is a valid tools/train.ts command line', () => {
    for (const s of [...studySpecs(BUDGETS.full), ...ablationSpecs(BUDGETS.quick)]) {
      const parsed = parseTrainArgs(trainFlags(s, BUDGETS.full));
      expect(parsed.help).toBe(false);
    }
    expect(commands(BUDGETS.default, { dataset: 'mnist', model: 'fixed', groupSize: 4, seed: 1 }).train).toBe(
      'npx tsx tools/train.ts --dataset mnist --model fixed --seed 1 --limit 6000 --test-limit 2000 --epochs 1 --warmup 20 --group-size 4 --widths 32,64 --stem 16',
    );
  });

  it('flags override the budget and print back as the command; --full adds the default study; bad flags are usage errors', () => {
    expect(commands(parse([]).budget).paper).toBe('pnpm paper');
    const o = parse(['--quick', '--seeds', '3', '--datasets', 'mnist', '--limit', 'all', '--widths', '8,16', '--no-flops']);
    expect(o.budget).toMatchObject({ name: 'quick', seeds: 3, datasets: ['mnist'], limit: undefined, widths: [8, 16], flops: false, testLimit: 500 });
    expect(budgetFlags(o.budget)).toEqual(['--quick', '--limit', 'all', '--seeds', '3', '--datasets', 'mnist', '--widths', '8,16']);
    expect(parse(budgetFlags(o.budget)).budget).toEqual({ ...o.budget, flops: false });
    const full = parse(['--full']);
    expect(full.budgets.map((b) => b.name)).toEqual(['default', 'full']);
    expect(full.runsDir).toBe('runs/paper');
    for (const [argv, msg] of [
      [['--quick', '--full'], /give one of them/],
      [['--seeds', '1'], /--seeds must be an integer >= 2/],
      [['--datasets', 'cifar'], /--datasets must be mnist, fashion/],
      [['--widths', '8'], /--widths must be two integers/],
      [['--limit', '0'], /--limit must be a positive integer or 'all'/],
      [['--frobnicate'], /Unknown option/],
    ] as const) {
      expect(() => parsePaperArgs(argv as readonly string[])).toThrow(UsageError);
      expect(() => parsePaperArgs(argv as readonly string[])).toThrow(msg);
    }
    expect(parsePaperArgs(['--help'])).toBeUndefined();
  });
});

describe('claim helpers', () => {
  it('combine: all, some or none of the data sets', () => {
    expect(combine([true, true])).toBe('reproduced');
    expect(combine([true, false])).toBe('partly reproduced');
    expect(combine([false, false])).toBe('not reproduced');
  });

  it('pooled: pair-weighted over layers', () => {
    const a = summarizeCorrelations([0.9, 0.1]); // mean |r| 0.5, S+M 1/2
    const b = summarizeCorrelations([0.2, 0.2, 0.2, 0.2, 0.2, 0.2]); // 0.2, 0
    const p = pooled([a, b]);
    expect(p.pairs).toBe(8);
    expect(p.meanAbs).toBeCloseTo((2 * 0.5 + 6 * 0.2) / 8, 14);
    expect(p.strongMedium).toBeCloseTo(1 / 8, 14);
  });

  it('markdown tables right-align numeric columns', () => {
    expect(markdownTable([['a', 'b'], ['x', '1.5'], ['y', '98.1 ± 0.2']])).toBe('| a | b |\n|---|---:|\n| x | 1.5 |\n| y | 98.1 ± 0.2 |');
  });
});
