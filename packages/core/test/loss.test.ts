/**
 * Property tests of the losses: forward values against plain-JS loops written from PyTorch's
 * documented formulas (every reduction, class weights, ignoreIndex, label smoothing, both kinds
 * of crossEntropy target), float64 gradcheck and gradgradcheck through generated layouts w.r.t.
 * every differentiable input, and errors that name the op, the shapes and the values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  binaryCrossEntropyWithLogits,
  crossEntropy,
  grad,
  l1Loss,
  logSoftmax,
  mseLoss,
  nllLoss,
  type Reduction,
  smoothL1Loss,
  tensor,
  type Tensor,
  zeros,
} from '../src/index.js';
import { broadcastIndex, checkGradients, expectClose, type Input, inputArb, runs, shapeArb, unravel } from '@dynconv/testing';

const reductionArb = fc.constantFrom<Reduction>('mean', 'sum', 'none');

/** Applies a reduction to per-element reference losses, with an optional 'mean' denominator. */
function reduceRef(losses: number[], reduction: Reduction, denominator = losses.length): number[] {
  if (reduction === 'none') return losses;
  const s = losses.reduce((a, b) => a + b, 0);
  return [reduction === 'sum' ? s : s / denominator];
}

function expectShape(y: Tensor, shape: readonly number[], reduction: Reduction): void {
  expect(y.shape).toEqual(reduction === 'none' ? shape : []);
}

// ---- elementwise regression losses --------------------------------------------------------

/** Two inputs of one generated shape (each in its own layout). */
const pairArb = shapeArb().chain((s) => fc.tuple(inputArb(s), inputArb(s)));

interface PairCase {
  name: string;
  fn: (a: Tensor, b: Tensor, reduction: Reduction) => Tensor;
  ref: (d: number) => number;
  /** Differences kept at least 1e-3 away from these, for finite differences. */
  kinks: number[];
  smooth: boolean;
}

const huber = (beta: number) => (d: number) => (Math.abs(d) < beta ? (0.5 * d * d) / beta : Math.abs(d) - 0.5 * beta);

const PAIR_CASES: PairCase[] = [
  { name: 'mseLoss', fn: (a, b, reduction) => mseLoss(a, b, { reduction }), ref: (d) => d * d, kinks: [], smooth: true },
  { name: 'l1Loss', fn: (a, b, reduction) => l1Loss(a, b, { reduction }), ref: Math.abs, kinks: [0], smooth: false },
  { name: 'smoothL1Loss (beta 1)', fn: (a, b, reduction) => smoothL1Loss(a, b, { reduction }), ref: huber(1), kinks: [-1, 1], smooth: true },
  { name: 'smoothL1Loss (beta 0.3)', fn: (a, b, reduction) => smoothL1Loss(a, b, { beta: 0.3, reduction }), ref: huber(0.3), kinks: [-0.3, 0.3], smooth: true },
  { name: 'smoothL1Loss (beta 0 is L1)', fn: (a, b, reduction) => smoothL1Loss(a, b, { beta: 0, reduction }), ref: Math.abs, kinks: [0], smooth: false },
];

describe.each(PAIR_CASES)('$name', ({ fn, ref, kinks, smooth }) => {
  it('forward matches the reference for every reduction, in any layout', () => {
    fc.assert(
      fc.property(pairArb, reductionArb, ([A, B], reduction) => {
        const [a, b] = [A.view(), B.view()];
        const y = fn(a, b, reduction);
        expectShape(y, a.shape, reduction);
        expect(y.dtype).toBe('float64');
        const bv = b.dataSync();
        expectClose(y.dataSync(), reduceRef(Array.from(a.dataSync(), (v, i) => ref(v - bv[i]!)), reduction), { rtol: 1e-13, atol: 1e-14 });
      }),
      runs(),
    );
  });

  it(`gradcheck${smooth ? ' and gradgradcheck' : ''} w.r.t. input and target through layouts, away from the kinks`, () => {
    fc.assert(
      fc.property(pairArb, reductionArb, ([A, B], reduction) => {
        const bv = B.view().dataSync();
        fc.pre(Array.from(A.view().dataSync()).every((v, i) => kinks.every((k) => Math.abs(v - bv[i]! - k) > 1e-3)));
        checkGradients((al, bl) => fn(A.view(al), B.view(bl), reduction), [A.leaf, B.leaf], { second: smooth });
      }),
      runs(),
    );
  });
});

describe('regression losses: details', () => {
  it('l1 and smoothL1 have gradient 0 where input equals target; smoothL1 is continuous at |d| = beta', () => {
    const a = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const b = tensor([1, 0, 5], { dtype: 'float64' });
    expect(grad(l1Loss(a, b, { reduction: 'sum' }), a)[0]!.toArray()).toEqual([0, 1, -1]);
    expect(grad(smoothL1Loss(a, b, { reduction: 'sum' }), a)[0]!.toArray()).toEqual([0, 1, -1]);
    // |d| = beta exactly: PyTorch takes the linear branch (|d| - beta/2 = beta/2, the same value).
    expect(smoothL1Loss(a, b, { beta: 2, reduction: 'none' }).toArray()).toEqual([0, 1, 1]);
    expect(grad(smoothL1Loss(a, b, { beta: 2, reduction: 'sum' }), a)[0]!.toArray()).toEqual([0, 1, -1]);
  });

  it('huge differences stay finite in the discarded quadratic branch', () => {
    const a = tensor([1e200, -1e200], { dtype: 'float64', requiresGrad: true });
    const y = smoothL1Loss(a, zeros([2], { dtype: 'float64' }), { reduction: 'none' });
    expect(y.toArray()).toEqual([1e200, 1e200]);
    expect(grad(y.sum(), a)[0]!.toArray()).toEqual([1, -1]);
  });

  it('mean of an empty input is NaN, sum is 0 (as PyTorch)', () => {
    const e = zeros([0, 3], { dtype: 'float64' });
    expect(mseLoss(e, e).item()).toBeNaN();
    expect(mseLoss(e, e, { reduction: 'sum' }).item()).toBe(0);
  });
});

// ---- binary cross entropy with logits ------------------------------------------------------

describe('binaryCrossEntropyWithLogits', () => {
  /** Input shape (at least 1 dim), a target of probabilities, optional weight (broadcastable) and posWeight ([last dim] or broadcastable). */
  const suffixOnes = (s: number[]) =>
    fc.tuple(fc.integer({ min: 0, max: s.length }), fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length })).map(([drop, ones]) => s.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
  const caseArb = shapeArb({ minDims: 1 }).chain((s) =>
    fc.record({
      x: inputArb(s),
      y: inputArb(s, 'unit'),
      w: fc.option(suffixOnes(s).chain((ws) => inputArb(ws, 'positive')), { nil: null }),
      pw: fc.option(fc.oneof(fc.constant([s[s.length - 1]!]), suffixOnes(s)).chain((ps) => inputArb(ps, 'positive')), { nil: null }),
      scale: fc.constantFrom(1, 4),
    }),
  );
  /** log sigmoid(v) without cancellation (log(1 - sigmoid(x)) = logSigmoid(-x)); a naive
   *  log(1 - sigmoid(16)) loses ~9 digits, which once made this reference the inexact side. */
  const logSig = (v: number) => (v >= 0 ? -Math.log1p(Math.exp(-v)) : v - Math.log1p(Math.exp(v)));
  /** PyTorch's documented form: -w [pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]. */
  const ref = (x: number, y: number, w: number, pw: number) => -w * (pw * y * logSig(x) + (1 - y) * logSig(-x));

  /** Targets in [0, 1]: (unit + 0.9) / 1.8. */
  const toProb = (t: Tensor) => t.add(0.9).div(1.8);

  it('forward matches the documented formula with weight and posWeight, every reduction, any layout', () => {
    fc.assert(
      fc.property(caseArb, reductionArb, ({ x: X, y: Y, w: W, pw: P, scale }, reduction) => {
        const x = X.view().mul(scale);
        const y = toProb(Y.view());
        const out = binaryCrossEntropyWithLogits(x, y, { weight: W?.view(), posWeight: P?.view(), reduction });
        expectShape(out, x.shape, reduction);
        const [xv, yv, wv, pv] = [x.dataSync(), y.dataSync(), W?.view().dataSync(), P?.view().dataSync()];
        const losses = Array.from(xv, (v, i) => {
          const idx = unravel(i, x.shape);
          const w = wv ? wv[broadcastIndex(idx, W!.view().shape)]! : 1;
          const pw = pv ? pv[broadcastIndex(idx, P!.view().shape)]! : 1;
          return ref(v, yv[i]!, w, pw);
        });
        expectClose(out.dataSync(), reduceRef(losses, reduction), { rtol: 1e-11, atol: 1e-13 });
      }),
      runs(),
    );
  });

  it('gradcheck and gradgradcheck w.r.t. logits, target, weight and posWeight through layouts', () => {
    fc.assert(
      fc.property(caseArb, reductionArb, ({ x: X, y: Y, w: W, pw: P, scale }, reduction) => {
        const inputs = [X, Y, ...(W ? [W] : []), ...(P ? [P] : [])];
        checkGradients(
          (...ls) => {
            const [xl, yl] = ls as [Tensor, Tensor];
            const rest = ls.slice(2);
            const weight = W ? W.view(rest.shift()) : null;
            const posWeight = P ? P.view(rest.shift()) : null;
            return binaryCrossEntropyWithLogits(X.view(xl).mul(scale), toProb(Y.view(yl)), { weight, posWeight, reduction });
          },
          inputs.map((i) => i.leaf),
          { second: true },
        );
      }),
      runs(),
    );
  });

  it('is stable for huge logits and has the exact derivative sigmoid(x) - y, also at x = 0', () => {
    const x = tensor([1000, -1000, 0, 1000, -1000], { dtype: 'float64', requiresGrad: true });
    const y = tensor([0, 1, 0.5, 1, 0], { dtype: 'float64' });
    const out = binaryCrossEntropyWithLogits(x, y, { reduction: 'none' });
    expect(out.toArray()).toEqual([1000, 1000, Math.LN2, 0, 0]);
    expect(grad(out.sum(), x)[0]!.toArray()).toEqual([1, -1, 0, 0, 0]);
    const pw = tensor([3], { dtype: 'float64' });
    const z = tensor([0], { dtype: 'float64', requiresGrad: true });
    // d/dx at 0 with posWeight 3 and y = 1: -pw * y * (1 - sigmoid(0)) = -1.5.
    expect(grad(binaryCrossEntropyWithLogits(z, tensor([1], { dtype: 'float64' }), { posWeight: pw }), z)[0]!.toArray()).toEqual([-1.5]);
  });

  it('errors name the op and the shapes', () => {
    const x = zeros([2, 3]);
    expect(() => binaryCrossEntropyWithLogits(x, zeros([3, 2]))).toThrow(/binaryCrossEntropyWithLogits: target of shape \[3, 2\] must have the same shape as logits \[2, 3\]/);
    expect(() => binaryCrossEntropyWithLogits(x, zeros([2, 3]), { weight: zeros([2]) })).toThrow(/binaryCrossEntropyWithLogits: weight of shape \[2\] cannot be broadcast to the input's shape \[2, 3\]/);
    expect(() => binaryCrossEntropyWithLogits(x, zeros([2, 3]), { posWeight: zeros([4]) })).toThrow(/posWeight of shape \[4\].*\[2, 3\]/);
    expect(() => binaryCrossEntropyWithLogits(x, zeros([2, 3], { dtype: 'int32' }))).toThrow(/binaryCrossEntropyWithLogits: argument 'target' must be float32 or float64, got int32/);
  });
});

// ---- class losses: nllLoss and crossEntropy --------------------------------------------------

/** A class-loss problem: input shape ([C], [N, C] or [N, C, d1, ...]), class count and int targets. */
interface ClassCase {
  shape: number[];
  C: number;
  /** Row-major targets over the input shape without the class dim. */
  targets: number[];
  ignoreIndex: number;
}

const classShapeArb: fc.Arbitrary<number[]> = fc.oneof(
  fc.integer({ min: 1, max: 6 }).map((c) => [c]),
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 2 })).map(([n, c, sp]) => [n, c, ...sp]),
);

const classCaseArb: fc.Arbitrary<ClassCase> = classShapeArb.chain((shape) => {
  const C = shape.length === 1 ? shape[0]! : shape[1]!;
  const count = shape.length === 1 ? 1 : shape.reduce((a, b) => a * b, 1) / C;
  return fc.tuple(fc.oneof(fc.constant(-100), fc.integer({ min: 0, max: C - 1 })), fc.array(fc.tuple(fc.integer({ min: 0, max: C - 1 }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: count, maxLength: count })).map(
    ([ignoreIndex, picks]): ClassCase => ({
      shape,
      C,
      ignoreIndex,
      // About one in five targets is ignoreIndex.
      targets: picks.map(([t, u]) => (u < 0.2 ? ignoreIndex : t)),
    }),
  );
});

/** The int32 target tensor of a case: [N, d1, ...], or 0-d for a [C] input. */
function targetOf(c: ClassCase): Tensor {
  const shape = c.shape.length === 1 ? [] : c.shape.filter((_, i) => i !== 1);
  return tensor(Int32Array.from(c.targets)).reshape(shape);
}

/** Position of (sample j, class k) in the row-major input, j running over [N, d1, ...]. */
function inputIndex(shape: readonly number[], j: number, k: number): number {
  if (shape.length === 1) return k;
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  const n = Math.floor(j / S);
  return (n * shape[1]! + k) * S + (j % S);
}

/** Row-major log-softmax along the class dim. */
function logSoftmaxRef(vals: ArrayLike<number>, shape: readonly number[], C: number): number[] {
  const out = new Array<number>(vals.length);
  const count = vals.length / C;
  for (let j = 0; j < count; j++) {
    const row = Array.from({ length: C }, (_, k) => vals[inputIndex(shape, j, k)]!);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    row.forEach((v, k) => (out[inputIndex(shape, j, k)] = v - lse));
  }
  return out;
}

/**
 * PyTorch's cross entropy over class indices, written from its formula: per element
 * (1 - s) w[t] (-logp[t]) + (s / C) sum_c w[c] (-logp[c]), zero where ignored; 'mean' divides by
 * the sum of w[t] over non-ignored elements. With s = 0 this is nll_loss of logp.
 */
function classLossRef(logp: number[], c: ClassCase, w: ArrayLike<number> | null, smoothing: number, reduction: Reduction): number[] {
  const wt = (k: number) => (w ? w[k]! : 1);
  let denom = 0;
  const losses = c.targets.map((t, j) => {
    if (t === c.ignoreIndex) return 0;
    denom += wt(t);
    let smooth = 0;
    for (let k = 0; k < c.C; k++) smooth -= wt(k) * logp[inputIndex(c.shape, j, k)]!;
    return (1 - smoothing) * -wt(t) * logp[inputIndex(c.shape, j, t)]! + (smoothing / c.C) * smooth;
  });
  return reduceRef(losses, reduction, denom);
}

const optionalWeightArb = (C: number): fc.Arbitrary<Input | null> => fc.option(inputArb([C], 'positive'), { nil: null, freq: 2 });

describe('nllLoss', () => {
  const caseArb = classCaseArb.chain((c) => fc.tuple(fc.constant(c), inputArb(c.shape), optionalWeightArb(c.C), reductionArb));

  it('forward: -weight[t] * logProbs[t], ignoreIndex dropped from the sum and the mean denominator', () => {
    fc.assert(
      fc.property(caseArb, ([c, X, W, reduction]) => {
        const x = X.view();
        const y = nllLoss(x, targetOf(c), { weight: W?.view(), ignoreIndex: c.ignoreIndex, reduction });
        expectShape(y, targetOf(c).shape, reduction);
        expect(y.dtype).toBe('float64');
        expectClose(y.dataSync(), classLossRef(Array.from(x.dataSync()), c, W?.view().dataSync() ?? null, 0, reduction), { rtol: 1e-12, atol: 1e-14 });
      }),
      runs(),
    );
  });

  it('gradcheck and gradgradcheck w.r.t. logProbs and weight through layouts', () => {
    fc.assert(
      fc.property(caseArb, ([c, X, W, reduction]) => {
        // A 'mean' over only ignored targets is 0/0: NaN, which no gradient check can compare.
        fc.pre(reduction !== 'mean' || c.targets.some((t) => t !== c.ignoreIndex));
        const t = targetOf(c);
        checkGradients(
          (xl, wl) => nllLoss(X.view(xl), t, { weight: W && wl ? W.view(wl) : null, ignoreIndex: c.ignoreIndex, reduction }),
          [X.leaf, ...(W ? [W.leaf] : [])],
          { second: true },
        );
      }),
      runs(),
    );
  });

  it('every target ignored: mean is NaN, sum is 0; -inf at an ignored position does not give NaN', () => {
    const lp = tensor([[-Infinity, -1], [-2, -3]], { dtype: 'float64', requiresGrad: true });
    const t = tensor([0, 1], { dtype: 'int32' });
    expect(nllLoss(lp, t, { ignoreIndex: 0, reduction: 'none' }).toArray()).toEqual([0, 3]);
    expect(nllLoss(lp, t, { ignoreIndex: 0 }).item()).toBe(3);
    expect(grad(nllLoss(lp, t, { ignoreIndex: 0 }), lp)[0]!.toArray()).toEqual([[0, 0], [0, -1]]);
    const all = tensor([-100, -100], { dtype: 'int32' });
    expect(nllLoss(lp, all).item()).toBeNaN();
    expect(nllLoss(lp, all, { reduction: 'sum' }).item()).toBe(0);
  });

  it('errors name the op, the shapes and the bad class', () => {
    const lp = zeros([2, 5, 3]);
    expect(() => nllLoss(lp, tensor([[0, 1, 2], [0, 1, 7]], { dtype: 'int32' }))).toThrow(/nllLoss: target class 7 is out of range for 5 classes/);
    expect(() => nllLoss(lp, tensor([[0, 1, 2], [0, -1, 2]], { dtype: 'int32' }))).toThrow(/nllLoss: target class -1 is out of range for 5 classes.*ignoreIndex=-100/);
    expect(() => nllLoss(lp, zeros([2, 4], { dtype: 'int32' }))).toThrow(/nllLoss: target of shape \[2, 4\] does not match logProbs of shape \[2, 5, 3\]; expected target shape \[2, 3\]/);
    expect(() => nllLoss(lp, zeros([2, 3]))).toThrow(/nllLoss: target must hold int32 class indices of shape \[2, 3\], got float32 of shape \[2, 3\]/);
    expect(() => nllLoss(lp, zeros([2, 3], { dtype: 'int32' }), { weight: zeros([3]) })).toThrow(/nllLoss: weight must have shape \[5\] \(one value per class\), got \[3\]/);
    expect(() => nllLoss(zeros([]), zeros([], { dtype: 'int32' }))).toThrow(/nllLoss: logProbs must have shape \[C\], \[N, C\] or \[N, C, d1, \.\.\.\], got a 0-d tensor/);
    expect(() => nllLoss(lp, zeros([2, 3], { dtype: 'int32' }), { reduction: 'avg' as Reduction })).toThrow(/nllLoss: reduction must be 'mean', 'sum' or 'none', got "avg"/);
  });
});

describe('crossEntropy with class indices', () => {
  const caseArb = classCaseArb.chain((c) =>
    fc.tuple(fc.constant(c), inputArb(c.shape), optionalWeightArb(c.C), reductionArb, fc.oneof(fc.constant(0), fc.constantFrom(0.1, 1), fc.double({ min: 0, max: 1, noNaN: true }))),
  );

  it('forward: PyTorch\'s formula with weight, ignoreIndex and label smoothing, every reduction, any layout', () => {
    fc.assert(
      fc.property(caseArb, ([c, X, W, reduction, s]) => {
        const x = X.view();
        const y = crossEntropy(x, targetOf(c), { weight: W?.view(), ignoreIndex: c.ignoreIndex, reduction, labelSmoothing: s });
        expectShape(y, targetOf(c).shape, reduction);
        const logp = logSoftmaxRef(x.dataSync(), c.shape, c.C);
        expectClose(y.dataSync(), classLossRef(logp, c, W?.view().dataSync() ?? null, s, reduction), { rtol: 1e-11, atol: 1e-13 });
      }),
      runs(),
    );
  });

  it('without smoothing equals nllLoss(logSoftmax(logits))', () => {
    fc.assert(
      fc.property(caseArb, ([c, X, W, reduction]) => {
        const x = X.view();
        const opts = { weight: W?.view(), ignoreIndex: c.ignoreIndex, reduction };
        expectClose(crossEntropy(x, targetOf(c), opts).dataSync(), nllLoss(logSoftmax(x, c.shape.length === 1 ? 0 : 1), targetOf(c), opts).dataSync(), { rtol: 1e-14, atol: 1e-15 });
      }),
      runs(0.5),
    );
  });

  it('gradcheck and gradgradcheck w.r.t. logits and weight through layouts', () => {
    fc.assert(
      fc.property(caseArb, ([c, X, W, reduction, s]) => {
        fc.pre(reduction !== 'mean' || c.targets.some((t) => t !== c.ignoreIndex));
        const t = targetOf(c);
        checkGradients(
          (xl, wl) => crossEntropy(X.view(xl), t, { weight: W && wl ? W.view(wl) : null, ignoreIndex: c.ignoreIndex, reduction, labelSmoothing: s }),
          [X.leaf, ...(W ? [W.leaf] : [])],
          { second: true },
        );
      }),
      runs(),
    );
  });

  it('hand-checked: weighted mean divides by the target weights; smoothing mixes in the uniform term', () => {
    const x = tensor([[1, 2, 3], [0.5, -1, 2]], { dtype: 'float64' });
    const lp = logSoftmaxRef(x.dataSync(), [2, 3], 3);
    const w = tensor([1, 2, 3], { dtype: 'float64' });
    const t = tensor([2, 0], { dtype: 'int32' });
    // (3 * -lp[0][2] + 1 * -lp[1][0]) / (3 + 1)
    expectClose([crossEntropy(x, t, { weight: w }).item()], [(3 * -lp[2]! + 1 * -lp[3]!) / 4]);
    const s = 0.2;
    const row = (j: number, tt: number) => (1 - s) * -[1, 2, 3][tt]! * lp[3 * j + tt]! + (s / 3) * [0, 1, 2].reduce((a, k) => a - [1, 2, 3][k]! * lp[3 * j + k]!, 0);
    expectClose([crossEntropy(x, t, { weight: w, labelSmoothing: s }).item()], [(row(0, 2) + row(1, 0)) / 4]);
    // An unbatched [C] input with a 0-d target.
    expectClose([crossEntropy(tensor([1, 2, 3], { dtype: 'float64' }), tensor(2, { dtype: 'int32' }), { reduction: 'none' }).item()], [-lp[2]!]);
    expect(crossEntropy(tensor([1, 2, 3], { dtype: 'float64' }), tensor(2, { dtype: 'int32' }), { reduction: 'none' }).shape).toEqual([]);
  });

  it('large logits stay finite; float32 logits give a float32 loss and gradient', () => {
    const x = tensor([[1000, 0, -1000]], { requiresGrad: true });
    const y = crossEntropy(x, tensor([1], { dtype: 'int32' }));
    expect(y.dtype).toBe('float32');
    expect(y.item()).toBe(1000);
    expect(grad(y, x)[0]!.toArray()).toEqual([[1, -1, 0]]);
  });
});

describe('crossEntropy with class probabilities', () => {
  const caseArb = classShapeArb.chain((shape) => {
    const C = shape.length === 1 ? shape[0]! : shape[1]!;
    return fc.tuple(fc.constant(shape), inputArb(shape), inputArb(shape, 'positive'), optionalWeightArb(C), reductionArb, fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })));
  });

  /** -sum_c w[c] q[c] logp[c] per sample, q = (1 - s) target + s / C; 'mean' divides by the sample count. */
  function probRef(logp: number[], q: ArrayLike<number>, shape: readonly number[], w: ArrayLike<number> | null, s: number, reduction: Reduction): number[] {
    const C = shape.length === 1 ? shape[0]! : shape[1]!;
    const count = logp.length / C;
    const losses = Array.from({ length: count }, (_, j) => {
      let l = 0;
      for (let k = 0; k < C; k++) {
        const i = inputIndex(shape, j, k);
        l -= (w ? w[k]! : 1) * ((1 - s) * q[i]! + s / C) * logp[i]!;
      }
      return l;
    });
    return reduceRef(losses, reduction);
  }

  it('forward: weighted soft-target cross entropy, mean over samples (weights not in the denominator)', () => {
    fc.assert(
      fc.property(caseArb, ([shape, X, Q, W, reduction, s]) => {
        const x = X.view();
        const q = Q.view();
        const y = crossEntropy(x, q, { weight: W?.view(), reduction, labelSmoothing: s });
        expectShape(y, shape.length === 1 ? [] : shape.filter((_, i) => i !== 1), reduction);
        const C = shape.length === 1 ? shape[0]! : shape[1]!;
        expectClose(y.dataSync(), probRef(logSoftmaxRef(x.dataSync(), shape, C), q.dataSync(), shape, W?.view().dataSync() ?? null, s, reduction), { rtol: 1e-11, atol: 1e-13 });
      }),
      runs(),
    );
  });

  it('one-hot probabilities give the same loss as class indices (no weight)', () => {
    fc.assert(
      fc.property(classCaseArb.filter((c) => c.ignoreIndex < 0 && c.targets.every((t) => t >= 0)).chain((c) => fc.tuple(fc.constant(c), inputArb(c.shape), reductionArb)), ([c, X, reduction]) => {
        const t = targetOf(c);
        const hot = new Float64Array(X.view().numel());
        c.targets.forEach((tt, j) => (hot[inputIndex(c.shape, j, tt)] = 1));
        const q = tensor(hot).reshape(c.shape);
        expectClose(crossEntropy(X.view(), q, { reduction }).dataSync(), crossEntropy(X.view(), t, { reduction }).dataSync(), { rtol: 1e-13, atol: 1e-14 });
      }),
      runs(0.5),
    );
  });

  it('gradcheck and gradgradcheck w.r.t. logits, target probabilities and weight through layouts', () => {
    fc.assert(
      fc.property(caseArb, ([, X, Q, W, reduction, s]) => {
        checkGradients(
          (xl, ql, wl) => crossEntropy(X.view(xl), Q.view(ql), { weight: W && wl ? W.view(wl) : null, reduction, labelSmoothing: s }),
          [X.leaf, Q.leaf, ...(W ? [W.leaf] : [])],
          { second: true },
        );
      }),
      runs(),
    );
  });
});

describe('crossEntropy: bad input', () => {
  it('errors name the op, the shapes and the values', () => {
    const x = zeros([2, 5]);
    expect(() => crossEntropy(x, tensor([1, 7], { dtype: 'int32' }))).toThrow(/crossEntropy: target class 7 is out of range for 5 classes/);
    expect(() => crossEntropy(x, tensor([1, -3], { dtype: 'int32' }))).toThrow(/crossEntropy: target class -3 is out of range for 5 classes/);
    expect(() => crossEntropy(x, tensor([1, 2, 3], { dtype: 'int32' }))).toThrow(/crossEntropy: target of shape \[3\] does not match logits of shape \[2, 5\]; expected target shape \[2\]/);
    expect(() => crossEntropy(x, zeros([2]))).toThrow(/crossEntropy: target must hold int32 class indices of shape \[2\] \(or class probabilities of logits' shape \[2, 5\]\), got float32 of shape \[2\]/);
    expect(() => crossEntropy(x, zeros([2, 5], { dtype: 'int32' }))).toThrow(/crossEntropy: a target of logits' shape \[2, 5\] holds class probabilities and must be float32 or float64, got int32/);
    expect(() => crossEntropy(x, zeros([2, 5]), { ignoreIndex: 1 })).toThrow(/crossEntropy: ignoreIndex is not supported for class-probability targets/);
    expect(() => crossEntropy(x, tensor([1, 2], { dtype: 'int32' }), { labelSmoothing: 1.5 })).toThrow(/crossEntropy: labelSmoothing must be between 0 and 1, got 1.5/);
    expect(() => crossEntropy(x, tensor([1, 2], { dtype: 'int32' }), { weight: zeros([4]) })).toThrow(/crossEntropy: weight must have shape \[5\] \(one value per class\), got \[4\]/);
    expect(() => crossEntropy(x, tensor([1, 2], { dtype: 'int32' }), { reduction: 'avg' as Reduction })).toThrow(/crossEntropy: reduction must be 'mean', 'sum' or 'none', got "avg"/);
    expect(() => crossEntropy(zeros([2, 5], { dtype: 'int32' }), tensor([1, 2], { dtype: 'int32' }))).toThrow(/crossEntropy: argument 'logits' must be float32 or float64, got int32/);
  });

  it('regression losses name the op and both shapes; bad reduction and beta are refused', () => {
    for (const [name, f] of [
      ['mseLoss', mseLoss],
      ['l1Loss', l1Loss],
      ['smoothL1Loss', smoothL1Loss],
    ] as const) {
      expect(() => f(zeros([2, 3]), zeros([3, 2]))).toThrow(new RegExp(`${name}: target of shape \\[3, 2\\] must have the same shape as input \\[2, 3\\]`));
      expect(() => f(zeros([2]), zeros([2]), { reduction: 'avg' as Reduction })).toThrow(new RegExp(`${name}: reduction must be 'mean', 'sum' or 'none', got "avg"`));
      expect(() => f(zeros([2]), 1 as unknown as Tensor)).toThrow(new RegExp(`${name}: argument 'target' must be a Tensor, got number`));
    }
    expect(() => smoothL1Loss(zeros([2]), zeros([2]), { beta: -1 })).toThrow(/smoothL1Loss: beta must be a finite number >= 0, got -1/);
  });
});
