/**
 * Exercises of docs/course/03-writing-an-op.md, with their solutions: softsign written as one
 * tape node and checked with @dynconv/testing (gradcheck through generated layouts,
 * gradgradcheck away from its kink, a backward off the tape caught), property tests against a
 * scalar reference in float64 and float32, and hypot, a binary op over broadcast inputs.
 */
import { broadcastShapes, grad, isFloating, noGrad, notATensorError, record, Tensor, tensor } from '@dynconv/core';
import {
  broadcastIndex, broadcastPairArb, checkGradients, expectClose, inputArb, runs, tensorArb, unravel,
} from '@dynconv/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// ---- Exercise 1. softsign as one node --------------------------------------------------------
// Write softsign(x) = x / (1 + |x|) with record() and a backward written with ops; gradcheck it
// through layouts, gradgradcheck it away from 0, and show that a backward computed off the tape
// passes gradcheck but fails gradgradcheck.

/** softsign(x) = x / (1 + |x|), one node on the tape; d/dx = 1 / (1 + |x|)². */
function softsign(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw notATensorError('softsign', "argument 'x'", x);
  if (!isFloating(x.dtype)) throw new Error(`softsign: argument 'x' must be float32 or float64, got ${x.dtype}`);
  const y = noGrad(() => x.div(x.abs().add(1)));
  return record('softsign', y, [x], (g) => [g.div(x.abs().add(1).pow(2))]);
}

/** The same forward, with a backward whose values are right but computed off the tape. */
function softsignOffTape(x: Tensor): Tensor {
  const y = noGrad(() => x.div(x.abs().add(1)));
  return record('softsign', y, [x], (g) => [g.mul(noGrad(() => x.abs().add(1).pow(-2)))]);
}

describe('exercise 1: softsign as one node', () => {
  it('records one node named softsign', () => {
    const x = tensor([-1, 0.5], { dtype: 'float64', requiresGrad: true });
    expect(softsign(x).gradFn?.name).toBe('softsign');
    expect(softsign(x.detach()).gradFn).toBeNull(); // nothing requires grad: no node
  });

  it('passes gradcheck over generated shapes and layouts', () => {
    fc.assert(
      fc.property(tensorArb(), (inp) => {
        checkGradients((l) => softsign(inp.view(l)), [inp.leaf]);
      }),
      runs(),
    );
  });

  it('passes gradgradcheck away from the kink at 0 (its second derivative jumps there)', () => {
    fc.assert(
      fc.property(tensorArb({ domain: 'nonzero' }), (inp) => {
        checkGradients((l) => softsign(inp.view(l)), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('a backward off the tape passes gradcheck and fails gradgradcheck', () => {
    const x = tensor([0.5, -1.5, 2], { dtype: 'float64', requiresGrad: true });
    expect(() => checkGradients(softsignOffTape, [x])).not.toThrow();
    expect(() => checkGradients(softsignOffTape, [x], { second: true })).toThrow(/^gradcheck: Jacobian mismatch/);
  });

  it('refuses what it cannot take, naming the op and the argument', () => {
    expect(() => softsign([1, 2] as never)).toThrow("softsign: argument 'x' must be a Tensor, got an array");
    expect(() => softsign(tensor([1, 2], { dtype: 'int32' }))).toThrow("softsign: argument 'x' must be float32 or float64, got int32");
  });
});

// ---- Exercise 2. Property tests against a reference ------------------------------------------
// Compare softsign with the scalar x / (1 + |x|) over generated shapes and layouts, in float64
// and float32 (rounded once from the exact value), and its gradient with 1 / (1 + |x|)².

const ref = (v: number) => v / (1 + Math.abs(v));
const dref = (v: number) => 1 / (1 + Math.abs(v)) ** 2;

describe('exercise 2: softsign against a reference', () => {
  it('float64 forward over shapes and layouts, the same as the composed op', () => {
    fc.assert(
      fc.property(tensorArb(), (inp) => {
        const x = inp.view();
        const y = softsign(x);
        expect(y.shape).toEqual(x.shape);
        expect(y.dtype).toBe('float64');
        expectClose(y, Array.from(x.dataSync(), ref), { rtol: 1e-15, atol: 0 });
        expectClose(y, x.div(x.abs().add(1)), { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it('float32 in, float32 out, within a rounding of the exact value', () => {
    fc.assert(
      fc.property(tensorArb({ dtype: 'float32' }), (inp) => {
        const x = inp.view();
        const y = softsign(x);
        expect(y.dtype).toBe('float32');
        expectClose(y, Array.from(x.dataSync(), (v) => Math.fround(ref(v))), { rtol: 2 ** -22, atol: 0 });
      }),
      runs(),
    );
  });

  it('the gradient is 1 / (1 + |x|)², at 0 too', () => {
    fc.assert(
      fc.property(tensorArb(), (inp) => {
        const x = inp.view().contiguous();
        const [g] = grad(softsign(x).sum(), x);
        expectClose(g!, Array.from(x.dataSync(), dref), { rtol: 1e-15, atol: 0 });
      }),
      runs(),
    );
    const z = tensor([0], { dtype: 'float64', requiresGrad: true });
    expect(grad(softsign(z).sum(), z)[0]!.item()).toBe(1);
  });
});

// ---- Exercise 3. A binary op over broadcast inputs: hypot ----------------------------------------
// Write hypot(a, b) = sqrt(a² + b²) as one node. Broadcast both inputs with expand() before
// recording, so expand's backward sums each gradient back to its input's shape, and write the
// backward with the output itself (it is on the tape once recorded), so it differentiates again.

function hypot(a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes('hypot', a.shape, b.shape);
  const [x, y] = [a.expand(shape), b.expand(shape)];
  const out = noGrad(() => x.mul(x).add(y.mul(y)).sqrt());
  return record('hypot', out, [x, y], (g) => [g.mul(x).div(out), g.mul(y).div(out)]);
}

const pairArb = broadcastPairArb({ maxDims: 3, maxSize: 3 }).chain(([sa, sb]) => fc.tuple(inputArb(sa, 'nonzero'), inputArb(sb, 'nonzero')));

describe('exercise 3: hypot over broadcast inputs', () => {
  it('forward against Math.hypot at every broadcast index', () => {
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        const [x, y] = [a.view(), b.view()];
        const out = hypot(x, y);
        const shape = broadcastShapes('test', x.shape, y.shape);
        expect(out.shape).toEqual(shape);
        const [xs, ys] = [x.dataSync(), y.dataSync()];
        const want = Array.from({ length: out.numel() }, (_, i) => {
          const idx = unravel(i, shape);
          return Math.hypot(xs[broadcastIndex(idx, x.shape)]!, ys[broadcastIndex(idx, y.shape)]!);
        });
        expectClose(out, want, { rtol: 1e-15, atol: 0 });
      }),
      runs(),
    );
  });

  it('gradcheck and gradgradcheck over broadcast pairs and layouts', () => {
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        checkGradients((l, m) => hypot(a.view(l), b.view(m)), [a.leaf, b.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('gradients have the inputs\' shapes (summed over the broadcast dims)', () => {
    const a = tensor([[3], [6]], { dtype: 'float64', requiresGrad: true }); // [2, 1]
    const b = tensor([4, 8], { dtype: 'float64', requiresGrad: true }); // [2]
    const [ga, gb] = grad(hypot(a, b).sum(), [a, b]);
    expect(ga!.shape).toEqual([2, 1]);
    expect(gb!.shape).toEqual([2]);
    expectClose(ga!, [[3 / 5 + 3 / Math.hypot(3, 8)], [6 / Math.hypot(6, 4) + 6 / 10]], { rtol: 1e-15 });
    expectClose(gb!, [4 / 5 + 4 / Math.hypot(6, 4), 8 / Math.hypot(3, 8) + 8 / 10], { rtol: 1e-15 });
  });
});
