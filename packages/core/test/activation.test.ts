/**
 * Property tests of the composed activations (leakyRelu, elu, gelu, softplus, clamp): forward
 * values against scalar references over generated shapes and layouts, float64
 * gradcheck/gradgradcheck through those layouts away from kinks, and bad input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as dc from '../src/index.js';
import { grad, tensor, type Tensor } from '../src/index.js';
import {
  broadcastIndex,
  checkGradients,
  type Domain,
  expectClose,
  type Input,
  inputArb,
  runs,
  type ShapeOptions,
  shapeArb,
  unravel,
} from '@dynconv/testing';

/** erf by composite Simpson on 2/sqrt(pi) * integral_0^x exp(-t^2) dt (error < 1e-12 for |x| <= 6). */
function erfRef(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  const n = 4000;
  const h = ax / n;
  let s = 1 + Math.exp(-ax * ax);
  for (let i = 1; i < n; i++) {
    const t = i * h;
    s += (i % 2 === 1 ? 4 : 2) * Math.exp(-t * t);
  }
  const r = (2 / Math.sqrt(Math.PI)) * (h / 3) * s;
  return x < 0 ? -r : r;
}

const inputs = (domain: Domain, opts: ShapeOptions = {}): fc.Arbitrary<Input> => shapeArb(opts).chain((s) => inputArb(s, domain));

/** The logical values of an input, in row-major order. */
const valuesOf = (inp: Input): number[] => Array.from(inp.view().dataSync());

describe('leakyRelu', () => {
  const slopeArb = fc.oneof(fc.constant(0.01), fc.double({ min: -1, max: 2, noNaN: true }));
  const ref = (x: number, s: number) => (x > 0 ? x : s * x);

  it('forward: x for x > 0, else slope * x', () => {
    fc.assert(
      fc.property(inputs('real'), slopeArb, (inp, s) => {
        const y = dc.leakyRelu(inp.view(), s);
        expect(y.shape).toEqual(inp.view().shape);
        expect(y.dtype).toBe('float64');
        expectClose(y.dataSync(), valuesOf(inp).map((v) => ref(v, s)), { rtol: 0, atol: 0 });
      }),
      runs(),
    );
    expect(dc.leakyRelu(tensor([-2, 0, 3], { dtype: 'float64' })).toArray()).toEqual([-0.02, 0, 3]);
  });

  it('gradcheck and gradgradcheck away from 0 (domain nonzero)', () => {
    fc.assert(
      fc.property(inputs('nonzero'), slopeArb, (inp, s) => {
        checkGradients((x) => dc.leakyRelu(inp.view(x), s), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('gradient is 1 or slope per element', () => {
    fc.assert(
      fc.property(inputs('nonzero', { maxDims: 3 }), slopeArb, (inp, s) => {
        const x = inp.view().contiguous();
        const [g] = grad(dc.leakyRelu(x, s).sum(), x);
        expectClose(g!.dataSync(), Array.from(x.dataSync(), (v) => (v > 0 ? 1 : s)), { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });
});

describe('elu', () => {
  const alphaArb = fc.double({ min: 0.1, max: 2, noNaN: true });
  const ref = (x: number, a: number) => (x > 0 ? x : a * Math.expm1(x));

  it('forward: x for x > 0, else alpha * (exp(x) - 1)', () => {
    fc.assert(
      fc.property(inputs('real'), alphaArb, (inp, a) => {
        const y = dc.elu(inp.view(), a);
        expect(y.dtype).toBe('float64');
        expect(y.shape).toEqual(inp.view().shape);
        expectClose(y.dataSync(), valuesOf(inp).map((v) => ref(v, a)), { rtol: 1e-15, atol: 1e-16 });
      }),
      runs(),
    );
  });

  it('gradcheck and gradgradcheck away from 0 (domain nonzero)', () => {
    fc.assert(
      fc.property(inputs('nonzero'), alphaArb, (inp, a) => {
        checkGradients((x) => dc.elu(inp.view(x), a), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('large inputs: no overflow in the discarded branch poisons the gradient', () => {
    const x = tensor([800, -800, 1], { dtype: 'float64', requiresGrad: true });
    const y = dc.elu(x);
    expect(y.toArray()).toEqual([800, -1, 1]);
    expect(grad(y.sum(), x)[0]!.toArray()).toEqual([1, 0, 1]);
  });
});

describe('gelu', () => {
  const exact = (x: number) => 0.5 * x * (1 + erfRef(x / Math.SQRT2));
  const approx = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

  it.each([
    ['none', exact],
    ['tanh', approx],
  ] as const)("approximate '%s': forward matches the scalar reference", (mode, ref) => {
    fc.assert(
      fc.property(inputs('real'), (inp) => {
        const y = dc.gelu(inp.view(), mode);
        expect(y.dtype).toBe('float64');
        expect(y.shape).toEqual(inp.view().shape);
        expectClose(y.dataSync(), valuesOf(inp).map(ref), { rtol: 1e-10, atol: 1e-12 });
      }),
      runs(),
    );
  });

  it.each(['none', 'tanh'] as const)("approximate '%s': gradcheck and gradgradcheck", (mode) => {
    fc.assert(
      fc.property(inputs('real'), (inp) => {
        checkGradients((x) => dc.gelu(inp.view(x), mode), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('default is the exact form; derivative at 0 is 1/2; the two forms agree to ~1e-3', () => {
    const x = tensor([-3, -1, 0, 0.5, 2], { dtype: 'float64', requiresGrad: true });
    expect(dc.gelu(x).dataSync()).toEqual(dc.gelu(x, 'none').dataSync());
    expectClose(dc.gelu(x, 'tanh').dataSync(), dc.gelu(x).dataSync(), { rtol: 0, atol: 1e-3 });
    const z = tensor([0], { dtype: 'float64', requiresGrad: true });
    expectClose(grad(dc.gelu(z).sum(), z)[0]!.dataSync(), [0.5]);
    expectClose(grad(dc.gelu(z, 'tanh').sum(), z)[0]!.dataSync(), [0.5]);
  });

  it('rejects an unknown approximation and integer input', () => {
    expect(() => dc.gelu(tensor([1]), 'fast' as 'none')).toThrow(/gelu.*approximate.*'none' or 'tanh'.*fast/);
    expect(() => dc.gelu(tensor([1], { dtype: 'int32' }))).toThrow(/gelu.*float32 or float64.*int32/);
  });
});

describe('softplus', () => {
  const ref = (x: number, beta: number, threshold: number) => (beta * x > threshold ? x : Math.log1p(Math.exp(beta * x)) / beta);
  const betaArb = fc.oneof(fc.constant(1), fc.double({ min: 0.25, max: 4, noNaN: true }));
  const thresholdArb = fc.oneof(fc.constant(20), fc.double({ min: 0.5, max: 20, noNaN: true }));

  it('forward: log(1 + exp(beta x)) / beta, linear above threshold', () => {
    fc.assert(
      fc.property(inputs('real'), betaArb, thresholdArb, fc.double({ min: 0.5, max: 8, noNaN: true }), (inp, beta, threshold, scale) => {
        const x = inp.view().mul(scale);
        const y = dc.softplus(x, beta, threshold);
        expect(y.dtype).toBe('float64');
        expect(y.shape).toEqual(x.shape);
        expectClose(y.dataSync(), Array.from(x.dataSync(), (v) => ref(v, beta, threshold)), { rtol: 1e-14, atol: 1e-15 });
      }),
      runs(),
    );
  });

  it('gradcheck and gradgradcheck (away from the threshold switch)', () => {
    fc.assert(
      fc.property(inputs('real'), betaArb, thresholdArb, (inp, beta, threshold) => {
        fc.pre(valuesOf(inp).every((v) => Math.abs(beta * v - threshold) > 1e-3));
        checkGradients((x) => dc.softplus(inp.view(x), beta, threshold), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('derivative is sigmoid(beta x) below the threshold and 1 above; huge inputs stay finite', () => {
    const x = tensor([-2, 0, 1, 30, 1000, -1000], { dtype: 'float64', requiresGrad: true });
    const y = dc.softplus(x, 2, 20);
    const [g] = grad(y.sum(), x);
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    expectClose(g!.dataSync(), [sig(-4), sig(0), sig(2), 1, 1, 0]);
    expectClose(y.dataSync(), [Math.log1p(Math.exp(-4)) / 2, Math.LN2 / 2, Math.log1p(Math.exp(2)) / 2, 30, 1000, 0]);
  });
});

describe('clamp', () => {
  const ref = (x: number, lo: number | null, hi: number | null) => {
    let y = x;
    if (lo !== null && y < lo) y = lo;
    if (hi !== null && y > hi) y = hi;
    return y;
  };
  /** min <= max, or only one of them. */
  const boundsArb = fc
    .tuple(fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: 0, max: 3, noNaN: true }), fc.constantFrom('both', 'min', 'max'))
    .map(([lo, width, which]): [number | null, number | null] => [which === 'max' ? null : lo, which === 'min' ? null : lo + width]);

  it('number bounds: forward over shapes and layouts', () => {
    fc.assert(
      fc.property(inputs('real'), boundsArb, (inp, [lo, hi]) => {
        const y = dc.clamp(inp.view(), lo, hi);
        expect(y.dtype).toBe('float64');
        expect(y.shape).toEqual(inp.view().shape);
        expectClose(y.dataSync(), valuesOf(inp).map((v) => ref(v, lo, hi)), { rtol: 0, atol: 0 });
        expect(inp.view().clamp(lo, hi).dataSync()).toEqual(y.dataSync());
      }),
      runs(),
    );
  });

  it('number bounds: gradcheck and gradgradcheck away from the bounds; gradient is 1 inside, 0 outside', () => {
    fc.assert(
      fc.property(inputs('real'), boundsArb, (inp, [lo, hi]) => {
        const vs = valuesOf(inp);
        fc.pre(vs.every((v) => (lo === null || Math.abs(v - lo) > 1e-3) && (hi === null || Math.abs(v - hi) > 1e-3)));
        checkGradients((x) => dc.clamp(inp.view(x), lo, hi), [inp.leaf], { second: true });
        const x = inp.view().contiguous();
        const [g] = grad(dc.clamp(x, lo, hi).sum(), x);
        expectClose(g!.dataSync(), vs.map((v) => ((lo === null || v >= lo) && (hi === null || v <= hi) ? 1 : 0)), { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it('tensor bounds broadcast with x; gradients go to x inside and to the bound it is clamped to', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((out) => {
          const side = fc
            .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
            .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
          return fc.tuple(fc.constant(out), side, side);
        }).chain(([out, sl, sh]) => fc.tuple(inputArb(out), inputArb(sl), inputArb(sh))),
        ([X, L, H]) => {
          const x = X.view();
          const lo = L.view().sub(0.7); // bounds overlap x's range, mostly lo < hi
          const hi = H.view().add(0.7);
          const [xv, lv, hv] = [x.dataSync(), lo.dataSync(), hi.dataSync()];
          const at = (i: number) => {
            const idx = unravel(i, x.shape);
            return [xv[i]!, lv[broadcastIndex(idx, lo.shape)]!, hv[broadcastIndex(idx, hi.shape)]!] as const;
          };
          const y = dc.clamp(x, lo, hi);
          expect(y.shape).toEqual(x.shape);
          expectClose(y.dataSync(), Array.from({ length: x.numel() }, (_, i) => {
            const [v, l, h] = at(i);
            return ref(v, l, h);
          }), { rtol: 0, atol: 0 });
          // Keep every x away from both of its bounds, and the bounds apart, for finite differences.
          fc.pre(Array.from({ length: x.numel() }, (_, i) => at(i)).every(([v, l, h]) => Math.abs(v - l) > 1e-3 && Math.abs(v - h) > 1e-3 && Math.abs(l - h) > 1e-3));
          checkGradients(
            (xl, ll, hl) => dc.clamp(X.view(xl), L.view(ll).sub(0.7), H.view(hl).add(0.7)),
            [X.leaf, L.leaf, H.leaf],
            { second: true },
          );
        },
      ),
      runs(),
    );
  });

  it('hand-checked: gradient goes to x inside, to the bound outside; min > max gives max (as PyTorch)', () => {
    const x = tensor([-3, 0.5, 3], { dtype: 'float64', requiresGrad: true });
    const lo = tensor([-1], { dtype: 'float64', requiresGrad: true });
    const hi = tensor([1, 1, 1], { dtype: 'float64', requiresGrad: true });
    const y = dc.clamp(x, lo, hi);
    expect(y.toArray()).toEqual([-1, 0.5, 1]);
    const [gx, gl, gh] = grad(y.sum(), [x, lo, hi]);
    expect(gx!.toArray()).toEqual([0, 1, 0]);
    expect(gl!.toArray()).toEqual([1]);
    expect(gh!.toArray()).toEqual([0, 0, 1]);
    expect(dc.clamp(tensor([0, 5, 10], { dtype: 'float64' }), 6, 4).toArray()).toEqual([4, 4, 4]);
  });

  it('int32 with integer bounds stays int32; clamp needs a bound', () => {
    const i = tensor([-5, 0, 7], { dtype: 'int32' });
    const y = dc.clamp(i, -2, 3);
    expect(y.dtype).toBe('int32');
    expect(y.toArray()).toEqual([-2, 0, 3]);
    expect(() => dc.clamp(tensor([1]))).toThrow(/clamp.*at least one of min and max/);
    expect(() => dc.clamp(tensor([1]), null, null)).toThrow(/clamp.*at least one of min and max/);
  });

  it('rejects incompatible tensor bounds, naming the shapes', () => {
    expect(() => dc.clamp(dc.zeros([2, 3]), dc.zeros([4]))).toThrow(/\[2, 3\].*\[4\]/);
  });
});

describe('bad input', () => {
  const OPS: [string, (x: Tensor) => Tensor][] = [
    ['leakyRelu', (x) => dc.leakyRelu(x)],
    ['elu', (x) => dc.elu(x)],
    ['gelu', (x) => dc.gelu(x)],
    ['softplus', (x) => dc.softplus(x)],
    ['clamp', (x) => dc.clamp(x, 0, 1)],
  ];
  it.each(OPS)('%s rejects a non-tensor argument, naming the op', (name, fn) => {
    expect(() => fn(1 as unknown as Tensor)).toThrow(new RegExp(`${name}.*must be a Tensor.*number`));
    expect(() => fn([1] as unknown as Tensor)).toThrow(new RegExp(`${name}.*must be a Tensor.*array`));
  });

  it.each(['elu', 'gelu', 'softplus'] as const)('%s rejects integer tensors', (name) => {
    expect(() => dc[name](tensor([1, 2], { dtype: 'int32' }))).toThrow(new RegExp(`${name}.*float32 or float64.*int32`));
  });

  it('float32 in, float32 out and float32 gradients', () => {
    const x = tensor([-1.5, -0.25, 0.75, 2], { requiresGrad: true });
    for (const f of [dc.leakyRelu, dc.elu, dc.gelu, dc.softplus, (t: Tensor) => dc.clamp(t, -1, 1)]) {
      const y = f(x);
      expect(y.dtype).toBe('float32');
      expect(grad(y.sum(), x)[0]!.dtype).toBe('float32');
    }
  });
});
