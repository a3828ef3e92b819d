/**
 * SGD on its fused kernel (core's sgdStep_, one pass per parameter) against the rule written
 * with tensor ops (setFusedSgd(false)) and against the reference backend's kernel, over
 * options and several steps, bit for bit in float32 and float64.
 */
import { type DType, Generator, getBackend, randn, runKernel, type SgdScalars, type Tensor, tidy } from '@dynconv/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runs } from '@dynconv/testing';
import { SGD } from '../src/index.js';
import { setFusedSgd } from '../src/optim/sgd.js';

type Opts = { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean; maximize: boolean };

function train(opts: Opts, dtype: DType, seed: number, fused: boolean): number[][] {
  const old = setFusedSgd(fused);
  try {
    const g = new Generator(seed);
    const params = [randn([3, 4], { generator: g, dtype }), randn([70], { generator: g, dtype })].map((p) => p.requiresGrad_());
    const opt = new SGD(params, opts);
    for (let s = 0; s < 4; s++) {
      // A strided gradient too: the fused kernel reads any layout.
      for (const p of params) p.grad = p.ndim === 2 ? randn([4, 3], { generator: g, dtype }).t() : randn(p.shape, { generator: g, dtype });
      opt.step();
    }
    const state = params.flatMap((p) => Object.values(opt.state.get(p)!).filter((v): v is Tensor => typeof v === 'object'));
    return [...params, ...state].map((t) => Array.from(t.dataSync()));
  } finally {
    setFusedSgd(old);
  }
}

const optsArb = fc
  .record({
    lr: fc.double({ min: 1e-4, max: 0.5, noNaN: true }),
    momentum: fc.constantFrom(0, 0.5, 0.9),
    dampening: fc.constantFrom(0, 0.1),
    weightDecay: fc.constantFrom(0, 0.01, 0.3),
    nesterov: fc.boolean(),
    maximize: fc.boolean(),
  })
  .map((o) => (o.nesterov && (o.momentum === 0 || o.dampening !== 0) ? { ...o, nesterov: false } : o));

describe('fused SGD = the rule as tensor ops', () => {
  it.each(['float32', 'float64'] as const)('%s, bit for bit, over options and four steps', (dtype) => {
    fc.assert(
      fc.property(optsArb, fc.integer({ min: 0, max: 1e6 }), (opts, seed) => {
        const fused = train(opts, dtype, seed, true);
        const plain = train(opts, dtype, seed, false);
        expect(fused).toEqual(plain);
      }),
      runs(),
    );
  });

  it('the cpu kernel equals the reference kernel', () => {
    fc.assert(
      fc.property(optsArb, fc.boolean(), fc.constantFrom<DType>('float32', 'float64'), fc.integer({ min: 0, max: 1e6 }), (o, firstStep, dtype, seed) =>
        tidy(() => {
          const g = new Generator(seed);
          const p = randn([5, 7], { generator: g, dtype });
          const grad = randn([7, 5], { generator: g, dtype }).t();
          const b = o.momentum !== 0 ? randn([5, 7], { generator: g, dtype }) : null;
          const s: SgdScalars = { ...o, firstStep: firstStep && o.momentum !== 0 };
          const run = (backend: string) => {
            const [pp, bb] = [p.to(backend).clone(), b ? b.to(backend).clone() : null];
            runKernel(getBackend(backend), 'SgdStep', pp, grad.to(backend), bb, s);
            return [Array.from(pp.dataSync()), bb ? Array.from(bb.dataSync()) : []];
          };
          expect(run('cpu')).toEqual(run('reference'));
        }),
      ),
      runs(),
    );
  });
});
