/**
 * Optimizers against independent scalar references: plain JS numbers following the update
 * rules published in PyTorch's torch.optim documentation (pseudo-code), over generated
 * hyper-parameters, gradients and shapes, for every combination of the options that change the
 * rule. Then groups, state dicts (a resumed run continues bit for bit), skipped parameters,
 * dtypes and option validation.
 */
import { Generator, type Tensor, isGradEnabled, manualSeed, mseLoss, noGrad, randn, tensor, zeros } from '@dynconv/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runs, expectClose } from '@dynconv/testing';
import { Adam, AdamW, CosineAnnealingLR, Linear, type OptimizerStateDict, RMSprop, SGD, clipGradNorm } from '../src/index.js';

// ---- scalar references, one element at a time (every rule here is elementwise) ---------------

interface SGDRef { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean; maximize: boolean }
interface AdamRef { lr: number; betas: [number, number]; eps: number; weightDecay: number; amsgrad: boolean; maximize: boolean }
interface RMSpropRef { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean; maximize: boolean }

/** A scalar stepper: next θ from θ and ∇f(θ), keeping its own state. */
type Stepper = (theta: number, grad: number) => number;

/** torch.optim.SGD's documented algorithm. */
function sgdRef(o: SGDRef): Stepper {
  let b: number | null = null;
  return (theta, grad) => {
    let g = o.maximize ? -grad : grad;
    if (o.weightDecay !== 0) g = g + o.weightDecay * theta;
    if (o.momentum !== 0) {
      b = b === null ? g : o.momentum * b + (1 - o.dampening) * g;
      g = o.nesterov ? g + o.momentum * b : b;
    }
    return theta - o.lr * g;
  };
}

/** torch.optim.Adam's documented algorithm, or AdamW's (decoupled weight decay). */
function adamRef(o: AdamRef, decoupled: boolean): Stepper {
  const [b1, b2] = o.betas;
  let t = 0;
  let m = 0;
  let v = 0;
  let vMax = 0;
  return (theta, grad) => {
    t += 1;
    let g = o.maximize ? -grad : grad;
    if (decoupled) theta = theta - o.lr * o.weightDecay * theta;
    else if (o.weightDecay !== 0) g = g + o.weightDecay * theta;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const mHat = m / (1 - b1 ** t);
    let vHat: number;
    if (o.amsgrad) {
      vMax = Math.max(vMax, v);
      vHat = vMax / (1 - b2 ** t);
    } else {
      vHat = v / (1 - b2 ** t);
    }
    return theta - (o.lr * mHat) / (Math.sqrt(vHat) + o.eps);
  };
}

/** torch.optim.RMSprop's documented algorithm. */
function rmspropRef(o: RMSpropRef): Stepper {
  let v = 0;
  let gAvg = 0;
  let b = 0;
  return (theta, grad) => {
    let g = o.maximize ? -grad : grad;
    if (o.weightDecay !== 0) g = g + o.weightDecay * theta;
    v = o.alpha * v + (1 - o.alpha) * g * g;
    let vTilde = v;
    if (o.centered) {
      gAvg = gAvg * o.alpha + (1 - o.alpha) * g;
      vTilde = vTilde - gAvg * gAvg;
    }
    if (o.momentum > 0) {
      b = o.momentum * b + g / (Math.sqrt(vTilde) + o.eps);
      return theta - o.lr * b;
    }
    return theta - (o.lr * g) / (Math.sqrt(vTilde) + o.eps);
  };
}

/** Runs one stepper per element over a sequence of gradients; returns θ after each step. */
function reference(make: () => Stepper, theta0: ArrayLike<number>, grads: readonly ArrayLike<number>[]): number[][] {
  const steppers = Array.from(theta0, () => make());
  let theta = Array.from(theta0);
  return grads.map((g) => (theta = theta.map((x, i) => steppers[i]!(x, g[i]!))));
}

// ---- generated problems ---------------------------------------------------------------------

function normals(n: number, seed: number): Float64Array {
  const g = new Generator(seed);
  return Float64Array.from({ length: n }, () => g.nextNormal());
}

interface Problem {
  shape: number[];
  theta0: Float64Array;
  grads: Float64Array[];
}

const STEPS = 4;
const problemArb: fc.Arbitrary<Problem> = fc
  .tuple(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 3 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }))
  .map(([shape, seed]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return { shape, theta0: normals(n, seed), grads: Array.from({ length: STEPS }, (_, k) => normals(n, seed + 1 + k)) };
  });

const param = (values: ArrayLike<number>, shape: readonly number[], dtype: 'float32' | 'float64' = 'float64'): Tensor =>
  tensor(dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values), { dtype }).reshape([...shape]).detach().requiresGrad_();

const setGrad = (p: Tensor, g: ArrayLike<number>): void => {
  p.grad = tensor(p.dtype === 'float64' ? Float64Array.from(g) : Float32Array.from(g), { dtype: p.dtype }).reshape(p.shape);
};

/** Steps `opt` over the problem's gradients and checks θ against the reference after every step. */
function checkAgainstReference(problem: Problem, build: (p: Tensor) => { step(): unknown }, make: () => Stepper): void {
  const p = param(problem.theta0, problem.shape);
  const opt = build(p);
  const expected = reference(make, problem.theta0, problem.grads);
  problem.grads.forEach((g, k) => {
    setGrad(p, g);
    opt.step();
    expect(p.dtype).toBe('float64');
    expectClose(p.dataSync(), expected[k]!, { rtol: 1e-12, atol: 1e-12 });
  });
}

const lrArb = fc.double({ min: 1e-4, max: 1, noNaN: true });
const on = (arb: fc.Arbitrary<number>, enabled: boolean): fc.Arbitrary<number> => (enabled ? arb : fc.constant(0));
const bools = [false, true];
const label = (o: Record<string, boolean>): string =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${v ? 'on' : 'off'}`)
    .join(', ');

describe('SGD follows the documented update rule', () => {
  const combos: Record<string, boolean>[] = [];
  for (const momentum of bools)
    for (const nesterov of bools)
      for (const dampening of bools)
        for (const weightDecay of bools)
          for (const maximize of bools) if (!nesterov || (momentum && !dampening)) combos.push({ momentum, nesterov, dampening, weightDecay, maximize });

  it.each(combos.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const optsArb = fc.record({
      lr: lrArb,
      momentum: on(fc.double({ min: 0.05, max: 0.99, noNaN: true }), c.momentum!),
      dampening: on(fc.double({ min: 0.05, max: 0.9, noNaN: true }), c.dampening!),
      weightDecay: on(fc.double({ min: 1e-4, max: 0.5, noNaN: true }), c.weightDecay!),
      nesterov: fc.constant(c.nesterov!),
      maximize: fc.constant(c.maximize!),
    });
    fc.assert(
      fc.property(problemArb, optsArb, (problem, o) => {
        checkAgainstReference(problem, (p) => new SGD([p], o), () => sgdRef(o));
      }),
      runs(0.5),
    );
  });
});

const adamOptsArb = (c: Record<string, boolean>) =>
  fc.record({
    lr: lrArb,
    // beta2 >= 0.5: with beta2 near 0 and weight decay the iteration amplifies rounding
    // differences (both sides are right to ~1e-15 per step, yet drift apart by ~1e-12 in 4 steps).
    betas: fc.tuple(fc.double({ min: 0, max: 0.99, noNaN: true }), fc.double({ min: 0.5, max: 0.9999, noNaN: true })),
    eps: fc.double({ min: 1e-10, max: 0.1, noNaN: true }),
    weightDecay: on(fc.double({ min: 1e-4, max: 0.5, noNaN: true }), c.weightDecay!),
    amsgrad: fc.constant(c.amsgrad!),
    maximize: fc.constant(c.maximize!),
  });

const adamCombos: Record<string, boolean>[] = [];
for (const amsgrad of bools) for (const weightDecay of bools) for (const maximize of bools) adamCombos.push({ amsgrad, weightDecay, maximize });

describe('Adam follows the documented update rule', () => {
  it.each(adamCombos.map((c) => [label(c), c] as const))('%s', (_, c) => {
    fc.assert(
      fc.property(problemArb, adamOptsArb(c), (problem, o) => {
        checkAgainstReference(problem, (p) => new Adam([p], o), () => adamRef(o, false));
      }),
      runs(0.5),
    );
  });
});

describe('AdamW follows the documented update rule (decoupled weight decay)', () => {
  it.each(adamCombos.map((c) => [label(c), c] as const))('%s', (_, c) => {
    fc.assert(
      fc.property(problemArb, adamOptsArb(c), (problem, o) => {
        checkAgainstReference(problem, (p) => new AdamW([p], o), () => adamRef(o, true));
      }),
      runs(0.5),
    );
  });
});

describe('RMSprop follows the documented update rule', () => {
  const combos: Record<string, boolean>[] = [];
  for (const centered of bools) for (const momentum of bools) for (const weightDecay of bools) for (const maximize of bools) combos.push({ centered, momentum, weightDecay, maximize });

  it.each(combos.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const optsArb = fc.record({
      lr: lrArb,
      // Kept away from 0 and 1, where centering subtracts nearly equal numbers (as in PyTorch).
      alpha: fc.double({ min: 0.5, max: 0.999, noNaN: true }),
      eps: fc.double({ min: 1e-10, max: 0.1, noNaN: true }),
      weightDecay: on(fc.double({ min: 1e-4, max: 0.5, noNaN: true }), c.weightDecay!),
      momentum: on(fc.double({ min: 0.05, max: 0.99, noNaN: true }), c.momentum!),
      centered: fc.constant(c.centered!),
      maximize: fc.constant(c.maximize!),
    });
    fc.assert(
      fc.property(problemArb, optsArb, (problem, o) => {
        checkAgainstReference(problem, (p) => new RMSprop([p], o), () => rmspropRef(o));
      }),
      runs(0.5),
    );
  });
});

// ---- a fixed problem, gradients through autograd ------------------------------------------------

describe('a fixed problem through backward', () => {
  // f(θ) = Σ c (θ - a)², so ∇f = 2c(θ - a), computed by hand in the reference.
  const theta0 = [0.5, -1.5, 2, 0.25];
  const a = [1, 0, -1, 3];
  const c = [1, 2, 0.5, 0.1];
  const handGrad = (theta: number[]) => theta.map((t, i) => 2 * c[i]! * (t - a[i]!));

  const cases: [string, (p: Tensor) => { step(): unknown; zeroGrad(): void }, () => Stepper][] = [
    ['SGD nesterov', (p) => new SGD([p], { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }), () => sgdRef({ lr: 0.05, momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: true, maximize: false })],
    ['Adam amsgrad', (p) => new Adam([p], { lr: 0.1, amsgrad: true, weightDecay: 0.1 }), () => adamRef({ lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1, amsgrad: true, maximize: false }, false)],
    ['AdamW', (p) => new AdamW([p], { lr: 0.1 }), () => adamRef({ lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: false }, true)],
    ['RMSprop centered', (p) => new RMSprop([p], { lr: 0.01, momentum: 0.5, centered: true }), () => rmspropRef({ lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0.5, centered: true, maximize: false })],
  ];

  it.each(cases)('%s: 8 steps match the reference, and the loss falls', (_, build, make) => {
    const p = param(theta0, [4]);
    const at = tensor(a, { dtype: 'float64' });
    const ct = tensor(c, { dtype: 'float64' });
    const opt = build(p);
    const steppers = theta0.map(() => make());
    let theta = [...theta0];
    const loss = () => ct.mul(p.sub(at).square()).sum();
    const first = loss().item();
    for (let k = 0; k < 8; k++) {
      opt.zeroGrad();
      loss().backward();
      opt.step();
      const g = handGrad(theta);
      theta = theta.map((x, i) => steppers[i]!(x, g[i]!));
      expectClose(p.dataSync(), theta, { rtol: 1e-10, atol: 1e-12 });
    }
    expect(loss().item()).toBeLessThan(first);
  });

  it('SGD with momentum, two steps worked by hand', () => {
    // θ0 = 1, ∇ = 2 both times, lr 0.1, μ 0.9: b1 = 2, θ1 = 0.8; b2 = 0.9·2 + 2 = 3.8, θ2 = 0.8 - 0.38 = 0.42.
    const p = param([1], [1]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    setGrad(p, [2]);
    opt.step();
    expect(p.item()).toBeCloseTo(0.8, 15);
    opt.step();
    expect(p.item()).toBeCloseTo(0.42, 15);
  });

  it('Adam moves each parameter by about lr on its first step', () => {
    // m̂ = g and v̂ = g², so the first update is lr·g/(|g| + eps).
    const p = param([1, -2, 3], [3]);
    const opt = new Adam([p], { lr: 0.01 });
    setGrad(p, [4, -0.5, 1e-3]);
    opt.step();
    expectClose(p.dataSync(), [1 - 0.01 * (4 / (4 + 1e-8)), -2 + 0.01 * (0.5 / (0.5 + 1e-8)), 3 - 0.01 * (1e-3 / (1e-3 + 1e-8))], { rtol: 1e-14, atol: 1e-15 });
  });
});

// ---- groups, skipped parameters, dtypes ---------------------------------------------------------

describe('parameter groups', () => {
  it('each group uses its own options, defaults filling the rest', () => {
    const p1 = param([1, 2], [2]);
    const p2 = param([3], [1]);
    const opt = new SGD([{ params: [p1] }, { params: p2, lr: 0.01, momentum: 0.5 }], { lr: 0.1, weightDecay: 0.1 });
    expect(opt.paramGroups.map(({ params, ...o }) => [params.length, o])).toEqual([
      [1, { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0.1, nesterov: false, maximize: false }],
      [1, { lr: 0.01, momentum: 0.5, dampening: 0, weightDecay: 0.1, nesterov: false, maximize: false }],
    ]);
    const r1 = reference(() => sgdRef({ lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0.1, nesterov: false, maximize: false }), [1, 2], [[0.5, -1], [0.25, 2]]);
    const r2 = reference(() => sgdRef({ lr: 0.01, momentum: 0.5, dampening: 0, weightDecay: 0.1, nesterov: false, maximize: false }), [3], [[1], [-3]]);
    for (const k of [0, 1]) {
      setGrad(p1, [[0.5, -1], [0.25, 2]][k]!);
      setGrad(p2, [[1], [-3]][k]!);
      opt.step();
      expectClose(p1.dataSync(), r1[k]!);
      expectClose(p2.dataSync(), r2[k]!);
    }
  });

  it('addParamGroup adds a group later; a parameter cannot be in two groups', () => {
    const p1 = param([1], [1]);
    const p2 = param([2], [1]);
    const opt = new Adam([p1]);
    opt.addParamGroup({ params: [p2], lr: 0.5 });
    expect(opt.paramGroups[1]!.lr).toBe(0.5);
    expect(opt.paramGroups[1]!.betas).toEqual([0.9, 0.999]);
    expect(() => opt.addParamGroup({ params: [p1] })).toThrow(/Adam: params\[0\] is already in another parameter group/);
  });

  it('options changed between steps take effect (as schedulers do with lr)', () => {
    const p = param([1], [1]);
    const opt = new SGD([p], { lr: 0.1 });
    setGrad(p, [1]);
    opt.step();
    opt.paramGroups[0]!.lr = 0.5;
    opt.step();
    expect(p.item()).toBeCloseTo(1 - 0.1 - 0.5, 15);
  });
});

describe('parameters without a gradient', () => {
  it.each([
    ['SGD', (ps: Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 0.1 })],
    ['Adam', (ps: Tensor[]) => new Adam(ps, { weightDecay: 0.1 })],
    ['AdamW', (ps: Tensor[]) => new AdamW(ps)],
    ['RMSprop', (ps: Tensor[]) => new RMSprop(ps, { momentum: 0.9, centered: true, weightDecay: 0.1 })],
  ] as const)('%s leaves them untouched and keeps no state for them', (_, build) => {
    const a = param([1, 2], [2]);
    const b = param([3, 4], [2]);
    const opt = build([a, b]);
    for (let k = 0; k < 3; k++) {
      setGrad(a, [0.5, -0.5]);
      opt.step();
    }
    expect(Array.from(b.dataSync())).toEqual([3, 4]);
    expect(Array.from(a.dataSync())).not.toEqual([1, 2]);
    expect(opt.state.has(b)).toBe(false);
    expect(Object.keys(opt.stateDict().state)).toEqual(['0']);
  });
});

describe('dtypes and gradients', () => {
  it('float32 parameters are updated in float32, with float32 state', () => {
    const theta0 = [0.5, -1, 2];
    const grads = [[1, 2, -3], [0.5, -0.25, 1]];
    const p = param(theta0, [3], 'float32');
    const opt = new Adam([p], { lr: 0.01, amsgrad: true });
    const r = reference(() => adamRef({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false }, false), theta0, grads);
    grads.forEach((g, k) => {
      setGrad(p, g);
      opt.step();
      expect(p.dtype).toBe('float32');
      expectClose(p.dataSync(), r[k]!, { rtol: 1e-5, atol: 1e-6 });
    });
    const s = opt.state.get(p)!;
    expect([s.expAvg!.dtype, s.expAvgSq!.dtype, s.maxExpAvgSq!.dtype]).toEqual(['float32', 'float32', 'float32']);
    expect(s.step).toBe(2);
  });

  it('a gradient of another dtype is cast to the parameter dtype', () => {
    const p = param([1, 2], [2]);
    p.grad = tensor([0.5, 0.25], { dtype: 'float32' });
    new SGD([p], { lr: 1 }).step();
    expect(p.dtype).toBe('float64');
    expect(Array.from(p.dataSync())).toEqual([0.5, 1.75]);
  });

  it('a gradient of the wrong shape is an error naming the parameter', () => {
    const p = param([1, 2], [2]);
    p.grad = zeros([3], { dtype: 'float64' });
    expect(() => new SGD([p]).step()).toThrow('SGD.step: parameter 0 has shape [2] but its grad has shape [3]');
  });

  it('gradients that require grad (createGraph) are read, not differentiated through', () => {
    const p = param([1, 2], [2]);
    p.square().sum().backward(undefined, { createGraph: true });
    expect(p.grad!.requiresGrad).toBe(true);
    new SGD([p], { lr: 0.25 }).step();
    expect(Array.from(p.dataSync())).toEqual([0.5, 1]);
    expect(p.isLeaf).toBe(true);
  });
});

describe('step, zeroGrad', () => {
  it('step(closure) runs the closure with grad mode on and returns its loss', () => {
    const p = param([3], [1]);
    const opt = new SGD([p], { lr: 0.1 });
    const loss = noGrad(() =>
      opt.step(() => {
        expect(isGradEnabled()).toBe(true);
        opt.zeroGrad();
        const l = p.square().sum();
        l.backward();
        return l.item();
      }),
    );
    expect(loss).toBe(9);
    expect(p.item()).toBeCloseTo(3 - 0.1 * 6, 15);
    expect(opt.step()).toBeUndefined();
  });

  it('zeroGrad() sets gradients to null; zeroGrad(false) to zeros of the same shape and dtype', () => {
    const p = param([1, 2], [2]);
    const q = param([1], [1]);
    const opt = new SGD([p, q]);
    p.mul(q).sum().backward();
    opt.zeroGrad(false);
    expect(Array.from(p.grad!.dataSync())).toEqual([0, 0]);
    expect(p.grad!.dtype).toBe('float64');
    expect(Array.from(q.grad!.dataSync())).toEqual([0]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    expect(q.grad).toBeNull();
  });

  it('zeroGrad(false) never writes into storage the gradient shares with other tensors', () => {
    // backward stores a detached view of the gradient it was given: the seed here.
    const p = param([1, 2], [2]);
    const seed = tensor([5, 7], { dtype: 'float64' });
    p.add(0).backward(seed);
    new SGD([p]).zeroGrad(false);
    expect(Array.from(seed.dataSync())).toEqual([5, 7]);
  });
});

// ---- state dicts ----------------------------------------------------------------------------------

describe('stateDict / loadStateDict', () => {
  type Build = (ps: Tensor[], lr: number) => SGD | Adam | AdamW | RMSprop;
  const builds: [string, Build][] = [
    ['SGD', (ps, lr) => new SGD([{ params: [ps[0]!] }, { params: [ps[1]!, ps[2]!], momentum: 0.5 }], { lr, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
    ['Adam', (ps, lr) => new Adam([{ params: [ps[0]!] }, { params: [ps[1]!, ps[2]!], betas: [0.5, 0.9] }], { lr, amsgrad: true, weightDecay: 0.01 })],
    ['AdamW', (ps, lr) => new AdamW([{ params: [ps[0]!] }, { params: [ps[1]!, ps[2]!], amsgrad: true }], { lr })],
    ['RMSprop', (ps, lr) => new RMSprop([{ params: [ps[0]!] }, { params: [ps[1]!, ps[2]!], centered: true }], { lr, momentum: 0.9 })],
  ];

  const makeParams = (): Tensor[] => [param([0.5, -1, 2, 0.125], [2, 2]), param([1.5, -0.5, 0.25], [3], 'float32'), param([3], [])];
  const gradsAt = (k: number): Float64Array[] => [normals(4, 10 * k), normals(3, 10 * k + 1), normals(1, 10 * k + 2)];
  const run = (opt: { step(): unknown }, ps: Tensor[], from: number, to: number): void => {
    for (let k = from; k < to; k++) {
      ps.forEach((p, i) => (k % 3 === 2 && i === 2 ? (p.grad = null) : setGrad(p, gradsAt(k)[i]!)));
      opt.step();
    }
  };

  it.each(builds)('%s: save after 3 steps, load into a fresh optimizer, 4 more steps == 7 uninterrupted, bit for bit', (_, build) => {
    const straight = makeParams();
    const a = build(straight, 0.05);
    run(a, straight, 0, 7);

    const first = makeParams();
    const b = build(first, 0.05);
    run(b, first, 0, 3);
    const saved = JSON.parse(JSON.stringify(b.stateDict())) as OptimizerStateDict;

    // A fresh process: parameters restored from their values, an optimizer built with another lr.
    const resumed = first.map((p) => param(p.dataSync(), p.shape, p.dtype as 'float32' | 'float64'));
    const c = build(resumed, 123);
    c.loadStateDict(saved);
    expect(c.paramGroups[0]!.lr).toBe(0.05);
    run(c, resumed, 3, 7);

    resumed.forEach((p, i) => expect(p.dataSync()).toEqual(straight[i]!.dataSync()));
    expect(c.stateDict()).toEqual(a.stateDict());
  });

  it.each(builds)("%s: stateDict('tensors') resumes bit for bit too, and the load copies the tensors", (_, build) => {
    const straight = makeParams();
    const a = build(straight, 0.05);
    run(a, straight, 0, 6);
    const first = makeParams();
    const b = build(first, 0.05);
    run(b, first, 0, 3);
    const saved = b.stateDict('tensors');
    const resumed = first.map((p) => param(p.dataSync(), p.shape, p.dtype as 'float32' | 'float64'));
    const c = build(resumed, 123);
    c.loadStateDict(saved);
    // b keeps stepping (its moments change, in place on the fused path): c must not see it.
    run(b, first, 3, 6);
    run(c, resumed, 3, 6);
    resumed.forEach((p, i) => expect(p.dataSync()).toEqual(straight[i]!.dataSync()));
  });

  it('Adam/AdamW refuse loaded state out of range (the issue: step -2^53, expAvgSq -1, lr 1e308), naming field and value, changing nothing', () => {
    // Each edit breaks one field of a valid dict; `says` is what the error must contain.
    type Edit = { edit: (d: OptimizerStateDict) => void; says: string };
    const bad = (v: unknown) => (typeof v === 'number' ? String(v) : JSON.stringify(v));
    const stepArb = fc.oneof(fc.integer({ min: -(2 ** 53) + 1, max: -1 }), fc.constant(-9007199254740992), fc.constant(1.5), fc.constant(NaN), fc.constant('3'), fc.constant(null));
    const lrArb = fc.oneof(fc.double({ min: 3.5e38, max: 1e308, noNaN: true }), fc.double({ max: -Number.MIN_VALUE, noNaN: true }), fc.constant(Infinity), fc.constant(NaN));
    const negArb = fc.oneof(fc.double({ max: -Number.MIN_VALUE, min: -1e30, noNaN: true }), fc.constant(-1));
    const editArb: fc.Arbitrary<Edit> = fc.oneof(
      stepArb.map((v) => ({ edit: (d: OptimizerStateDict) => (d.state['1']!.step = v as number), says: `state 'step' of parameter 1 must be an integer >= 0 (a step count), got ${bad(v)}` })),
      lrArb.map((v) => ({ edit: (d: OptimizerStateDict) => (d.paramGroups[1]!.lr = v), says: `invalid lr: expected a finite number in [0, 3.4e38], got ${bad(v)} (parameter group 1)` })),
      fc.tuple(negArb, fc.integer({ min: 0, max: 3 })).map(([v, i]) => ({
        edit: (d: OptimizerStateDict) => ((d.state['0']!.expAvgSq as { data: unknown[] }).data[i] = v),
        says: `state 'expAvgSq' of parameter 0: element ${i} is ${bad(v)}`,
      })),
      fc.constantFrom(-1, -1e-300, 'x', null).map((v) => ({ edit: (d: OptimizerStateDict) => (d.paramGroups[0]!.eps = v as number), says: `invalid eps: expected a finite number >= 0, got ${bad(v)}` })),
    );
    fc.assert(
      fc.property(fc.constantFrom(1, 2), editArb, (which, { edit, says }) => {
        const ps = makeParams();
        const opt = builds[which]![1](ps, 0.01);
        run(opt, ps, 0, 2);
        const before = JSON.stringify(opt.stateDict());
        const d = JSON.parse(before) as OptimizerStateDict;
        edit(d);
        expect(() => opt.loadStateDict(d)).toThrow(says);
        expect(JSON.stringify(opt.stateDict())).toBe(before);
      }),
      runs(4),
    );
  });

  it('is plain JSON in the PyTorch layout: parameters by index across groups', () => {
    const ps = makeParams();
    const opt = builds[1]![1](ps, 0.01);
    run(opt, ps, 0, 1);
    const d = opt.stateDict();
    expect(d.paramGroups.map((g) => g.params)).toEqual([[0], [1, 2]]);
    expect(d.paramGroups[1]).toMatchObject({ lr: 0.01, betas: [0.5, 0.9], eps: 1e-8, weightDecay: 0.01, amsgrad: true, maximize: false });
    expect(Object.keys(d.state)).toEqual(['0', '1', '2']);
    expect(d.state['1']).toMatchObject({ step: 1, expAvg: { shape: [3], dtype: 'float32' } });
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });

  it('-0 in the state survives JSON; NaN and infinities are refused on load, naming the element', () => {
    const p = param([0, 0, 0, 0], [4]);
    const opt = new SGD([p], { momentum: 0.9 });
    setGrad(p, [1, -0, 2, -0]);
    opt.step();
    const d = JSON.parse(JSON.stringify(opt.stateDict())) as OptimizerStateDict;
    const q = param([0, 0, 0, 0], [4]);
    const opt2 = new SGD([q], { momentum: 0.9 });
    opt2.loadStateDict(d);
    const buf = Array.from(opt2.state.get(q)!.momentumBuffer!.dataSync());
    expect(buf.map((x) => (Object.is(x, -0) ? '-0' : String(x)))).toEqual(['1', '-0', '2', '-0']);
    for (const [i, special] of [[0, 'NaN'], [2, 'Infinity'], [3, '-Infinity']] as const) {
      const broken = JSON.parse(JSON.stringify(opt.stateDict())) as OptimizerStateDict;
      (broken.state['0']!.momentumBuffer as { data: unknown[] }).data[i] = special;
      expect(() => opt2.loadStateDict(broken)).toThrow(`SGD.loadStateDict: state 'momentumBuffer' of parameter 0: element ${i} is ${special}; expected finite values`);
    }
  });

  it('loading does not share anything with the dict or the source optimizer', () => {
    const p = param([1], [1]);
    const opt = new Adam([p]);
    setGrad(p, [1]);
    opt.step();
    const d = opt.stateDict();
    const q = param([1], [1]);
    const opt2 = new Adam([q]);
    opt2.loadStateDict(d);
    (d.paramGroups[0]!.betas as number[])[0] = 0;
    expect(opt2.paramGroups[0]!.betas).toEqual([0.9, 0.999]);
  });

  it('rejects dicts that do not fit, with clear errors, and changes nothing', () => {
    const ps = makeParams();
    const opt = new SGD([{ params: [ps[0]!] }, { params: [ps[1]!, ps[2]!] }], { momentum: 0.9 });
    run(opt, ps, 0, 1);
    const good = opt.stateDict();
    const before = JSON.stringify(good);
    const bad = (edit: (d: OptimizerStateDict) => void): OptimizerStateDict => {
      const d = JSON.parse(before) as OptimizerStateDict;
      edit(d);
      return d;
    };
    const other = new SGD([param([1], [1])]);
    expect(() => other.loadStateDict(good)).toThrow('SGD.loadStateDict: the state dict has 2 parameter groups but this optimizer has 1');
    expect(() => opt.loadStateDict(bad((d) => d.paramGroups[1]!.params.pop()))).toThrow(
      'SGD.loadStateDict: parameter group 1 has 1 parameters in the state dict but 2 in this optimizer',
    );
    expect(() => opt.loadStateDict(bad((d) => ((d.state['0']!.momentumBuffer as { shape: number[] }).shape = [4])))).toThrow(
      "SGD.loadStateDict: state 'momentumBuffer' of parameter 0: has shape [4] but the parameter has shape [2, 2]",
    );
    expect(() => opt.loadStateDict(bad((d) => (d.state['0']!.momentumBuffer as { data: unknown[] }).data.pop()))).toThrow(/data must be an array of 4 values, got 3 values/);
    expect(() => opt.loadStateDict(bad((d) => (d.paramGroups[0]!.lr = -1)))).toThrow('SGD: invalid lr: expected a finite number in [0, 3.4e38], got -1 (parameter group 0)');
    expect(() => opt.loadStateDict(bad((d) => (d.state['7'] = {})))).toThrow('SGD.loadStateDict: the state refers to parameter "7", which no parameter group lists');
    expect(() => opt.loadStateDict(bad((d) => (d.state['0'] = { expAvg: 1 })))).toThrow("SGD.loadStateDict: unknown state 'expAvg' for parameter 0; SGD keeps momentumBuffer");
    expect(() => opt.loadStateDict({} as OptimizerStateDict)).toThrow(/expected an object \{ state, paramGroups \}/);
    // Another optimizer's dict.
    const adam = new Adam([{ params: [ps[0]!] }, { params: [ps[1]!, ps[2]!] }]);
    expect(() => adam.loadStateDict(good)).toThrow(/Adam.loadStateDict: unknown option 'momentum' \(parameter group 0\).*another optimizer's state dict/);
    // Nothing changed on any failure.
    expect(JSON.stringify(opt.stateDict())).toBe(before);
  });
});

// ---- option validation --------------------------------------------------------------------------

describe('bad options and parameters', () => {
  const p = () => param([1], [1]);
  it.each([
    ['SGD: invalid lr: expected a finite number in [0, 3.4e38], got -1', () => new SGD([p()], { lr: -1 })],
    ['SGD: invalid lr: expected a finite number in [0, 3.4e38], got NaN', () => new SGD([p()], { lr: NaN })],
    ['SGD: invalid momentum: expected a finite number >= 0, got -0.1', () => new SGD([p()], { momentum: -0.1 })],
    ['SGD: invalid weightDecay: expected a finite number >= 0, got -1', () => new SGD([p()], { weightDecay: -1 })],
    ['SGD: nesterov requires momentum > 0 and dampening 0, got momentum 0 and dampening 0', () => new SGD([p()], { nesterov: true })],
    ['SGD: nesterov requires momentum > 0 and dampening 0, got momentum 0.9 and dampening 0.1', () => new SGD([p()], { nesterov: true, momentum: 0.9, dampening: 0.1 })],
    ['SGD: nesterov requires momentum > 0 and dampening 0, got momentum 0 and dampening 0 (parameter group 0)', () => new SGD([{ params: [p()], nesterov: true }], { momentum: 0 })],
    ['SGD: invalid maximize: expected true or false, got 1', () => new SGD([p()], { maximize: 1 as unknown as boolean })],
    ["SGD: unknown option 'learningRate'; the options are lr, momentum, dampening, weightDecay, nesterov, maximize", () => new SGD([p()], { learningRate: 0.1 } as never)],
    ['Adam: invalid betas: expected two numbers in [0, 1), like [0.9, 0.999], got [1,0.999]', () => new Adam([p()], { betas: [1, 0.999] })],
    ['Adam: invalid betas: expected two numbers in [0, 1), like [0.9, 0.999], got [0.9,-0.1]', () => new Adam([p()], { betas: [0.9, -0.1] })],
    ['Adam: invalid betas', () => new Adam([p()], { betas: [0.9] as unknown as [number, number] })],
    ['Adam: invalid eps: expected a finite number >= 0, got -1e-8', () => new Adam([p()], { eps: -1e-8 })],
    ['AdamW: invalid lr: expected a finite number in [0, 3.4e38], got -0.001', () => new AdamW([p()], { lr: -0.001 })],
    ['AdamW: invalid weightDecay', () => new AdamW([p()], { weightDecay: -0.01 })],
    ['Adam: invalid amsgrad: expected true or false, got "yes"', () => new Adam([p()], { amsgrad: 'yes' as unknown as boolean })],
    ['RMSprop: invalid alpha: expected a number in [0, 1], got 1.5', () => new RMSprop([p()], { alpha: 1.5 })],
    ['RMSprop: invalid momentum', () => new RMSprop([p()], { momentum: -1 })],
    ['RMSprop: invalid eps', () => new RMSprop([p()], { eps: -1 })],
    ['SGD: got an empty parameter list', () => new SGD([])],
    ['SGD: params must be an iterable of Tensors or of parameter groups { params, ...options }, got a single Tensor (wrap it in an array)', () => new SGD(p() as never)],
    ['SGD: params must be all Tensors or all parameter groups', () => new SGD([1] as never)],
    ['SGD: params[1] appears twice in the same parameter group (parameter group 0)', () => { const t = p(); return new SGD([t, t]); }],
    ['SGD: cannot optimize a non-leaf tensor', () => new SGD([p().mul(2)])],
    ['SGD: can only optimize float32 and float64 tensors, params[0] is int32', () => new SGD([tensor([1, 2], { dtype: 'int32' })])],
    ['SGD: invalid lr: expected a finite number in [0, 3.4e38], got -2 (parameter group 0)', () => new SGD([{ params: [p()], lr: -2 }])],
    ["SGD: unknown option 'mommentum' (parameter group 1)", () => new SGD([{ params: [p()] }, { params: [p()], mommentum: 0.9 } as never])],
    ['SGD: parameter group 0 has no \'params\'', () => new SGD([{ lr: 0.1 } as never])],
  ] as const)('%s', (message, thunk) => {
    expect(thunk).toThrow(message);
  });

  it('defaults are PyTorch\'s', () => {
    const strip = (o: { paramGroups: { params: unknown }[] }) => {
      const { params: _, ...rest } = o.paramGroups[0]!;
      return rest;
    };
    expect(strip(new SGD([param([1], [1])]))).toEqual({ lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false });
    expect(strip(new Adam([param([1], [1])]))).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false });
    expect(strip(new AdamW([param([1], [1])]))).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false });
    expect(strip(new RMSprop([param([1], [1])]))).toEqual({ lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false });
  });
});

describe('with a Module', () => {
  it.each([
    ['SGD', (ps: Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9 })],
    ['Adam', (ps: Tensor[]) => new Adam(ps, { lr: 0.05 })],
    ['AdamW', (ps: Tensor[]) => new AdamW(ps, { lr: 0.05 })],
    ['RMSprop', (ps: Tensor[]) => new RMSprop(ps, { lr: 0.03 })],
  ] as const)('%s fits a linear map from model.parameters(), with a schedule and clipping', (_, build) => {
    manualSeed(0);
    const model = new Linear(3, 2);
    const x = randn([32, 3]);
    const y = x.matmul(tensor([[1, -2], [0.5, 1], [-1, 0.25]])).add(tensor([0.5, -0.5]));
    const opt = build(model.parameters());
    const sched = new CosineAnnealingLR(opt, 60);
    const loss = () => mseLoss(model.forward(x), y);
    const first = loss().item();
    for (let k = 0; k < 60; k++) {
      opt.zeroGrad();
      loss().backward();
      clipGradNorm(model.parameters(), 5);
      opt.step();
      sched.step();
    }
    expect(loss().item()).toBeLessThan(first * 0.05);
    expect(model.weight.dtype).toBe('float32');
  });
});
