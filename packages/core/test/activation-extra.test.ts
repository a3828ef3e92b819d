/**
 * Property tests of the piecewise and sigmoid-gated activations (relu6, hardtanh, hardsigmoid,
 * hardswish, silu): forward values against scalar references over generated shapes and
 * layouts, float64 gradcheck (and gradgradcheck for the smooth pieces) away from the kinks,
 * PyTorch's gradients at the kinks themselves, dtypes and bad input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as dc from '../src/index.js';
import { grad, tensor, type Tensor } from '../src/index.js';
import { checkGradients, expectClose, type Input, inputArb, runs, shapeArb } from '@dynconv/testing';

const inputs: fc.Arbitrary<Input> = shapeArb().chain((s) => inputArb(s, 'real'));

/** The logical values of an input, in row-major order. */
const valuesOf = (inp: Input): number[] => Array.from(inp.view().dataSync());

interface Case {
  name: string;
  fn: (x: Tensor) => Tensor;
  ref: (v: number) => number;
  /** Derivative away from the kinks. */
  dref: (v: number) => number;
  /** Where the function has a kink; generated values are kept at least 1e-3 away. */
  kinks: number[];
  /** Input scale so every piece gets values (standard normals times this). */
  scale: number;
  /** Smooth between kinks: gradgradcheck applies. */
  smooth: boolean;
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));
const clampRef = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

const CASES: Case[] = [
  { name: 'relu6', fn: (x) => dc.relu6(x), ref: (v) => clampRef(v, 0, 6), dref: (v) => (v > 0 && v < 6 ? 1 : 0), kinks: [0, 6], scale: 4, smooth: true },
  { name: 'hardtanh', fn: (x) => dc.hardtanh(x), ref: (v) => clampRef(v, -1, 1), dref: (v) => (v > -1 && v < 1 ? 1 : 0), kinks: [-1, 1], scale: 1.5, smooth: true },
  {
    name: 'hardtanh(-0.5, 2)',
    fn: (x) => dc.hardtanh(x, -0.5, 2),
    ref: (v) => clampRef(v, -0.5, 2),
    dref: (v) => (v > -0.5 && v < 2 ? 1 : 0),
    kinks: [-0.5, 2],
    scale: 1.5,
    smooth: true,
  },
  {
    name: 'hardsigmoid',
    fn: (x) => dc.hardsigmoid(x),
    ref: (v) => (v <= -3 ? 0 : v >= 3 ? 1 : v / 6 + 0.5),
    dref: (v) => (v > -3 && v < 3 ? 1 / 6 : 0),
    kinks: [-3, 3],
    scale: 3,
    smooth: true,
  },
  {
    name: 'hardswish',
    fn: (x) => dc.hardswish(x),
    ref: (v) => (v <= -3 ? 0 : v >= 3 ? v : (v * (v + 3)) / 6),
    dref: (v) => (v < -3 ? 0 : v > 3 ? 1 : v / 3 + 0.5),
    kinks: [-3, 3],
    scale: 3,
    smooth: true,
  },
  { name: 'silu', fn: (x) => dc.silu(x), ref: (v) => v * sig(v), dref: (v) => sig(v) * (1 + v * (1 - sig(v))), kinks: [], scale: 3, smooth: true },
];

describe.each(CASES)('$name', ({ fn, ref, dref, kinks, scale, smooth }) => {
  it('forward matches the scalar reference over shapes and layouts', () => {
    fc.assert(
      fc.property(inputs, (inp) => {
        const x = inp.view().mul(scale);
        const y = fn(x);
        expect(y.shape).toEqual(x.shape);
        expect(y.dtype).toBe('float64');
        expectClose(y.dataSync(), Array.from(x.dataSync(), ref), { rtol: 1e-14, atol: 1e-15 });
      }),
      runs(),
    );
  });

  it('gradcheck (and gradgradcheck) through layouts, away from the kinks', () => {
    fc.assert(
      fc.property(inputs, (inp) => {
        fc.pre(valuesOf(inp).every((v) => kinks.every((k) => Math.abs(v * scale - k) > 1e-3)));
        checkGradients((l) => fn(inp.view(l).mul(scale)), [inp.leaf], { second: smooth });
      }),
      runs(),
    );
  });

  it('first derivative matches the analytic one', () => {
    fc.assert(
      fc.property(inputs, (inp) => {
        const x = inp.view().mul(scale).contiguous();
        fc.pre(Array.from(x.dataSync()).every((v) => kinks.every((k) => v !== k)));
        const [g] = grad(fn(x).sum(), x);
        expectClose(g!.dataSync(), Array.from(x.dataSync(), dref), { rtol: 1e-13, atol: 1e-15 });
      }),
      runs(),
    );
  });

  it('float32 in, float32 out and float32 gradients', () => {
    const x = tensor([-4, -2.5, -0.75, 0.3, 1.5, 2.9, 7], { requiresGrad: true });
    const y = fn(x);
    expect(y.dtype).toBe('float32');
    expectClose(y.dataSync(), Array.from(x.dataSync(), ref), { rtol: 1e-6, atol: 1e-7 });
    expect(grad(y.sum(), x)[0]!.dtype).toBe('float32');
  });
});

describe('gradients at the kinks are PyTorch\'s', () => {
  const at = (f: (x: Tensor) => Tensor, vs: number[]) => {
    const x = tensor(vs, { dtype: 'float64', requiresGrad: true });
    return Array.from(grad(f(x).sum(), x)[0]!.dataSync());
  };

  it('hardtanh and relu6: 0 at the bounds (unlike clamp, which passes the gradient there)', () => {
    expect(at(dc.hardtanh, [-1, 1, 0])).toEqual([0, 0, 1]);
    expect(at((x) => dc.hardtanh(x, -2, 3), [-2, 3])).toEqual([0, 0]);
    expect(at(dc.relu6, [0, 6, 3])).toEqual([0, 0, 1]);
  });

  it('hardsigmoid: 0 at -3 and 3; hardswish: x/3 + 1/2 on the closed interval [-3, 3]', () => {
    expect(at(dc.hardsigmoid, [-3, 3, 0])).toEqual([0, 0, 1 / 6]);
    expect(at(dc.hardswish, [-3, 3, 0])).toEqual([-0.5, 1.5, 0.5]);
  });

  it('elu: alpha at x = 0; softplus: the smooth branch\'s whole gradient where beta x = threshold (no tie split)', () => {
    expect(at((x) => dc.elu(x, 2), [0, 1])).toEqual([2, 1]);
    expect(at((x) => dc.elu(x, 0.5), [0])).toEqual([0.5]);
    // beta x = threshold is on the smooth side in PyTorch: sigmoid(beta x), not 1 and not half of it.
    const [g] = at((x) => dc.softplus(x, 2, 1), [0.5]);
    expect(g).toBeCloseTo(1 / (1 + Math.exp(-1)), 14);
    const [atThreshold, above] = at((x) => dc.softplus(x, 1, 20), [20, 21]);
    expect(atThreshold).toBeCloseTo(1 / (1 + Math.exp(-20)), 14);
    expect(atThreshold).toBeLessThan(1);
    expect(above).toBe(1);
  });

  it('values at and beyond the kinks; NaN propagates; huge inputs stay finite', () => {
    const x = tensor([-1e300, -3, 3, 6, 1e300, NaN], { dtype: 'float64' });
    expect(dc.relu6(x).toArray()).toEqual([0, 0, 3, 6, 6, NaN]);
    expect(dc.hardtanh(x).toArray()).toEqual([-1, -1, 1, 1, 1, NaN]);
    expect(dc.hardsigmoid(x).toArray()).toEqual([0, 0, 1, 1, 1, NaN]);
    expect(dc.hardswish(x).toArray()).toEqual([0, -0, 3, 6, 1e300, NaN]);
    expect(dc.silu(x).toArray()).toEqual([-0, -3 * sig(-3), 3 * sig(3), 6 * sig(6), 1e300, NaN]);
    const big = tensor([-1e300, 1e300], { dtype: 'float64', requiresGrad: true });
    expect(grad(dc.hardswish(big).sum(), big)[0]!.toArray()).toEqual([0, 1]);
    expect(grad(dc.silu(big).sum(), big)[0]!.toArray()).toEqual([0, 1]);
  });
});

describe('bad input', () => {
  it.each(['relu6', 'hardtanh', 'hardsigmoid', 'hardswish', 'silu'] as const)('%s rejects a non-tensor, naming the op', (name) => {
    expect(() => dc[name](1 as unknown as Tensor)).toThrow(new RegExp(`${name}.*must be a Tensor.*number`));
  });

  it.each(['hardsigmoid', 'hardswish', 'silu'] as const)('%s rejects integer tensors', (name) => {
    expect(() => dc[name](tensor([1, 2], { dtype: 'int32' }))).toThrow(new RegExp(`${name}.*float32 or float64.*int32`));
  });

  it('relu6 and hardtanh keep int32 like clamp; hardtanh needs min <= max; bool is refused', () => {
    const i = tensor([-5, 0, 3, 9], { dtype: 'int32' });
    expect(dc.relu6(i).dtype).toBe('int32');
    expect(dc.relu6(i).toArray()).toEqual([0, 0, 3, 6]);
    expect(dc.hardtanh(i, -2, 2).toArray()).toEqual([-2, 0, 2, 2]);
    expect(() => dc.hardtanh(tensor([1]), 2, 1)).toThrow(/hardtanh: min must be <= max, got min=2, max=1/);
    expect(() => dc.relu6(tensor([true]))).toThrow(/relu6: bool/);
  });
});
