/**
 * Adam and AdamW on their fused kernel (core's adamStep_, one pass per parameter) against the
 * rule written with tensor ops (setFusedAdam(false)), over options and several steps; and the
 * cases where the fused path must not be taken.
 */
import { createCpuBackend, type DType, Generator, randn, type Tensor } from '@dynconv/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectClose, runs } from '@dynconv/testing';
import { Adam, AdamW } from '../src/index.js';
import { setFusedAdam } from '../src/optim/adam.js';

createCpuBackend('cpu-nofused-adam', { fusedKernels: false });

type Opts = { lr: number; weightDecay: number; amsgrad: boolean; maximize: boolean; betas: [number, number] };

/** Runs `steps` updates of two parameters with generated gradients; returns params and state. */
function train(kind: 'adam' | 'adamw', opts: Opts, dtype: DType, seed: number, fused: boolean, backend = 'cpu'): number[][] {
  const old = setFusedAdam(fused);
  try {
    const g = new Generator(seed);
    const params = [randn([3, 4], { generator: g, dtype, backend }), randn([5], { generator: g, dtype, backend })].map((p) => p.requiresGrad_());
    const opt = kind === 'adam' ? new Adam(params, opts) : new AdamW(params, opts);
    for (let s = 0; s < 4; s++) {
      for (const p of params) p.grad = randn(p.shape, { generator: g, dtype, backend });
      opt.step();
    }
    const state = params.flatMap((p) => Object.values(opt.state.get(p)!).filter((v): v is Tensor => typeof v === 'object'));
    return [...params, ...state].map((t) => Array.from(t.dataSync()));
  } finally {
    setFusedAdam(old);
  }
}

const optsArb = fc.record({
  lr: fc.double({ min: 1e-4, max: 0.3, noNaN: true }),
  weightDecay: fc.constantFrom(0, 0.01, 0.2),
  amsgrad: fc.boolean(),
  maximize: fc.boolean(),
  betas: fc.tuple(fc.double({ min: 0, max: 0.95, noNaN: true }), fc.double({ min: 0.6, max: 0.999, noNaN: true })),
});

describe('fused Adam/AdamW = the rule as tensor ops', () => {
  it('float64, to 1e-12', () => {
    fc.assert(
      fc.property(fc.constantFrom<'adam' | 'adamw'>('adam', 'adamw'), optsArb, fc.integer({ min: 0, max: 1e6 }), (kind, opts, seed) => {
        const fused = train(kind, opts, 'float64', seed, true);
        const plain = train(kind, opts, 'float64', seed, false);
        expect(fused.length).toBe(plain.length);
        fused.forEach((f, i) => expectClose(f, plain[i]!, { rtol: 1e-12, atol: 1e-13 }));
      }),
      runs(),
    );
  });

  it('float32, to float32 precision', () => {
    fc.assert(
      fc.property(fc.constantFrom<'adam' | 'adamw'>('adam', 'adamw'), optsArb, fc.integer({ min: 0, max: 1e6 }), (kind, opts, seed) => {
        const fused = train(kind, opts, 'float32', seed, true);
        const plain = train(kind, opts, 'float32', seed, false);
        fused.forEach((f, i) => expectClose(f, plain[i]!, { rtol: 2e-5, atol: 2e-6 }));
      }),
      runs(0.5),
    );
  });

  it('a backend without AdamStep runs the composed rule, with the same result', () => {
    const opts: Opts = { lr: 0.05, weightDecay: 0.1, amsgrad: true, maximize: false, betas: [0.9, 0.99] };
    const onCpu = train('adamw', opts, 'float64', 7, true);
    const elsewhere = train('adamw', opts, 'float64', 7, true, 'cpu-nofused-adam');
    onCpu.forEach((f, i) => expectClose(f, elsewhere[i]!, { rtol: 1e-12, atol: 1e-13 }));
  });
});
