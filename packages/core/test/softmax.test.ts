/**
 * Property tests of softmax and logSoftmax: values against a plain-JS reference, the
 * probability-simplex properties, stability under large shifts, and gradients (first and
 * second order) through generated layouts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logSoftmax, softmax, tensor, type Tensor } from '../src/index.js';
import { checkGradients, expectClose, inputArb, runs, shapeArb, unravel } from '@dynconv/testing';

/** A shape and a dim of it (negative or not); 0-d tensors take dim 0 or -1. */
const caseArb = shapeArb().chain((shape) => {
  const n = Math.max(shape.length, 1);
  return fc.tuple(fc.constant(shape), fc.integer({ min: -n, max: n - 1 }), inputArb(shape));
});

/** Applies `fn` to every line of `x` along `dim` (a row-major copy of the values). */
function alongDim(x: Tensor, dim: number, fn: (line: number[]) => number[]): number[] {
  const vals = x.dataSync();
  const out = new Array<number>(vals.length);
  if (x.ndim === 0) return fn([vals[0]!]);
  const d = dim < 0 ? dim + x.ndim : dim;
  const stride = x.shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const len = x.shape[d]!;
  for (let i = 0; i < vals.length; i++) {
    if (unravel(i, x.shape)[d] !== 0) continue;
    const idx = Array.from({ length: len }, (_, k) => i + k * stride);
    const res = fn(idx.map((j) => vals[j]!));
    idx.forEach((j, k) => (out[j] = res[k]!));
  }
  return out;
}

const jsSoftmax = (line: number[]) => {
  const m = Math.max(...line);
  const e = line.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const jsLogSoftmax = (line: number[]) => {
  const m = Math.max(...line);
  const lse = m + Math.log(line.reduce((a, v) => a + Math.exp(v - m), 0));
  return line.map((v) => v - lse);
};

describe('softmax', () => {
  it('matches a reference along any dim, in any layout', () => {
    fc.assert(
      fc.property(caseArb, ([, dim, inp]) => {
        const x = inp.view();
        const expected = alongDim(x, dim, jsSoftmax);
        for (const y of [softmax(x, dim), x.softmax(dim)]) {
          expect(y.shape).toEqual(x.shape);
          expectClose(y.dataSync(), expected, { rtol: 1e-12, atol: 1e-15 });
        }
      }),
      runs(),
    );
  });

  it('sums to one along dim, lies in (0, 1), and is shift invariant even for huge shifts', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom(0, 1000, -1000, 3.5), ([shape, dim, inp], shift) => {
        const x = inp.view();
        const y = softmax(x, dim);
        const vals = y.dataSync();
        const len = shape.length ? shape[dim < 0 ? dim + shape.length : dim]! : 1;
        for (const v of vals) {
          expect(v).toBeGreaterThan(0);
          if (len > 1) expect(v).toBeLessThan(1);
          else expect(v).toBe(1);
        }
        alongDim(y, dim, (line) => {
          expect(Math.abs(line.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-14);
          return line;
        });
        const shifted = softmax(x.add(shift), dim).dataSync();
        expectClose(shifted, vals, { rtol: 1e-9, atol: 1e-15 });
      }),
      runs(),
    );
  });

  it('passes gradcheck and gradgradcheck through every layout', () => {
    fc.assert(
      fc.property(caseArb, ([, dim, inp]) => {
        checkGradients((l) => softmax(inp.view(l), dim), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('has a gradient orthogonal to constants: d/dx sum(softmax) = 0', () => {
    fc.assert(
      fc.property(caseArb.filter(([shape]) => shape.length > 0), ([, dim, inp]) => {
        softmax(inp.view(), dim).sum().backward();
        expectClose(inp.leaf.grad!.dataSync(), new Array(inp.leaf.numel()).fill(0), { rtol: 0, atol: 1e-14 });
      }),
      runs(),
    );
  });

  it('handles -inf entries and float32', () => {
    const y = softmax(tensor([[-Infinity, 0], [0, 0]], { dtype: 'float64' }), 1);
    expect(y.toArray()).toEqual([[0, 1], [0.5, 0.5]]);
    const f = softmax(tensor([[1, 2, 3], [0, 0, 100]]), -1);
    expect(f.dtype).toBe('float32');
    expectClose(f.dataSync(), [...jsSoftmax([1, 2, 3]), ...jsSoftmax([0, 0, 100])], { rtol: 1e-6, atol: 1e-7 });
  });
});

describe('logSoftmax', () => {
  it('matches a reference, stays finite for huge shifts, and exponentiates to softmax', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom(0, 800, -800), ([, dim, inp], shift) => {
        const x = inp.view().add(shift);
        const expected = alongDim(x, dim, jsLogSoftmax);
        for (const y of [logSoftmax(x, dim), x.logSoftmax(dim)]) {
          expect(y.shape).toEqual(x.shape);
          expectClose(y.dataSync(), expected, { rtol: 1e-12, atol: 1e-12 });
          for (const v of y.dataSync()) expect(v).toBeLessThanOrEqual(0);
        }
        expectClose(logSoftmax(x, dim).exp().dataSync(), softmax(x, dim).dataSync(), { rtol: 1e-12, atol: 1e-15 });
      }),
      runs(),
    );
  });

  it('passes gradcheck and gradgradcheck through every layout', () => {
    fc.assert(
      fc.property(caseArb, ([, dim, inp]) => {
        checkGradients((l) => logSoftmax(inp.view(l), dim), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('gradient of the sum is 1 - n · softmax along dim', () => {
    const x = tensor([[1, 2, 3], [0, 0, 0]], { dtype: 'float64', requiresGrad: true });
    logSoftmax(x, 1).sum().backward();
    const s = [...jsSoftmax([1, 2, 3]), ...jsSoftmax([0, 0, 0])];
    expectClose(x.grad!.dataSync(), s.map((v) => 1 - 3 * v), { rtol: 1e-12, atol: 1e-15 });
  });
});

describe('bad input', () => {
  it('rejects bad dims and integer tensors, naming the op', () => {
    const x = tensor([[1, 2], [3, 4]], { dtype: 'float64' });
    expect(() => softmax(x, 2)).toThrow(/softmax: dim=2 is out of range for a tensor with 2 dimension/);
    expect(() => x.logSoftmax(-3)).toThrow(/logSoftmax: dim=-3 is out of range/);
    expect(() => softmax(tensor([1, 2], { dtype: 'int32' }), 0)).toThrow(/softmax: argument 'x' must be float32 or float64, got int32/);
    expect(() => logSoftmax(tensor([1, 2], { dtype: 'int32' }), 0)).toThrow(/logSoftmax: .*int32/);
  });
});
