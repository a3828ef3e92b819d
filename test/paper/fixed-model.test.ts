/**
 * The "Fix" net of the group-size ablation (tools/models/dy-cnn.ts, kind 'fixed'): the Dy-CNN's
 * convs and kernel banks without predictors, every coefficient 1. It computes exactly the
 * static net whose kernels are the sums of each channel's g kernels, costs what that net costs
 * at inference, and trains through tools/train.ts like any other kind.
 */
import { describe, expect, it } from 'vitest';
import { Generator, noGrad, randn } from '@dynconv/core';
import type { StateDict } from '@dynconv/nn';
import { inferenceCost } from '../../tools/models/cost.js';
import { DyCnn, FixedBlock, MODEL_KINDS } from '../../tools/models/dy-cnn.js';
import { parseTrainArgs } from '../../tools/train/args.js';
import { modelConfig, modelTitle, runTraining } from '../../tools/train/run.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const config = (model: 'fixed' | 'static' | 'dynamic', groupSize = 3) => modelConfig({ model, stem: 4, widths: [6, 8], groupSize });

describe("the 'fixed' Dy-CNN (the paper's Fix)", () => {
  it('is the static net with each channel\'s g kernels summed: same output in eval mode, same inference cost', () => {
    const fixed = new DyCnn(config('fixed'), { generator: new Generator(1) }).eval();
    const stat = new DyCnn(config('static'), { generator: new Generator(2) }).eval();
    const dyn = new DyCnn(config('dynamic'), { generator: new Generator(3) });
    expect(MODEL_KINDS).toContain('fixed');
    expect(fixed.stage1).toBeInstanceOf(FixedBlock);
    expect(fixed.dynamicConvs().map((c) => c.predictorKind)).toEqual(['fixed', 'fixed', 'fixed', 'fixed']);
    // The Dy-CNN minus its two predictors.
    const predictors = [dyn.stage1, dyn.stage2].reduce((n, b) => n + ('predictor' in b ? b.predictor.numParameters() : 0), 0);
    expect(fixed.numParameters()).toBe(dyn.numParameters() - predictors);

    const sd = fixed.stateDict();
    const mapped: StateDict = {};
    for (const [k, t] of Object.entries(sd)) {
      const m = /^(stage\d)\.(conv|bn)(\d)\.(.+)$/.exec(k);
      if (!m) mapped[k] = t;
      else if (m[2] === 'bn') mapped[`${m[1]}.layer${m[3]}.bn.${m[4]}`] = t;
    }
    for (const s of ['stage1', 'stage2'] as const) {
      const b = fixed[s] as FixedBlock;
      mapped[`${s}.layer1.conv.weight`] = b.conv1.summedWeight();
      mapped[`${s}.layer2.conv.weight`] = b.conv2.summedWeight();
    }
    stat.loadStateDict(mapped);
    const x = randn([3, 1, 28, 28], { generator: new Generator(4) });
    const [a, b] = noGrad(() => [fixed.forward(x).dataSync(), stat.forward(x).dataSync()]);
    for (let i = 0; i < a!.length; i++) expect(a![i]).toBeCloseTo(b![i]!, 4);
    expect(inferenceCost(fixed).total).toBe(inferenceCost(stat).total);
    expect(modelTitle(fixed.config)).toBe('Fix-CNN (g = 3, coefficients fixed at 1)');
  });

  it('trains with tools/train.ts --model fixed', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dynconv-fixed-'));
    try {
      const parsed = parseTrainArgs(['--model', 'fixed', '--limit', '128', '--test-limit', '100', '--batch-size', '32', '--warmup', '2', '--widths', '6,8', '--stem', '4', '--out', out]);
      if (parsed.help) throw new Error('unreachable');
      let log = '';
      const r = await runTraining(parsed.args, { write: (t) => void (log += t), isTTY: false });
      expect(r.status).toBe('finished');
      expect(r.history[0]!.testAccuracy).toBeGreaterThan(0);
      expect(log).toContain('Fix-CNN (g = 4, coefficients fixed at 1)');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
