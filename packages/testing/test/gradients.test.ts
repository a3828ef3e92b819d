/** checkGradients and checkParamGradient pass right gradients and catch deliberately wrong ones. */
import { noGrad, record, tensor, type Tensor } from '@dynconv/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkGradients, checkParamGradient, FULL_JACOBIAN_LIMIT, runs, tensorArb } from '../src/index.js';

/** x³ with the backward `backward(g, x)`. */
const cube = (x: Tensor, backward: (g: Tensor, x: Tensor) => Tensor): Tensor => record('cube', noGrad(() => x.mul(x).mul(x)), [x], (g) => [backward(g, x)]);
const right = (g: Tensor, x: Tensor) => g.mul(x.mul(x)).mul(3);

describe('checkGradients', () => {
  it('passes a right gradient and its second derivative, through every layout', () => {
    fc.assert(
      fc.property(tensorArb({ maxDims: 3 }), (inp) => {
        checkGradients((l) => cube(inp.view(l), right), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('catches a wrong gradient, in full and in fast mode', () => {
    const small = tensor([0.5, -1.2, 2], { dtype: 'float64' }).requiresGrad_();
    const large = tensor(Float64Array.from({ length: FULL_JACOBIAN_LIMIT + 1 }, (_, i) => 0.1 * i - 2), { dtype: 'float64' }).requiresGrad_();
    for (const x of [small, large]) {
      expect(() => checkGradients((l) => cube(l, (g, v) => g.mul(v.mul(v)).mul(2.9)), [x])).toThrow(/^gradcheck: /);
    }
  });

  it('catches a backward that is right once but not differentiable (second: true)', () => {
    const x = tensor([0.5, -1.2, 2], { dtype: 'float64' }).requiresGrad_();
    // The backward's values are right, but computed off the tape: its own gradient is lost.
    const offTape = (g: Tensor, v: Tensor) => g.mul(noGrad(() => v.mul(v).mul(3)));
    expect(() => checkGradients((l) => cube(l, offTape), [x])).not.toThrow();
    expect(() => checkGradients((l) => cube(l, offTape), [x], { second: true })).toThrow(/^gradcheck: /);
  });

  it('refuses float32 inputs (gradcheck needs float64)', () => {
    expect(() => checkGradients((l) => l.mul(2), [tensor([1, 2]).requiresGrad_()])).toThrow(/float32; finite differences/);
  });
});

describe('checkParamGradient', () => {
  const setup = () => {
    const w = tensor([0.3, -0.7, 1.1, 0.2], { dtype: 'float64' }).requiresGrad_();
    const x = tensor([1.5, -2, 0.5, 3], { dtype: 'float64' });
    const loss = () => w.mul(x).tanh().sum();
    loss().backward();
    return { w, loss };
  };

  it('passes the gradient backward() wrote, and leaves the parameter as it was', () => {
    const { w, loss } = setup();
    const before = Array.from(w.dataSync());
    checkParamGradient(w, w.grad!, loss, { entries: [0, 1, 2, 3] });
    checkParamGradient(w, w.grad!.dataSync(), loss);
    expect(Array.from(w.dataSync())).toEqual(before);
  });

  it('catches a wrong gradient, naming the parameter and the entry', () => {
    const { w, loss } = setup();
    const wrong = Float64Array.from(w.grad!.dataSync());
    wrong[3] = wrong[3]! * 1.1;
    expect(() => checkParamGradient(w, wrong, loss, { label: 'fc.weight' })).toThrow(/^checkParamGradient: fc\.weight entry 3: analytic .*, numeric /);
    expect(() => checkParamGradient(w, wrong, loss, { entries: [0, 1] })).not.toThrow();
  });

  it('refuses float32 parameters and gradients of the wrong size', () => {
    const { w, loss } = setup();
    expect(() => checkParamGradient(tensor([1, 2]), [1, 2], loss)).toThrow(/is float32; finite differences need float64/);
    expect(() => checkParamGradient(w, [1, 2], loss)).toThrow(/has 4 entries but the analytic gradient has 2/);
  });
});
