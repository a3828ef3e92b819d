import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, gradcheck, gradgradcheck, randn, record, tensor, type Tensor, wrapForTest } from './helpers/wrong-grad.js';
import { runs, shapeArb } from '@dynconv/testing';

const f64 = (shape: number[], seed = 0) => randn(shape, { dtype: 'float64', generator: new Generator(seed) }).requiresGrad_();

describe('gradcheck', () => {
  it('accepts correct gradients over the full Jacobian and in fast mode', () => {
    fc.assert(
      fc.property(shapeArb({ maxDims: 3, maxSize: 4 }), fc.integer(), (shape, seed) => {
        const x = f64(shape, seed);
        const fn = (a: Tensor) => a.mul(a).sin();
        expect(gradcheck(fn, [x])).toBe(true);
        expect(gradcheck(fn, [x], { fastMode: true, generator: new Generator(seed) })).toBe(true);
      }),
      runs(),
    );
  });

  it('catches a wrong gradient and reports input, index and both values', () => {
    fc.assert(
      fc.property(shapeArb({ minDims: 1, maxDims: 3, maxSize: 4 }), fc.integer(), (shape, seed) => {
        const x = f64(shape, seed);
        // square() whose recorded backward forgets the factor 2.
        const bad = (a: Tensor) => wrapForTest(a, (g, input) => g.mul(input));
        expect(() => gradcheck(bad, [x])).toThrow(/output 0 with respect to input 0.*input index \[[\d, ]*\][\s\S]*analytic = [\s\S]*numeric  = /);
        expect(gradcheck(bad, [x], { raiseException: false })).toBe(false);
        expect(() => gradcheck(bad, [x], { fastMode: true })).toThrow(/vᵀJu mismatch.*input 0/);
      }),
      runs(),
    );
  });

  it('catches a wrong second derivative in gradgradcheck while gradcheck passes', () => {
    const x = f64([3]);
    // x^3 with a backward (3 g x^2) whose own derivative is hidden (x^2 computed detached).
    const cube = (a: Tensor) => record('cube', a.detach().pow(3), [a], (g) => [g.mul(a.detach().pow(2)).mul(3)]);
    expect(gradcheck(cube, [x])).toBe(true);
    expect(() => gradgradcheck(cube, [x])).toThrow(/gradcheck: .*mismatch/);
    expect(gradgradcheck((a: Tensor) => a.pow(3), [x])).toBe(true);
  });

  it('refuses float32 inputs unless asked, and leaves that are not leaves', () => {
    const x = randn([2]).requiresGrad_();
    expect(() => gradcheck((a) => a.exp(), [x])).toThrow(/input 0.*float32.*allowFloat32/);
    expect(gradcheck((a) => a.exp(), [x], { allowFloat32: true, eps: 1e-2, atol: 1e-2, rtol: 1e-2 })).toBe(true);
    expect(() => gradcheck((a) => a.exp(), [f64([2]).mul(1)])).toThrow(/leaf/);
    expect(() => gradcheck((a) => a.exp(), [tensor([1], { dtype: 'float64' })])).toThrow(/no input requires grad/);
  });

  it('checks several inputs and outputs, including outputs that do not depend on an input', () => {
    const a = f64([2, 3], 1);
    const b = f64([3], 2);
    expect(gradcheck((x, y) => [x.mul(y), y.exp()], [a, b])).toBe(true);
    expect(gradgradcheck((x, y) => [x.mul(y).tanh(), y.exp()], [a, b])).toBe(true);
  });
});
