/**
 * Property tests of batchNorm, layerNorm and groupNorm: forward values against plain-JS loops
 * over generated NCHW shapes and layouts, float64 gradcheck and gradgradcheck w.r.t. x, weight
 * and bias, batchNorm's running statistics (PyTorch's update, off the tape, used in eval
 * mode), and errors that name the op and the shapes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchNorm, grad, groupNorm, instanceNorm, layerNorm, ones, tensor, type Tensor, zeros } from '../src/index.js';
import { checkGradients, expectClose, type Input, inputArb, runs } from '@dynconv/testing';

/** [N, C, ...spatial]: batch 1-3, channels 1-6, 0-2 spatial dims of 1-4. */
const nchwArb = fc.tuple(
  fc.integer({ min: 1, max: 3 }),
  fc.integer({ min: 1, max: 6 }),
  fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 2 }),
).map(([n, c, sp]) => [n, c, ...sp]);

const epsArb = fc.constantFrom(1e-5, 0.1);
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** An optional [C]-shaped (or other) parameter in a generated layout. */
const optionalArb = (shape: readonly number[]): fc.Arbitrary<Input | null> => fc.option(inputArb(shape), { nil: null, freq: 3 });

/**
 * Normalises groups of a flat row-major array: `groupOf(i)` names element i's group; returns
 * (v - mean) / sqrt(var + eps) with the biased variance, plus each group's mean and variance.
 */
function normalizeGroups(vals: ArrayLike<number>, groupOf: (i: number) => number, groups: number, eps: number) {
  const sum = new Array<number>(groups).fill(0);
  const cnt = new Array<number>(groups).fill(0);
  for (let i = 0; i < vals.length; i++) {
    sum[groupOf(i)]! += vals[i]!;
    cnt[groupOf(i)]!++;
  }
  const mean = sum.map((s, g) => s / cnt[g]!);
  const sq = new Array<number>(groups).fill(0);
  for (let i = 0; i < vals.length; i++) sq[groupOf(i)]! += (vals[i]! - mean[groupOf(i)]!) ** 2;
  const variance = sq.map((s, g) => s / cnt[g]!);
  const y = Array.from(vals, (v, i) => (v - mean[groupOf(i)]!) / Math.sqrt(variance[groupOf(i)]! + eps));
  return { y, mean, variance, count: cnt };
}

const channelOf = (shape: readonly number[]) => (i: number) => Math.floor(i / prod(shape.slice(2))) % shape[1]!;

/** y * w[c] + b[c] along the channel index `chan(i)`. */
function affineRef(y: number[], chan: (i: number) => number, w: ArrayLike<number> | null, b: ArrayLike<number> | null): number[] {
  return y.map((v, i) => v * (w ? w[chan(i)]! : 1) + (b ? b[chan(i)]! : 0));
}

/** Every group of more than one value has a spread that keeps finite differences well conditioned. */
function wellSpread(groupVar: number[], count: number[]): boolean {
  return groupVar.every((v, g) => count[g] === 1 || v > 0.01);
}

describe('batchNorm', () => {
  /** Shapes with more than one value per channel (training needs it). */
  const trainShapeArb = nchwArb.filter((s) => s[0]! * prod(s.slice(2)) > 1);
  const caseArb = trainShapeArb.chain((s) =>
    fc.record({
      x: inputArb(s),
      w: optionalArb([s[1]!]),
      b: optionalArb([s[1]!]),
      eps: epsArb,
      momentum: fc.oneof(fc.constant(0.1), fc.double({ min: 0, max: 1, noNaN: true })),
    }),
  );

  it('training: batch statistics over all dims but 1; running stats updated as PyTorch (unbiased var)', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 1000 }), ({ x: X, w: W, b: B, eps, momentum }, seed) => {
        const x = X.view();
        const c = x.shape[1]!;
        const rm0 = Array.from({ length: c }, (_, i) => Math.sin(seed + i));
        const rv0 = Array.from({ length: c }, (_, i) => 1 + Math.cos(seed + i) ** 2);
        const rm = tensor(rm0, { dtype: 'float64' });
        const rv = tensor(rv0, { dtype: 'float64' });
        const w = W?.view() ?? null;
        const b = B?.view() ?? null;
        const y = batchNorm(x, rm, rv, w, b, true, momentum, eps);
        expect(y.shape).toEqual(x.shape);
        expect(y.dtype).toBe('float64');
        const ref = normalizeGroups(x.dataSync(), channelOf(x.shape), c, eps);
        expectClose(y.dataSync(), affineRef(ref.y, channelOf(x.shape), w?.dataSync() ?? null, b?.dataSync() ?? null), { rtol: 1e-10, atol: 1e-12 });
        const n = ref.count[0]!;
        expectClose(rm.dataSync(), rm0.map((r, i) => (1 - momentum) * r + momentum * ref.mean[i]!), { rtol: 1e-12, atol: 1e-14 });
        expectClose(rv.dataSync(), rv0.map((r, i) => (1 - momentum) * r + momentum * ref.variance[i]! * (n / (n - 1))), { rtol: 1e-12, atol: 1e-14 });
      }),
      runs(),
    );
  });

  it('eval: normalises with the running statistics', () => {
    fc.assert(
      fc.property(nchwArb.chain((s) => fc.tuple(inputArb(s), inputArb([s[1]!]), inputArb([s[1]!], 'positive'), optionalArb([s[1]!]), optionalArb([s[1]!]), epsArb)), ([X, RM, RV, W, B, eps]) => {
        const x = X.view();
        const [rm, rv] = [RM.view().dataSync(), RV.view().dataSync()];
        const chan = channelOf(x.shape);
        const y = batchNorm(x, RM.view(), RV.view(), W?.view() ?? null, B?.view() ?? null, false, 0.1, eps);
        const norm = Array.from(x.dataSync(), (v, i) => (v - rm[chan(i)]!) / Math.sqrt(rv[chan(i)]! + eps));
        expectClose(y.dataSync(), affineRef(norm, chan, W?.view().dataSync() ?? null, B?.view().dataSync() ?? null), { rtol: 1e-12, atol: 1e-14 });
      }),
      runs(),
    );
  });

  it('training: gradcheck and gradgradcheck w.r.t. x, weight and bias through layouts (running stats updated on the way)', () => {
    fc.assert(
      fc.property(trainShapeArb.chain((s) => fc.tuple(inputArb(s), inputArb([s[1]!]), inputArb([s[1]!]), epsArb)), ([X, W, B, eps]) => {
        const x = X.view();
        const ref = normalizeGroups(x.dataSync(), channelOf(x.shape), x.shape[1]!, eps);
        fc.pre(wellSpread(ref.variance, ref.count));
        const c = x.shape[1]!;
        checkGradients(
          (xl, wl, bl) => batchNorm(X.view(xl), zeros([c], { dtype: 'float64' }), ones([c], { dtype: 'float64' }), W.view(wl), B.view(bl), true, 0.1, eps),
          [X.leaf, W.leaf, B.leaf],
          { second: true },
        );
      }),
      runs(),
    );
  });

  it('training without weight and bias: gradcheck and gradgradcheck w.r.t. x', () => {
    fc.assert(
      fc.property(trainShapeArb.chain((s) => inputArb(s)), (X) => {
        const x = X.view();
        const ref = normalizeGroups(x.dataSync(), channelOf(x.shape), x.shape[1]!, 1e-5);
        fc.pre(wellSpread(ref.variance, ref.count));
        checkGradients((xl) => batchNorm(X.view(xl), null, null, null, null, true), [X.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('eval: gradcheck and gradgradcheck w.r.t. x, weight and bias', () => {
    fc.assert(
      fc.property(nchwArb.chain((s) => fc.tuple(inputArb(s), inputArb([s[1]!]), inputArb([s[1]!]))), ([X, W, B]) => {
        const c = X.view().shape[1]!;
        const rm = tensor(Array.from({ length: c }, (_, i) => 0.3 * i - 0.5), { dtype: 'float64' });
        const rv = tensor(Array.from({ length: c }, (_, i) => 0.5 + 0.25 * i), { dtype: 'float64' });
        checkGradients((xl, wl, bl) => batchNorm(X.view(xl), rm, rv, W.view(wl), B.view(bl), false), [X.leaf, W.leaf, B.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('the running-statistics update is off the tape: same gradient with or without it, buffers never require grad', () => {
    fc.assert(
      fc.property(trainShapeArb.chain((s) => fc.tuple(inputArb(s), inputArb([s[1]!]))), ([X, W]) => {
        const c = X.view().shape[1]!;
        const rm = zeros([c], { dtype: 'float64' });
        const rv = ones([c], { dtype: 'float64' });
        const probe = (y: Tensor) => y.mul(y).mul(X.view().detach()).sum();
        const with_ = grad(probe(batchNorm(X.view(), rm, rv, W.view(), null, true)), [X.leaf, W.leaf]);
        const without = grad(probe(batchNorm(X.view(), null, null, W.view(), null, true)), [X.leaf, W.leaf]);
        expect(Array.from(with_[0]!.dataSync())).toEqual(Array.from(without[0]!.dataSync()));
        expect(Array.from(with_[1]!.dataSync())).toEqual(Array.from(without[1]!.dataSync()));
        for (const t of [rm, rv]) {
          expect(t.requiresGrad).toBe(false);
          expect(t.gradFn).toBeNull();
          expect(t.isLeaf).toBe(true);
        }
      }),
      runs(),
    );
  });

  it('one training step, then eval uses the updated statistics (hand-checked numbers)', () => {
    // Channel 0 holds 1, 3, 5, 7 and channel 1 holds 2, 4, 0, 6: means 4 and 3, biased var 5, unbiased 20/3.
    const x = tensor([[[1, 3], [2, 4]], [[5, 7], [0, 6]]], { dtype: 'float64', requiresGrad: true });
    const rm = tensor([0, 10], { dtype: 'float64' });
    const rv = tensor([1, 1], { dtype: 'float64' });
    const y = batchNorm(x, rm, rv, null, null, true, 0.1, 0);
    expectClose(y.dataSync(), [-3, -1, -1, 1, 1, 3, -3, 3].map((v) => v / Math.sqrt(5)), { rtol: 1e-14, atol: 0 });
    expectClose(rm.dataSync(), [0.4, 0.9 * 10 + 0.1 * 3], { rtol: 1e-15, atol: 0 });
    expectClose(rv.dataSync(), [0.9 + 0.1 * (20 / 3), 0.9 + 0.1 * (20 / 3)], { rtol: 1e-15, atol: 0 });
    // Eval: (x - running mean) / sqrt(running var + eps).
    const z = batchNorm(x, rm, rv, null, null, false, 0.1, 1e-5);
    const xs = Array.from(x.dataSync());
    const chan = channelOf(x.shape);
    expectClose(z.dataSync(), xs.map((v, i) => (v - rm.dataSync()[chan(i)]!) / Math.sqrt(rv.dataSync()[chan(i)]! + 1e-5)), { rtol: 1e-14, atol: 0 });
    // Eval leaves the running statistics alone.
    expectClose(rm.dataSync(), [0.4, 9.3], { rtol: 1e-15, atol: 0 });
    // [N, C] input (BatchNorm1d without a length dim) and float32 running buffers next to float64 input.
    const x2 = tensor([[1, 4], [3, 8]], { dtype: 'float64' });
    const rm32 = zeros([2]);
    const rv32 = ones([2]);
    expectClose(batchNorm(x2, rm32, rv32, null, null, true, 0.5, 0).dataSync(), [-1, -1, 1, 1], { rtol: 1e-15, atol: 0 });
    expect(rm32.dtype).toBe('float32');
    expectClose(rm32.dataSync(), [1, 3], { rtol: 1e-7, atol: 0 });
    expectClose(rv32.dataSync(), [0.5 + 0.5 * 2, 0.5 + 0.5 * 8], { rtol: 1e-7, atol: 0 });
  });

  it('running buffers that require grad are still updated (the update runs under noGrad)', () => {
    const rm = zeros([2], { dtype: 'float64', requiresGrad: true });
    batchNorm(tensor([[1, 2], [3, 4]], { dtype: 'float64' }), rm, null, null, null, true, 1);
    expect(rm.toArray()).toEqual([2, 3]);
    expect(rm.grad).toBeNull();
  });

  it('errors name the op and the shapes', () => {
    const x = zeros([2, 3, 4]);
    expect(() => batchNorm(x, zeros([4]), ones([3]), null, null, true)).toThrow(/batchNorm: runningMean must have shape \[3\] \(one value per channel of x \[2, 3, 4\]\), got \[4\]/);
    expect(() => batchNorm(x, null, null, ones([2]), null, true)).toThrow(/batchNorm: weight must have shape \[3\].*\[2, 3, 4\].*got \[2\]/);
    expect(() => batchNorm(x, null, null, null, ones([3, 1]), true)).toThrow(/batchNorm: bias must have shape \[3\].*got \[3, 1\]/);
    expect(() => batchNorm(zeros([1, 3]), null, null, null, null, true)).toThrow(/batchNorm: expected more than 1 value per channel when training, got input of shape \[1, 3\]/);
    expect(() => batchNorm(zeros([1, 3, 1, 1]), null, null, null, null, true)).toThrow(/more than 1 value per channel.*\[1, 3, 1, 1\]/);
    expect(() => batchNorm(x, null, null)).toThrow(/batchNorm: runningMean and runningVar must be given in eval mode/);
    expect(() => batchNorm(zeros([3]), null, null, null, null, true)).toThrow(/batchNorm: expects x of shape \[N, C, \.\.\.\].*got \[3\]/);
    expect(() => batchNorm(zeros([2, 3], { dtype: 'int32' }), null, null, null, null, true)).toThrow(/batchNorm: argument 'x' must be float32 or float64, got int32/);
    expect(() => batchNorm(x, zeros([1]).expand([3]), null, null, null, true)).toThrow(/batchNorm: cannot update runningMean in place: .*expanded/);
  });
});

describe('layerNorm', () => {
  /** Leading dims (0-2) and normalised dims (1-3), sizes 1-4. */
  const lnShapeArb = fc.tuple(
    fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 }),
    fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
  );

  function reference(x: Tensor, k: number, eps: number) {
    const inner = prod(x.shape.slice(x.ndim - k));
    return { ...normalizeGroups(x.dataSync(), (i) => Math.floor(i / inner), x.numel() / inner, eps), inner };
  }

  it('forward: per-row statistics over the trailing normalizedShape dims, elementwise weight and bias', () => {
    fc.assert(
      fc.property(lnShapeArb.chain(([lead, norm]) => fc.tuple(fc.constant(norm), inputArb([...lead, ...norm]), optionalArb(norm), optionalArb(norm), epsArb)), ([norm, X, W, B, eps]) => {
        const x = X.view();
        const y = layerNorm(x, norm, W?.view() ?? null, B?.view() ?? null, eps);
        expect(y.shape).toEqual(x.shape);
        const ref = reference(x, norm.length, eps);
        const at = (i: number) => i % ref.inner;
        expectClose(y.dataSync(), affineRef(ref.y, at, W?.view().dataSync() ?? null, B?.view().dataSync() ?? null), { rtol: 1e-10, atol: 1e-12 });
      }),
      runs(),
    );
  });

  it('gradcheck and gradgradcheck w.r.t. x, weight and bias through layouts', () => {
    fc.assert(
      fc.property(lnShapeArb.chain(([lead, norm]) => fc.tuple(fc.constant(norm), inputArb([...lead, ...norm]), inputArb(norm), inputArb(norm), epsArb)), ([norm, X, W, B, eps]) => {
        const ref = reference(X.view(), norm.length, eps);
        fc.pre(wellSpread(ref.variance, ref.count));
        checkGradients((xl, wl, bl) => layerNorm(X.view(xl), norm, W.view(wl), B.view(bl), eps), [X.leaf, W.leaf, B.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('a number normalizedShape is the last dim; no affine parameters is weight 1, bias 0', () => {
    const x = tensor([[1, 2, 3], [4, 4, 10]], { dtype: 'float64' });
    const y = layerNorm(x, 3);
    expect(Array.from(y.dataSync())).toEqual(Array.from(layerNorm(x, [3], ones([3], { dtype: 'float64' }), zeros([3], { dtype: 'float64' })).dataSync()));
    const s = Math.sqrt(2 / 3 + 1e-5);
    expectClose(y.dataSync().slice(0, 3), [-1 / s, 0, 1 / s], { rtol: 1e-14, atol: 0 });
    expect(layerNorm(tensor([[1, 2]]), [1, 2]).dtype).toBe('float32');
  });

  it('errors name the op and the shapes', () => {
    const x = zeros([2, 3, 4]);
    expect(() => layerNorm(x, [3])).toThrow(/layerNorm: normalizedShape \[3\] must match the trailing dims of x, got x of shape \[2, 3, 4\]/);
    expect(() => layerNorm(x, [2, 3, 4, 5])).toThrow(/layerNorm: normalizedShape \[2, 3, 4, 5\].*\[2, 3, 4\]/);
    expect(() => layerNorm(x, [])).toThrow(/layerNorm: normalizedShape must be a non-empty list/);
    expect(() => layerNorm(x, [3, 4], ones([4]))).toThrow(/layerNorm: weight must have normalizedShape \[3, 4\], got \[4\]/);
    expect(() => layerNorm(x, [4], null, ones([3]))).toThrow(/layerNorm: bias must have normalizedShape \[4\], got \[3\]/);
    expect(() => layerNorm(zeros([2], { dtype: 'int32' }), 2)).toThrow(/layerNorm: argument 'x' must be float32 or float64, got int32/);
  });
});

describe('groupNorm', () => {
  /** A shape and a numGroups that divides its channel count. */
  const gnArb = nchwArb.chain((s) => {
    const divisors = Array.from({ length: s[1]! }, (_, i) => i + 1).filter((g) => s[1]! % g === 0);
    return fc.tuple(fc.constant(s), fc.constantFrom(...divisors));
  }).filter(([s, g]) => (s[0]! * s[1]! / g) * prod(s.slice(2)) > 1);

  function reference(x: Tensor, g: number, eps: number) {
    const per = (x.shape[1]! / g) * prod(x.shape.slice(2));
    return normalizeGroups(x.dataSync(), (i) => Math.floor(i / per), x.numel() / per, eps);
  }

  it('forward: statistics per (sample, group of channels), per-channel weight and bias', () => {
    fc.assert(
      fc.property(gnArb.chain(([s, g]) => fc.tuple(fc.constant(g), inputArb(s), optionalArb([s[1]!]), optionalArb([s[1]!]), epsArb)), ([g, X, W, B, eps]) => {
        const x = X.view();
        const y = groupNorm(x, g, W?.view() ?? null, B?.view() ?? null, eps);
        expect(y.shape).toEqual(x.shape);
        const ref = reference(x, g, eps);
        expectClose(y.dataSync(), affineRef(ref.y, channelOf(x.shape), W?.view().dataSync() ?? null, B?.view().dataSync() ?? null), { rtol: 1e-10, atol: 1e-12 });
      }),
      runs(),
    );
  });

  it('gradcheck and gradgradcheck w.r.t. x, weight and bias through layouts', () => {
    fc.assert(
      fc.property(gnArb.chain(([s, g]) => fc.tuple(fc.constant(g), inputArb(s), inputArb([s[1]!]), inputArb([s[1]!]), epsArb)), ([g, X, W, B, eps]) => {
        const ref = reference(X.view(), g, eps);
        fc.pre(wellSpread(ref.variance, ref.count));
        checkGradients((xl, wl, bl) => groupNorm(X.view(xl), g, W.view(wl), B.view(bl), eps), [X.leaf, W.leaf, B.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('one group is layer norm over [C, ...]; C groups is instance norm', () => {
    const x = tensor(Float64Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.3))).reshape([2, 3, 4]);
    expectClose(groupNorm(x, 1).dataSync(), layerNorm(x, [3, 4]).dataSync(), { rtol: 1e-14, atol: 1e-15 });
    expectClose(groupNorm(x, 3).dataSync(), layerNorm(x, [4]).dataSync(), { rtol: 1e-14, atol: 1e-15 });
  });

  it('errors name the op and the shapes', () => {
    const x = zeros([2, 6, 3]);
    expect(() => groupNorm(x, 4)).toThrow(/groupNorm: the number of channels must be divisible by numGroups, got x of shape \[2, 6, 3\] \(6 channels\) and numGroups=4/);
    expect(() => groupNorm(x, 0)).toThrow(/groupNorm: numGroups must be a positive integer, got 0/);
    expect(() => groupNorm(x, 3, ones([3]))).toThrow(/groupNorm: weight must have shape \[6\].*\[2, 6, 3\].*got \[3\]/);
    expect(() => groupNorm(zeros([6]), 3)).toThrow(/groupNorm: expects x of shape \[N, C, \.\.\.\].*got \[6\]/);
    expect(() => groupNorm(zeros([1, 4]), 4)).toThrow(/groupNorm: expected more than 1 value per group.*\[1, 4\].*numGroups=4/);
    expect(() => groupNorm(zeros([2, 4]), 4)).not.toThrow();
  });
});

describe('instanceNorm', () => {
  /** x [N, C, ...spatial] with at least 2 spatial elements, and per-channel tensors. */
  const caseArb = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }))
    .filter(([, , sp]) => sp.reduce((a, b) => a * b, 1) > 1)
    .chain(([n, c, sp]) => fc.tuple(inputArb([n, c, ...sp]), inputArb([c]), inputArb([c])));

  it('standardises each sample\'s channel over its own positions, then weight and bias', () => {
    fc.assert(
      fc.property(caseArb, ([xi, wi, bi]) => {
        const x = xi.view();
        const [n, c] = x.shape as [number, number];
        const per = x.numel() / (n * c);
        const xv = x.dataSync();
        const [wv, bv] = [wi.view().dataSync(), bi.view().dataSync()];
        const expected = Array.from(xv, (_, k) => {
          const start = Math.floor(k / per) * per;
          const group = Array.from(xv.subarray(start, start + per));
          const m = group.reduce((a, b) => a + b, 0) / per;
          const v = group.reduce((a, b) => a + (b - m) ** 2, 0) / per;
          const ch = Math.floor(k / per) % c;
          return ((xv[k]! - m) / Math.sqrt(v + 1e-5)) * wv[ch]! + bv[ch]!;
        });
        expectClose(instanceNorm(x, null, null, wi.view(), bi.view()).dataSync(), expected, { rtol: 1e-10, atol: 1e-10 });
      }),
      runs(),
    );
  });

  it('passes gradcheck and gradgradcheck (x, weight, bias)', () => {
    fc.assert(
      fc.property(caseArb, ([xi, wi, bi]) => {
        checkGradients((x, w, b) => instanceNorm(xi.view(x), null, null, wi.view(w), bi.view(b)), [xi.leaf, wi.leaf, bi.leaf], { second: true });
      }),
      runs(0.5),
    );
  });

  it('moves running statistics towards the batch mean of the instance statistics; eval uses them', () => {
    const x = tensor([[[1, 3]], [[2, 6]]], { dtype: 'float64' }); // [N=2, C=1, 2]
    const rm = zeros([1], { dtype: 'float64' });
    const rv = ones([1], { dtype: 'float64' });
    instanceNorm(x, rm, rv, null, null, true, 0.5);
    // Instance means 2 and 4 (mean 3); unbiased variances 2 and 8 (mean 5).
    expect(Array.from(rm.dataSync())).toEqual([1.5]);
    expect(Array.from(rv.dataSync())).toEqual([3]);
    const y = instanceNorm(x, rm, rv, null, null, false);
    expectClose(y.dataSync(), [1, 3, 2, 6].map((v) => (v - 1.5) / Math.sqrt(3 + 1e-5)), { rtol: 1e-14, atol: 1e-14 });
    expect(() => instanceNorm(tensor([[1, 2]]))).toThrow(/instanceNorm: expects x of shape \[N, C, ...\] with at least one spatial dim, got \[1, 2\]/);
    expect(() => instanceNorm(zeros([2, 3, 1]))).toThrow(/instanceNorm: expected more than 1 spatial element/);
    expect(() => instanceNorm(zeros([2, 3, 2]), null, null, null, null, false)).toThrow(/runningMean and runningVar must be given/);
    expect(() => instanceNorm(zeros([2, 3, 2]), zeros([2]))).toThrow(/instanceNorm: runningMean/);
  });
});
