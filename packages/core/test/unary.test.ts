/**
 * Property tests of the elementwise unary ops: forward values against JS Math references over
 * generated shapes and layouts (contiguous, permuted, strided, expanded), float64
 * gradcheck/gradgradcheck through the same layouts, dtype rules and bad input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as dc from '../src/index.js';
import { grad, tensor, type Tensor } from '../src/index.js';
import { checkGradients, type Domain, expectClose, inputArb, runs, shapeArb, values } from '@dynconv/testing';

/** erf by composite Simpson on 2/sqrt(pi) * integral_0^x exp(-t^2) dt (error < 1e-12 for |x| <= 6). */
function erfRef(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x); // 1 - erf(6) is 2e-17, below half an ulp of 1
  const n = 4000;
  const h = ax / n;
  let s = 1 + Math.exp(-ax * ax);
  for (let i = 1; i < n; i++) {
    const t = i * h;
    s += (i % 2 === 1 ? 4 : 2) * Math.exp(-t * t);
  }
  const r = ((2 / Math.sqrt(Math.PI)) * (h / 3)) * s;
  return x < 0 ? -r : r;
}

/** Round half to even, from floor and the (exact) fractional part. */
function roundHalfEvenRef(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

interface UnaryCase {
  name: string;
  fn: (x: Tensor) => Tensor;
  ref: (x: number) => number;
  /** Where gradients are checked (away from kinks and poles). */
  domain: Domain;
  /** Where forward values are compared (may be wider than `domain`). */
  forwardDomain?: Domain;
  /** Smooth in `domain`: run gradgradcheck too. */
  second: boolean;
  rtol?: number;
  atol?: number;
}

const CASES: UnaryCase[] = [
  { name: 'neg', fn: dc.neg, ref: (x) => -x, domain: 'real', second: true },
  { name: 'exp', fn: dc.exp, ref: Math.exp, domain: 'real', second: true },
  { name: 'log', fn: dc.log, ref: Math.log, domain: 'positive', second: true },
  { name: 'sqrt', fn: dc.sqrt, ref: Math.sqrt, domain: 'positive', second: true },
  { name: 'rsqrt', fn: dc.rsqrt, ref: (x) => 1 / Math.sqrt(x), domain: 'positive', second: true },
  { name: 'abs', fn: dc.abs, ref: Math.abs, domain: 'nonzero', forwardDomain: 'real', second: true },
  { name: 'sin', fn: dc.sin, ref: Math.sin, domain: 'real', second: true },
  { name: 'cos', fn: dc.cos, ref: Math.cos, domain: 'real', second: true },
  { name: 'tanh', fn: dc.tanh, ref: Math.tanh, domain: 'real', second: true },
  { name: 'sigmoid', fn: dc.sigmoid, ref: (x) => 1 / (1 + Math.exp(-x)), domain: 'real', second: true },
  { name: 'relu', fn: dc.relu, ref: (x) => Math.max(x, 0), domain: 'nonzero', forwardDomain: 'real', second: true },
  { name: 'sign', fn: dc.sign, ref: Math.sign, domain: 'nonzero', forwardDomain: 'real', second: false },
  { name: 'erf', fn: dc.erf, ref: erfRef, domain: 'real', second: true, rtol: 1e-10, atol: 1e-12 },
  { name: 'log1p', fn: dc.log1p, ref: Math.log1p, domain: 'unit', second: true },
  { name: 'expm1', fn: dc.expm1, ref: Math.expm1, domain: 'real', second: true },
  { name: 'reciprocal', fn: dc.reciprocal, ref: (x) => 1 / x, domain: 'positive', forwardDomain: 'nonzero', second: true },
];

/** Ops whose gradient is zero everywhere (piecewise constant). */
const STEP_CASES: { name: string; fn: (x: Tensor) => Tensor; ref: (x: number) => number }[] = [
  { name: 'floor', fn: dc.floor, ref: Math.floor },
  { name: 'ceil', fn: dc.ceil, ref: Math.ceil },
  { name: 'round', fn: dc.round, ref: roundHalfEvenRef },
  { name: 'sign', fn: dc.sign, ref: Math.sign },
];

/** A float64 tensor of `shape` (via a generated layout) whose logical values come from `valueArb`. */
function laidOutArb(valueArb: fc.Arbitrary<number>, shapeOpts = {}): fc.Arbitrary<Tensor> {
  return shapeArb(shapeOpts).chain((shape) =>
    inputArb(shape).chain((inp) =>
      fc.array(valueArb, { minLength: inp.leaf.numel(), maxLength: inp.leaf.numel() }).map((vals) => {
        const leaf = tensor(Float64Array.from(vals), { dtype: 'float64' }).reshape(inp.leaf.shape);
        return inp.view(leaf);
      }),
    ),
  );
}

describe.each(CASES)('$name', (c) => {
  it('forward matches the JS Math reference over shapes and layouts', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => inputArb(s, c.forwardDomain ?? c.domain)), (inp) => {
        const x = inp.view();
        const y = c.fn(x);
        expect(y.shape).toEqual(x.shape);
        expect(y.dtype).toBe('float64');
        expectClose(y.dataSync(), Array.from(x.dataSync(), c.ref), { rtol: c.rtol, atol: c.atol });
      }),
      runs(),
    );
  });

  it('forward matches the reference on arbitrary doubles (NaN, ±Infinity, -0, huge, tiny)', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { maxLength: 20 }), (xs) => {
        const y = c.fn(tensor(Float64Array.from(xs), { dtype: 'float64' }));
        expectClose(y.dataSync(), xs.map(c.ref), { rtol: c.rtol, atol: c.atol });
      }),
      runs(),
    );
  });

  it('float32 in, float32 out, rounded from the exact value', () => {
    fc.assert(
      fc.property(shapeArb({ maxDims: 3 }).chain((s) => inputArb(s, c.forwardDomain ?? c.domain, 'float32')), (inp) => {
        const x = inp.view();
        const y = c.fn(x);
        expect(y.dtype).toBe('float32');
        expectClose(y.dataSync(), Array.from(x.dataSync(), (v) => Math.fround(c.ref(v))), { rtol: 1e-6, atol: 1e-7 });
      }),
      runs(),
    );
  });

  it(`gradcheck${c.second ? ' and gradgradcheck' : ''} (float64) over shapes and layouts, domain '${c.domain}'`, () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => inputArb(s, c.domain)), (inp) => {
        checkGradients((x) => c.fn(inp.view(x)), [inp.leaf], { second: c.second });
      }),
      runs(),
    );
  });

  it('rejects a non-tensor argument, naming the op', () => {
    expect(() => c.fn(3 as unknown as Tensor)).toThrow(new RegExp(`${c.name}.*must be a Tensor.*number`));
    expect(() => c.fn([1, 2] as unknown as Tensor)).toThrow(new RegExp(`${c.name}.*must be a Tensor.*array`));
  });
});

describe.each(STEP_CASES)('$name (piecewise constant)', (c) => {
  it('forward matches the reference over layouts, including exact halves and integers', () => {
    const valueArb = fc.oneof(
      fc.integer({ min: -12, max: 12 }).map((k) => k / 2),
      fc.integer({ min: -40, max: 40 }).map((k) => k / 4),
      fc.double({ min: -10, max: 10, noNaN: true }),
    );
    fc.assert(
      fc.property(laidOutArb(valueArb), (x) => {
        const y = c.fn(x);
        expect(y.shape).toEqual(x.shape);
        expect(y.dtype).toBe('float64');
        expectClose(y.dataSync(), Array.from(x.dataSync(), c.ref), { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it('forward matches the reference on arbitrary doubles', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { maxLength: 20 }), (xs) => {
        expectClose(c.fn(tensor(Float64Array.from(xs), { dtype: 'float64' })).dataSync(), xs.map(c.ref), { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it('has a zero gradient of the input shape', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => inputArb(s, 'real')), fc.integer({ min: 0, max: 1000 }), (inp, seed) => {
        const y = c.fn(inp.view());
        expect(y.requiresGrad).toBe(true);
        const w = tensor(values(y.shape, seed), { dtype: 'float64' }).reshape(y.shape);
        const [g] = grad(y.mul(w).sum(), inp.leaf);
        expect(g!.shape).toEqual(inp.leaf.shape);
        expect(Array.from(g!.dataSync()).every((v) => v === 0)).toBe(true);
      }),
      runs(),
    );
  });

  it('keeps int32 values and dtype', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 10 }), (xs) => {
        const y = c.fn(tensor(Int32Array.from(xs)));
        expect(y.dtype).toBe('int32');
        expect(Array.from(y.dataSync())).toEqual(xs.map(c.ref));
      }),
      runs(),
    );
  });
});

describe('hand-checked values', () => {
  const f64 = (xs: number[]) => tensor(xs, { dtype: 'float64' });

  it('round is half-to-even', () => {
    expect(f64([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 0.49999999999999994, 2.4, 2.6, -2.6]).round().toArray()).toEqual([
      0, 2, 2, 4, -0, -2, -2, 0, 2, 3, -3,
    ]);
    expect(tensor([0.5, 1.5, 2.5, -2.5], { dtype: 'float32' }).round().toArray()).toEqual([0, 2, 2, -2]);
  });

  it('floor, ceil, sign', () => {
    expect(f64([-1.5, -1, -0.2, 0, 0.2, 1, 1.5]).floor().toArray()).toEqual([-2, -1, -1, 0, 0, 1, 1]);
    expect(f64([-1.5, -1, -0.2, 0, 0.2, 1, 1.5]).ceil().toArray()).toEqual([-1, -1, -0, 0, 1, 1, 2]);
    expect(f64([-3, -0.1, 0, 0.1, 7]).sign().toArray()).toEqual([-1, -1, 0, 1, 1]);
  });

  it('erf at tabulated points', () => {
    expectClose(
      f64([0, 0.5, 1, 2, -1, 3, 6, -7]).erf().dataSync(),
      [0, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527, -0.8427007929497149, 0.9999779095030014, 1, -1],
      { rtol: 1e-15, atol: 1e-16 },
    );
  });

  it('derivatives at a point', () => {
    const x = tensor([0.5], { dtype: 'float64', requiresGrad: true });
    const d = (f: (t: Tensor) => Tensor): number => grad(f(x).sum(), x)[0]!.item();
    expectClose([d(dc.exp), d(dc.log), d(dc.sqrt), d(dc.rsqrt), d(dc.sigmoid), d(dc.erf), d(dc.reciprocal)], [
      Math.exp(0.5),
      2,
      1 / (2 * Math.sqrt(0.5)),
      -0.5 * 0.5 ** -1.5,
      Math.exp(-0.5) / (1 + Math.exp(-0.5)) ** 2,
      (2 / Math.sqrt(Math.PI)) * Math.exp(-0.25),
      -4,
    ]);
  });

  it('relu passes no gradient at exactly 0 (as PyTorch)', () => {
    const x = tensor([-1, 0, 1], { dtype: 'float64', requiresGrad: true });
    expect(grad(x.relu().sum(), x)[0]!.toArray()).toEqual([0, 0, 1]);
  });

  it('second derivatives (createGraph) of sin, tanh, log', () => {
    const v = 0.7;
    const x = tensor([v], { dtype: 'float64', requiresGrad: true });
    const dd = (f: (t: Tensor) => Tensor): number => {
      const [g] = grad(f(x).sum(), x, { createGraph: true });
      return grad(g!.sum(), x)[0]!.item();
    };
    const t = Math.tanh(v);
    expectClose([dd(dc.sin), dd(dc.tanh), dd(dc.log)], [-Math.sin(v), -2 * t * (1 - t * t), -1 / (v * v)]);
  });
});

describe('dtypes', () => {
  it('real-valued functions of int32 compute in float32', () => {
    const xi = tensor([1, 2, 3], { dtype: 'int32' });
    for (const [f, ref] of [
      [dc.exp, Math.exp],
      [dc.sqrt, Math.sqrt],
      [dc.log, Math.log],
      [dc.sigmoid, (v: number) => 1 / (1 + Math.exp(-v))],
      [dc.reciprocal, (v: number) => 1 / v],
    ] as const) {
      const y = f(xi);
      expect(y.dtype).toBe('float32');
      expectClose(y.dataSync(), [1, 2, 3].map((v) => Math.fround(ref(v))), { rtol: 1e-7, atol: 0 });
    }
  });

  it('neg, abs, relu, sign keep int32', () => {
    const xi = tensor([-2, 0, 5], { dtype: 'int32' });
    expect(dc.neg(xi).dtype).toBe('int32');
    expect(dc.neg(xi).toArray()).toEqual([2, 0, -5]);
    expect(dc.abs(xi).toArray()).toEqual([2, 0, 5]);
    expect(dc.relu(xi).toArray()).toEqual([0, 0, 5]);
    expect(dc.sign(xi).toArray()).toEqual([-1, 0, 1]);
    expect(dc.relu(xi).dtype).toBe('int32');
  });

  it('a float32 leaf gets a float32 gradient', () => {
    const x = tensor([0.5, 1.5], { requiresGrad: true });
    x.exp().sum().backward();
    expect(x.grad!.dtype).toBe('float32');
    expectClose(x.grad!.dataSync(), [Math.fround(Math.exp(0.5)), Math.fround(Math.exp(1.5))], { rtol: 1e-7, atol: 0 });
  });
});
