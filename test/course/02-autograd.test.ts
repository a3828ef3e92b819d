/**
 * Exercises of docs/course/02-autograd.md, with their solutions: the chapter's scalar engine
 * grown by two ops and checked against dynconv, a finite-difference gradient check, a second
 * derivative through createGraph, and a custom op written with record().
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad, noGrad, record, tensor, type Tensor } from '@dynconv/core';

const RUNS = { numRuns: 50 };
const real = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

// ---- Exercise 1. Grow the scalar engine --------------------------------------------------
// Add exp() and sub(other) to the chapter's Value. Check f = exp(x*y) - tanh(x) against dynconv.

/** The chapter's engine, with the two new ops (the solution) at the end of the class. */
class Value {
  grad = 0;
  _backward: () => void = () => {};

  constructor(readonly data: number, readonly _prev: Value[] = []) {}

  add(other: Value | number): Value {
    const o = lift(other);
    const out = new Value(this.data + o.data, [this, o]);
    out._backward = () => {
      this.grad += out.grad;
      o.grad += out.grad;
    };
    return out;
  }

  mul(other: Value | number): Value {
    const o = lift(other);
    const out = new Value(this.data * o.data, [this, o]);
    out._backward = () => {
      this.grad += o.data * out.grad;
      o.grad += this.data * out.grad;
    };
    return out;
  }

  pow(n: number): Value {
    const out = new Value(this.data ** n, [this]);
    out._backward = () => {
      this.grad += n * this.data ** (n - 1) * out.grad;
    };
    return out;
  }

  tanh(): Value {
    const t = Math.tanh(this.data);
    const out = new Value(t, [this]);
    out._backward = () => {
      this.grad += (1 - t * t) * out.grad;
    };
    return out;
  }

  backward(): void {
    const order: Value[] = [];
    const seen = new Set<Value>();
    const visit = (v: Value) => {
      if (seen.has(v)) return;
      seen.add(v);
      for (const p of v._prev) visit(p);
      order.push(v);
    };
    visit(this);
    this.grad = 1;
    for (const v of order.reverse()) v._backward();
  }

  /** Solution: d(e^a)/da = e^a, the output itself. */
  exp(): Value {
    const e = Math.exp(this.data);
    const out = new Value(e, [this]);
    out._backward = () => {
      this.grad += e * out.grad;
    };
    return out;
  }

  /** Solution: a - b = a + (-1) * b, so the existing closures do the work. */
  sub(other: Value | number): Value {
    return this.add(lift(other).mul(-1));
  }
}

const lift = (x: Value | number): Value => (x instanceof Value ? x : new Value(x));

describe('exercise 1: grow the scalar engine', () => {
  it('reproduces the chapter: f = x*y + x^2 at (2, 3) has gradient (7, 2)', () => {
    const x = new Value(2);
    const y = new Value(3);
    const f = x.mul(y).add(x.pow(2));
    f.backward();
    expect([f.data, x.grad, y.grad]).toEqual([10, 7, 2]);
  });

  it('exp(x*y) - tanh(x) matches dynconv in float64', () => {
    fc.assert(
      fc.property(real(-1.5, 1.5), real(-1.5, 1.5), (xv, yv) => {
        const x = new Value(xv);
        const y = new Value(yv);
        const f = x.mul(y).exp().sub(x.tanh());
        f.backward();

        const xt = tensor(xv, { dtype: 'float64', requiresGrad: true });
        const yt = tensor(yv, { dtype: 'float64', requiresGrad: true });
        const ft = xt.mul(yt).exp().sub(xt.tanh());
        ft.backward();

        expect(f.data).toBeCloseTo(ft.item(), 12);
        expect(x.grad).toBeCloseTo(xt.grad!.item(), 12);
        expect(y.grad).toBeCloseTo(yt.grad!.item(), 12);
        // And against the closed form: df/dx = y e^(xy) - (1 - tanh^2 x), df/dy = x e^(xy).
        expect(x.grad).toBeCloseTo(yv * Math.exp(xv * yv) - (1 - Math.tanh(xv) ** 2), 12);
        expect(y.grad).toBeCloseTo(xv * Math.exp(xv * yv), 12);
      }),
      RUNS,
    );
  });
});

// ---- Exercise 2. Check a gradient numerically -------------------------------------------
// Write numericGrad(f, x, eps): the central difference per element. Compare with backward().

/** Solution: nudge one element at a time, both ways, on a fresh float64 tensor. */
export function numericGrad(f: (x: Tensor) => Tensor, values: readonly number[], eps = 1e-6): number[] {
  const at = (v: number[]) => noGrad(() => f(tensor(v, { dtype: 'float64' })).item());
  return values.map((_, i) => {
    const plus = [...values];
    const minus = [...values];
    plus[i]! += eps;
    minus[i]! -= eps;
    return (at(plus) - at(minus)) / (2 * eps);
  });
}

describe('exercise 2: check a gradient numerically', () => {
  // A function that mixes broadcasting, a reduction and a nonlinearity.
  const f = (x: Tensor) => x.mul(x).sum().add(x.tanh().mul(tensor([1, -2, 3], { dtype: 'float64' })).sum()).mul(x.sum());

  it('agrees with backward() on random inputs', () => {
    fc.assert(
      fc.property(fc.array(real(-2, 2), { minLength: 3, maxLength: 3 }), (values) => {
        const x = tensor(values, { dtype: 'float64', requiresGrad: true });
        f(x).backward();
        const analytic = x.grad!.toArray() as number[];
        const numeric = numericGrad(f, values);
        numeric.forEach((n, i) => expect(Math.abs(n - analytic[i]!)).toBeLessThan(1e-6 * (1 + Math.abs(n))));
      }),
      RUNS,
    );
  });
});

// ---- Exercise 3. Second derivative of tanh --------------------------------------------------
// Use grad with createGraph for d²/dx² tanh(x) on a tensor of random x; compare with
// -2 tanh(x) (1 - tanh² x).

/** Solution: differentiate the first derivative, which is on the tape under createGraph. */
export function tanhSecondDerivative(x: Tensor): Tensor {
  const [d1] = grad(x.tanh().sum(), x, { createGraph: true });
  const [d2] = grad(d1!.sum(), x);
  return d2!;
}

describe('exercise 3: second derivative of tanh', () => {
  it('matches the closed form elementwise', () => {
    fc.assert(
      fc.property(fc.array(real(-3, 3), { minLength: 1, maxLength: 6 }), (values) => {
        const x = tensor(values, { dtype: 'float64', requiresGrad: true });
        const got = tanhSecondDerivative(x).toArray() as number[];
        values.forEach((v, i) => {
          const t = Math.tanh(v);
          expect(got[i]).toBeCloseTo(-2 * t * (1 - t * t), 12);
        });
      }),
      RUNS,
    );
  });

  it('the first derivative is itself on the tape (a recorded mul)', () => {
    const x = tensor([0.5, -1], { dtype: 'float64', requiresGrad: true });
    const [d1] = grad(x.tanh().sum(), x, { createGraph: true });
    expect(d1!.gradFn!.name).toBe('mul'); // g * (1 - y*y), recorded
  });
});

// ---- Exercise 4. Your own op ----------------------------------------------------------------
// Write softplus(x) = log(1 + exp(x)) with record(), backward g * sigmoid(x). Check the first
// and second derivatives; then write the backward with a JS number and see the second fail.

/** Solution: the forward off the tape, one node whose backward is made of ops. */
export function softplus(x: Tensor): Tensor {
  const out = noGrad(() => x.exp().add(1).log());
  return record('softplus', out, [x], (g) => [g.mul(x.sigmoid())]);
}

/** The broken variant: a backward computed from a number has no tape under it. */
function softplusWithNumbers(x: Tensor): Tensor {
  const out = noGrad(() => x.exp().add(1).log());
  return record('softplus', out, [x], (g) => [g.mul(1 / (1 + Math.exp(-x.item())))]);
}

describe('exercise 4: your own op', () => {
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

  it('has the right first and second derivatives', () => {
    fc.assert(
      fc.property(real(-4, 4), (v) => {
        const x = tensor(v, { dtype: 'float64', requiresGrad: true });
        const y = softplus(x);
        expect(y.gradFn!.name).toBe('softplus');
        expect(y.item()).toBeCloseTo(Math.log1p(Math.exp(v)), 12);
        const [d1] = grad(y, x, { createGraph: true });
        const [d2] = grad(d1!, x);
        const s = sigmoid(v);
        expect(d1!.item()).toBeCloseTo(s, 12);
        expect(d2!.item()).toBeCloseTo(s * (1 - s), 12);
      }),
      RUNS,
    );
  });

  it('a backward written with numbers gives the first derivative but no second', () => {
    const x = tensor(0.3, { dtype: 'float64', requiresGrad: true });
    const [d1] = grad(softplusWithNumbers(x), x, { createGraph: true });
    expect(d1!.item()).toBeCloseTo(sigmoid(0.3), 12);
    expect(d1!.requiresGrad).toBe(false); // nothing recorded: the seed times a constant
    expect(() => grad(d1!, x)).toThrow(/does not require grad/);
  });
});
