/** expectParity between backends, and the DYNCONV_NUM_RUNS / DYNCONV_SEED settings. */
import { conv2d, type Tensor } from '@dynconv/core';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_NUM_RUNS, expectParity, numRuns, runs, seed, values } from '../src/index.js';

describe('expectParity', () => {
  const x = { values: values([1, 2, 5, 5], 1), baseShape: [1, 2, 5, 5] };
  const w = { values: values([3, 2, 3, 3], 2), baseShape: [3, 2, 3, 3] };

  it('passes an op that agrees on two backends, outputs and gradients', () => {
    expectParity('reference', [x, w], (a, k) => conv2d(a, k, null, { padding: 1 }).relu(), { reduce: 18 });
    expectParity('cpu', [x, { ...w, view: (t: Tensor) => t.permute([1, 0, 2, 3]).permute([1, 0, 2, 3]) }], (a, k) => [conv2d(a, k), a.sum()], { reference: 'reference', reduce: 50 });
  });

  it('names the output or the input gradient that differs', () => {
    // An op that computes something else on the backend under test.
    const skewed = (bias: number, gradScale: number) => (a: Tensor) => (a.backend.name === 'reference' ? a.mul(gradScale).add(bias) : a);
    expect(() => expectParity('reference', [x], skewed(1e-3, 1))).toThrow(/^output 0, reference vs cpu: 50 of 50 elements differ; worst is element \[/);
    expect(() => expectParity('reference', [x], skewed(0, 1.001), { rtol: 1e-2 })).not.toThrow();
    // Same values, a gradient 1.01 times too large on the backend under test.
    const gradSkewed = (a: Tensor) => (a.backend.name === 'reference' ? a.mul(1.01).sub(a.detach().mul(0.01)) : a);
    expect(() => expectParity('reference', [x, w], (a, k) => [a.sum(), gradSkewed(k).sum()])).toThrow(/^gradient of input 1, reference vs cpu: 54 of 54 elements differ; worst is element \[/);
    expect(() => expectParity('reference', [x, { ...w, grad: false }], (a, k) => skewed(0, 1.01)(k).sum().add(a.sum()))).toThrow(/^output 0/);
    expect(() => expectParity('reference', [x], (a) => skewed(0, 1.01)(a).mul(0).sum(), { backward: false })).not.toThrow();
  });
});

describe('numRuns, runs and seed', () => {
  const saved = { runs: process.env.DYNCONV_NUM_RUNS, seed: process.env.DYNCONV_SEED };
  afterEach(() => {
    for (const [k, v] of [['DYNCONV_NUM_RUNS', saved.runs], ['DYNCONV_SEED', saved.seed]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('read DYNCONV_NUM_RUNS and DYNCONV_SEED, with defaults', () => {
    delete process.env.DYNCONV_NUM_RUNS;
    delete process.env.DYNCONV_SEED;
    expect(numRuns()).toBe(DEFAULT_NUM_RUNS);
    expect(numRuns(0.25)).toBe(3);
    expect(numRuns(0.01)).toBe(1);
    expect(runs(2)).toEqual({ numRuns: 24 });
    expect(seed()).toBeUndefined();
    process.env.DYNCONV_NUM_RUNS = '200';
    process.env.DYNCONV_SEED = '-123456';
    expect(numRuns(0.5)).toBe(100);
    expect(runs()).toEqual({ numRuns: 200, seed: -123456 });
  });

  it('refuse values that are not integers', () => {
    process.env.DYNCONV_NUM_RUNS = 'lots';
    expect(() => numRuns()).toThrow('DYNCONV_NUM_RUNS must be an integer >= 1, got "lots"');
    delete process.env.DYNCONV_NUM_RUNS;
    process.env.DYNCONV_SEED = '1.5';
    expect(() => runs()).toThrow(/DYNCONV_SEED must be an integer/);
    expect(() => numRuns(0)).toThrow(/scale must be > 0/);
  });
});
