/**
 * Training-mode batch norm's WebAssembly loops (cpu/simd-batchnorm.ts) give the same bits as
 * the JavaScript loops (cpu/batchnorm.ts), forward (y, batch statistics through the running
 * ones) and backward (dx, dweight, dbias), with inputs in wasm memory or staged there, over
 * generated shapes (odd and even run lengths, 2-D and 4-D); and the JavaScript loops agree
 * with the reference backend.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { batchNorm, Generator, grad, ones, randn, tidy, zeros } from '../src/index.js';
import { setSimdBatchNorm } from '../src/cpu/simd-batchnorm.js';
import { expectClose, runs } from '@dynconv/testing';

afterEach(() => void setSimdBatchNorm(true));

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

/** y, running mean and var, dx, dweight, dbias of one training-mode batch norm with a random probe. */
function bnAndGrads(shape: number[], seed: number, dtype: 'float32' | 'float64', backend: string, inTidy: boolean): number[][] {
  const g = new Generator(seed);
  const C = shape[1]!;
  const make = () => ({
    x: randn(shape, { generator: g, dtype, backend }).mul(3).add(1).requiresGrad_(),
    w: randn([C], { generator: g, dtype, backend }).requiresGrad_(),
    b: randn([C], { generator: g, dtype, backend }).requiresGrad_(),
    probe: randn(shape, { generator: g, dtype, backend }),
  });
  const outer = inTidy ? null : make(); // made outside tidy: plain arrays, staged into wasm memory
  return tidy(() => {
    const { x, w, b, probe } = outer ?? make();
    const [rm, rv] = [zeros([C], { dtype, backend }), ones([C], { dtype, backend })];
    const y = batchNorm(x, rm, rv, w, b, true, 0.1, 1e-5);
    const [dx, dw, db] = grad(y.mul(probe).sum(), [x, w, b]);
    return [y, rm, rv, dx!, dw!, db!].map((t) => Array.from(t.dataSync()));
  });
}

const shapeArb = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 })).map((s) => [...s]),
  fc.tuple(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 1, max: 5 })).map((s) => [...s]),
).filter((s) => s[0]! * s.slice(2).reduce((a, b) => a * b, 1) > 1); // batch statistics need two values per channel

describe('batch norm (training) on the CPU', () => {
  it('WebAssembly and JavaScript loops give the same bits (float32), in wasm memory or staged', () => {
    fc.assert(
      fc.property(shapeArb, fc.integer({ min: 0, max: 1e6 }), fc.boolean(), (shape, seed, inTidy) => {
        const wasm = bnAndGrads(shape, seed, 'float32', 'cpu', inTidy);
        setSimdBatchNorm(false);
        const js = bnAndGrads(shape, seed, 'float32', 'cpu', inTidy);
        setSimdBatchNorm(true);
        wasm.forEach((a, i) => expect(sameBits(a, js[i]!), `output ${i} of [${shape}]`).toBe(true));
      }),
      runs(4),
    );
  });

  it('the JavaScript loops match the reference backend (float64 and float32)', () => {
    fc.assert(
      fc.property(shapeArb, fc.integer({ min: 0, max: 1e6 }), fc.constantFrom('float32', 'float64' as const), (shape, seed, dtype) => {
        setSimdBatchNorm(false);
        const js = bnAndGrads(shape, seed, dtype, 'cpu', true);
        setSimdBatchNorm(true);
        const ref = bnAndGrads(shape, seed, dtype, 'reference', true);
        const tol = dtype === 'float64' ? 1e-9 : 2e-4;
        js.forEach((a, i) => expectClose(a, ref[i]!, { rtol: tol, atol: tol, label: `output ${i} of [${shape}]` }));
      }),
      runs(2),
    );
  });
});
