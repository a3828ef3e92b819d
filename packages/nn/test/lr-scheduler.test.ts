/**
 * Learning-rate schedules: the sequences PyTorch documents, the closed forms against PyTorch's
 * recursive ("chainable") forms written out in JS, SequentialLR's switching, state dicts and
 * errors.
 */
import { tensor, type Tensor } from '@dynconv/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectClose, runs } from '@dynconv/testing';
import { Adam, ConstantLR, OneCycleLR, ReduceLROnPlateau, CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR, LambdaLR, LinearLR, PolynomialLR, type LRScheduler, type LRSchedulerStateDict, MultiStepLR, type OptimizerStateDict, SGD, SequentialLR, StepLR } from '../src/index.js';

const param = (): Tensor => tensor([1], { dtype: 'float64' }).detach().requiresGrad_();
const sgd = (...lrs: number[]): SGD => new SGD(lrs.map((lr) => ({ params: [param()], lr })));

/** The lr of group `group` at epoch 0 (set by the constructor) and after each of `steps` steps. */
function lrs(s: LRScheduler, steps: number, group = 0): number[] {
  const out = [s.optimizer.paramGroups[group]!.lr];
  for (let k = 0; k < steps; k++) {
    s.step();
    out.push(s.optimizer.paramGroups[group]!.lr);
  }
  return out;
}

describe('documented sequences', () => {
  it('StepLR(stepSize 2, gamma 0.5) from lr 1: 1, 1, 0.5, 0.5, 0.25...', () => {
    expect(lrs(new StepLR(sgd(1), 2, { gamma: 0.5 }), 7)).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]);
  });

  it("StepLR, PyTorch's example: lr 0.05, stepSize 30, gamma 0.1", () => {
    const got = lrs(new StepLR(sgd(0.05), 30), 95);
    const want = got.map((_, e) => (e < 30 ? 0.05 : e < 60 ? 0.005 : e < 90 ? 0.0005 : 0.00005));
    expectClose(got, want, { rtol: 1e-15, atol: 0 });
  });

  it("MultiStepLR, PyTorch's example: lr 0.05, milestones [30, 80], gamma 0.1", () => {
    const got = lrs(new MultiStepLR(sgd(0.05), [30, 80]), 100);
    expectClose(got, got.map((_, e) => (e < 30 ? 0.05 : e < 80 ? 0.005 : 0.0005)), { rtol: 1e-15, atol: 0 });
  });

  it('MultiStepLR sorts its milestones and decays twice at a repeated one', () => {
    expect(lrs(new MultiStepLR(sgd(1), [4, 2, 2], { gamma: 0.5 }), 5)).toEqual([1, 1, 0.25, 0.25, 0.125, 0.125]);
  });

  it("LinearLR, PyTorch's example: lr 0.05, startFactor 0.5, totalIters 4", () => {
    expectClose(lrs(new LinearLR(sgd(0.05), { startFactor: 0.5, totalIters: 4 }), 6), [0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05, 0.05], { rtol: 1e-15, atol: 0 });
  });

  it('LinearLR defaults: a warmup from lr/3 to lr over 5 epochs', () => {
    expectClose(lrs(new LinearLR(sgd(0.3)), 6), [0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3], { rtol: 1e-14, atol: 0 });
  });

  it('CosineAnnealingLR: baseLr at 0, the midpoint at tMax/2, etaMin at tMax, back to baseLr at 2 tMax', () => {
    const got = lrs(new CosineAnnealingLR(sgd(0.1), 10, { etaMin: 0.001 }), 20);
    expect(got[0]).toBe(0.1);
    expect(got[5]).toBeCloseTo((0.1 + 0.001) / 2, 15);
    expect(got[10]).toBeCloseTo(0.001, 15);
    expect(got[20]).toBeCloseTo(0.1, 15);
    // Monotone on the way down.
    for (let e = 1; e <= 10; e++) expect(got[e]).toBeLessThan(got[e - 1]!);
  });

  it('CosineAnnealingLR defaults to etaMin 0', () => {
    expect(lrs(new CosineAnnealingLR(sgd(1), 4), 4)[4]).toBeCloseTo(0, 15);
  });
});

// ---- closed forms against PyTorch's recursive forms --------------------------------------------

/** Python's `%`: the result has the divisor's sign. */
const pyMod = (a: number, m: number): number => ((a % m) + m) % m;

/** PyTorch's chainable `get_lr` recursions, run from the base lr. */
const recursive = {
  step(base: number, epochs: number, stepSize: number, gamma: number): number[] {
    const out = [base];
    for (let e = 1; e <= epochs; e++) out.push(e % stepSize === 0 ? out[e - 1]! * gamma : out[e - 1]!);
    return out;
  },
  linear(base: number, epochs: number, start: number, end: number, total: number): number[] {
    const out = [base * start];
    for (let e = 1; e <= epochs; e++) {
      const lr = out[e - 1]!;
      out.push(e > total ? lr : lr * (1 + (end - start) / (total * start + (e - 1) * (end - start))));
    }
    return out;
  },
  cosine(base: number, epochs: number, tMax: number, etaMin: number): number[] {
    const out = [base];
    for (let e = 1; e <= epochs; e++) {
      const lr = out[e - 1]!;
      if (pyMod(e - 1 - tMax, 2 * tMax) === 0) out.push(lr + ((base - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
      else out.push(((1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax))) * (lr - etaMin) + etaMin);
    }
    return out;
  },
};

describe('closed forms agree with PyTorch’s recursive forms', () => {
  const base = fc.double({ min: 1e-4, max: 1, noNaN: true });

  it('StepLR', () => {
    fc.assert(
      fc.property(base, fc.integer({ min: 1, max: 5 }), fc.double({ min: 0.1, max: 1, noNaN: true }), (b, stepSize, gamma) => {
        const n = 4 * stepSize;
        expectClose(lrs(new StepLR(sgd(b), stepSize, { gamma }), n), recursive.step(b, n, stepSize, gamma), { rtol: 1e-13, atol: 0 });
      }),
      runs(),
    );
  });

  it('LinearLR', () => {
    fc.assert(
      fc.property(base, fc.double({ min: 0.01, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 10 }), (b, start, end, total) => {
        const n = total + 3;
        expectClose(lrs(new LinearLR(sgd(b), { startFactor: start, endFactor: end, totalIters: total }), n), recursive.linear(b, n, start, end, total), { rtol: 1e-12, atol: 1e-15 });
      }),
      runs(),
    );
  });

  it('CosineAnnealingLR, over three periods', () => {
    fc.assert(
      fc.property(base, fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 20 }), (b, etaMin, tMax) => {
        const n = 3 * tMax;
        const scale = Math.max(b, etaMin);
        expectClose(lrs(new CosineAnnealingLR(sgd(b), tMax, { etaMin }), n), recursive.cosine(b, n, tMax, etaMin), { rtol: 0, atol: 1e-12 * scale });
      }),
      runs(),
    );
  });
});

// ---- SequentialLR ---------------------------------------------------------------------------------

describe('SequentialLR', () => {
  it("PyTorch's example (constant 0.1 warmup for 2 epochs, then decay by 0.9): each schedule starts at its own epoch 0", () => {
    const opt = sgd(1);
    const warm = new LinearLR(opt, { startFactor: 0.1, endFactor: 0.1, totalIters: 2 });
    const decay = new StepLR(opt, 1, { gamma: 0.9 });
    const s = new SequentialLR(opt, [warm, decay], [2]);
    expectClose(lrs(s, 5), [0.1, 0.1, 1, 0.9, 0.81, 0.729], { rtol: 1e-15, atol: 0 });
    expect(decay.lastEpoch).toBe(3);
  });

  it('linear warmup then cosine annealing', () => {
    const opt = sgd(0.1);
    const s = new SequentialLR(opt, [new LinearLR(opt, { startFactor: 0.25, totalIters: 3 }), new CosineAnnealingLR(opt, 4)], [3]);
    const cos = (e: number) => (0.1 * (1 + Math.cos((Math.PI * e) / 4))) / 2;
    expectClose(lrs(s, 7), [0.025, 0.05, 0.075, cos(0), cos(1), cos(2), cos(3), cos(4)], { rtol: 1e-15, atol: 1e-17 });
  });

  it('three schedules, two milestones, two groups', () => {
    const opt = sgd(1, 0.5);
    const s = new SequentialLR(opt, [new LinearLR(opt, { startFactor: 0.5, totalIters: 2 }), new StepLR(opt, 10), new MultiStepLR(opt, [1], { gamma: 0.5 })], [2, 4]);
    const want = [0.5, 0.75, 1, 1, 1, 0.5, 0.5];
    expectClose(lrs(s, 6), want, { rtol: 1e-15, atol: 0 });
    expect(s.getLastLr()).toEqual([0.5, 0.25]);
    expect(opt.paramGroups[1]!.lr).toBe(0.25);
  });

  it('rejects schedules of another optimizer and milestones that do not fit', () => {
    const opt = sgd(1);
    const a = new StepLR(opt, 1);
    const b = new StepLR(opt, 1);
    expect(() => new SequentialLR(opt, [a, new StepLR(sgd(1), 1)], [2])).toThrow('SequentialLR: schedulers[1] (StepLR) drives a different optimizer than the one given');
    expect(() => new SequentialLR(opt, [a, b], [])).toThrow('SequentialLR: invalid milestones: expected 1 increasing positive integers (one fewer than the schedulers), got []');
    expect(() => new SequentialLR(opt, [a, b, a], [3, 2])).toThrow('SequentialLR: invalid milestones');
    expect(() => new SequentialLR(opt, [], [])).toThrow('SequentialLR: expected a non-empty array of schedulers');
    expect(() => new SequentialLR(opt, [a, {} as LRScheduler], [1])).toThrow('SequentialLR: schedulers[1] must be an LRScheduler');
  });
});

// ---- base behaviour ----------------------------------------------------------------------------

describe('LRScheduler', () => {
  it('records each group’s base lr in initialLr; a later scheduler counts from it too', () => {
    const opt = sgd(1, 0.1);
    const first = new StepLR(opt, 1, { gamma: 0.5 });
    first.step();
    expect(opt.paramGroups.map((g) => [g.lr, g.initialLr])).toEqual([
      [0.5, 1],
      [0.05, 0.1],
    ]);
    const second = new LinearLR(opt, { startFactor: 0.5 });
    expect(second.baseLrs).toEqual([1, 0.1]);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.5, 0.05]);
  });

  it('getLastLr is what the last step wrote', () => {
    const opt = sgd(0.2, 0.4);
    const s = new CosineAnnealingLR(opt, 3);
    for (let k = 0; k < 4; k++) {
      expect(s.getLastLr()).toEqual(opt.paramGroups.map((g) => g.lr));
      s.step();
    }
  });

  it('drives the optimizer: SGD steps with the scheduled lr', () => {
    const p = param();
    const opt = new SGD([p], { lr: 1 });
    const s = new StepLR(opt, 1, { gamma: 0.5 });
    for (let k = 0; k < 3; k++) {
      p.grad = tensor([1], { dtype: 'float64' });
      opt.step();
      s.step();
    }
    expect(p.item()).toBe(1 - 1 - 0.5 - 0.25);
  });

  it('refuses to step when the optimizer gained a group', () => {
    const opt = sgd(1);
    const s = new StepLR(opt, 1);
    opt.addParamGroup({ params: [param()] });
    expect(() => s.step()).toThrow('StepLR.step: the optimizer has 2 parameter groups but the schedule was built for 1');
  });

  it.each([
    ['StepLR: invalid stepSize: expected a positive integer, got 0', () => new StepLR(sgd(1), 0)],
    ['StepLR: invalid stepSize: expected a positive integer, got 1.5', () => new StepLR(sgd(1), 1.5)],
    ['StepLR: invalid gamma: expected a finite number >= 0, got -0.1', () => new StepLR(sgd(1), 1, { gamma: -0.1 })],
    ['MultiStepLR: invalid milestones: expected an array of integers >= 0, got [1,-2]', () => new MultiStepLR(sgd(1), [1, -2])],
    ['LinearLR: invalid startFactor: expected a number in (0, 1], got 0', () => new LinearLR(sgd(1), { startFactor: 0 })],
    ['LinearLR: invalid endFactor: expected a number in [0, 1], got 1.5', () => new LinearLR(sgd(1), { endFactor: 1.5 })],
    ['LinearLR: invalid totalIters: expected a positive integer, got 0', () => new LinearLR(sgd(1), { totalIters: 0 })],
    ['CosineAnnealingLR: invalid tMax: expected a positive integer, got 0', () => new CosineAnnealingLR(sgd(1), 0)],
    ['CosineAnnealingLR: invalid etaMin: expected a finite number, got NaN', () => new CosineAnnealingLR(sgd(1), 5, { etaMin: NaN })],
    ['StepLR: expected an Optimizer, got {}', () => new StepLR({} as SGD, 1)],
  ] as const)('%s', (message, thunk) => {
    expect(thunk).toThrow(message);
  });
});

// ---- state dicts -----------------------------------------------------------------------------------

describe('stateDict / loadStateDict', () => {
  type Build = (opt: SGD) => LRScheduler;
  const builds: [string, Build][] = [
    ['StepLR', (o) => new StepLR(o, 2, { gamma: 0.5 })],
    ['MultiStepLR', (o) => new MultiStepLR(o, [1, 4], { gamma: 0.3 })],
    ['LinearLR', (o) => new LinearLR(o, { startFactor: 0.2, totalIters: 4 })],
    ['CosineAnnealingLR', (o) => new CosineAnnealingLR(o, 5, { etaMin: 0.01 })],
    ['SequentialLR', (o) => new SequentialLR(o, [new LinearLR(o, { totalIters: 2 }), new CosineAnnealingLR(o, 4)], [3])],
  ];

  it.each(builds)('%s: resumed after 4 steps, the next 5 lrs are the uninterrupted ones', (_, build) => {
    const uninterrupted = build(sgd(0.1, 0.02));
    const straight = lrs(uninterrupted, 9);

    const opt = sgd(0.1, 0.02);
    const s = build(opt);
    lrs(s, 4);
    const saved = JSON.parse(JSON.stringify({ opt: opt.stateDict(), sched: s.stateDict() })) as { opt: OptimizerStateDict; sched: LRSchedulerStateDict };

    const opt2 = sgd(7, 7);
    const s2 = build(opt2);
    opt2.loadStateDict(saved.opt);
    s2.loadStateDict(saved.sched);
    expect(opt2.paramGroups[0]!.lr).toBe(straight[4]);
    expect(s2.getLastLr()[0]).toBe(straight[4]);
    expect(lrs(s2, 5)).toEqual(straight.slice(4));
    expect(s2.stateDict()).toEqual(uninterrupted.stateDict());
  });

  it('holds the position, the base lrs and the hyperparameters', () => {
    const s = new StepLR(sgd(0.5), 3, { gamma: 0.2 });
    s.step();
    expect(s.stateDict()).toEqual({ type: 'StepLR', lastEpoch: 1, baseLrs: [0.5], stepSize: 3, gamma: 0.2 });
  });

  it('rejects dicts that do not fit, changing nothing', () => {
    const s = new StepLR(sgd(1), 2);
    const good = s.stateDict();
    expect(() => s.loadStateDict(new LinearLR(sgd(1)).stateDict())).toThrow('StepLR.loadStateDict: the state dict is of a "LinearLR", not a StepLR');
    expect(() => s.loadStateDict({ ...good, baseLrs: [1, 2] })).toThrow('StepLR.loadStateDict: invalid baseLrs: expected an array of 1 learning rates (one per parameter group), each a finite number in [0, 3.4e38], got [1,2]');
    expect(() => s.loadStateDict({ ...good, lastEpoch: 1.5 })).toThrow('StepLR.loadStateDict: invalid lastEpoch');
    expect(() => s.loadStateDict({ ...good, stepSize: 0 })).toThrow('StepLR.loadStateDict: invalid stepSize: expected a positive integer, got 0');
    const opt = sgd(1);
    const seq = new SequentialLR(opt, [new StepLR(opt, 1), new StepLR(opt, 2)], [2]);
    seq.step();
    const before = JSON.stringify(seq.stateDict());
    const broken = JSON.parse(before) as LRSchedulerStateDict & { schedulers: LRSchedulerStateDict[] };
    broken.schedulers[0]!.lastEpoch = 5;
    broken.schedulers[1]!.gamma = -1;
    expect(() => seq.loadStateDict(broken)).toThrow('StepLR.loadStateDict: invalid gamma');
    expect(JSON.stringify(seq.stateDict())).toBe(before);
  });
});

describe('ExponentialLR, ConstantLR, PolynomialLR, LambdaLR, CosineAnnealingWarmRestarts', () => {
  it('ExponentialLR(0.5) from lr 1: 1, 0.5, 0.25...', () => {
    expect(lrs(new ExponentialLR(sgd(1), 0.5), 4)).toEqual([1, 0.5, 0.25, 0.125, 0.0625]);
  });

  it("ConstantLR, PyTorch's example: lr 0.05, factor 0.5, totalIters 4", () => {
    expect(lrs(new ConstantLR(sgd(0.05), { factor: 0.5, totalIters: 4 }), 5)).toEqual([0.025, 0.025, 0.025, 0.025, 0.05, 0.05]);
  });

  it("PolynomialLR, PyTorch's example: lr 0.001, totalIters 4, power 1", () => {
    expectClose(lrs(new PolynomialLR(sgd(0.001), { totalIters: 4 }), 5), [0.001, 0.00075, 0.0005, 0.00025, 0, 0], { rtol: 1e-15, atol: 1e-18 });
    expectClose(lrs(new PolynomialLR(sgd(1), { totalIters: 2, power: 2 }), 2), [1, 0.25, 0], { rtol: 1e-15, atol: 0 });
  });

  it('LambdaLR: one function for all groups, or one per group', () => {
    expect(lrs(new LambdaLR(sgd(2), (e) => 1 / (e + 1)), 3)).toEqual([2, 1, 2 / 3, 0.5]);
    const s = new LambdaLR(sgd(1, 10), [(e) => e + 1, (e) => 0.5 ** e]);
    s.step();
    expect(s.getLastLr()).toEqual([2, 5]);
    expect(() => new LambdaLR(sgd(1, 2), [(e) => e])).toThrow(/LambdaLR: lrLambda must be a function or an array of 2 functions/);
    expect(() => new LambdaLR(sgd(1), () => Number.NaN)).toThrow(/LambdaLR: lrLambda of group 0 returned NaN at epoch 0/);
  });

  it('CosineAnnealingWarmRestarts: restarts after t0, then after t0 * tMult, ...', () => {
    const got = lrs(new CosineAnnealingWarmRestarts(sgd(1), 2, { tMult: 2 }), 8);
    // Periods of 2, 4, 8 epochs: positions 0 1 | 0 1 2 3 | 0 1 2.
    const cos = (t: number, T: number) => (1 + Math.cos((Math.PI * t) / T)) / 2;
    expectClose(got, [cos(0, 2), cos(1, 2), cos(0, 4), cos(1, 4), cos(2, 4), cos(3, 4), cos(0, 8), cos(1, 8), cos(2, 8)], { rtol: 1e-15, atol: 1e-16 });
    const flat = lrs(new CosineAnnealingWarmRestarts(sgd(1), 3, { etaMin: 0.1 }), 6);
    expectClose(flat.slice(3, 6), flat.slice(0, 3), { rtol: 1e-15, atol: 0 });
    expect(flat[0]).toBe(1);
    expect(() => new CosineAnnealingWarmRestarts(sgd(1), 2, { tMult: 1.5 })).toThrow(/CosineAnnealingWarmRestarts.*tMult/);
  });

  it('refuse bad hyperparameters, naming the scheduler', () => {
    expect(() => new ExponentialLR(sgd(1), -1)).toThrow(/ExponentialLR.*gamma/);
    expect(() => new ConstantLR(sgd(1), { factor: 2 })).toThrow(/ConstantLR.*factor/);
    expect(() => new PolynomialLR(sgd(1), { totalIters: 0 })).toThrow(/PolynomialLR.*totalIters/);
  });
});

describe('OneCycleLR', () => {
  it('linear, two phases: maxLr/div up to maxLr over pctStart of the steps, then down to start/finalDiv; momentum the other way', () => {
    const s = new OneCycleLR(new SGD([param()], { lr: 123 }), 1, 10, { annealStrategy: 'linear', pctStart: 0.3, divFactor: 10, finalDivFactor: 100 });
    const got = lrs(s, 9);
    // Phase 1 ends at step 0.3 * 10 - 1 = 2: 0.1 -> 1; phase 2 from step 2 to 9: 1 -> 0.001.
    const want = [0.1, 0.55, 1, ...[1, 2, 3, 4, 5, 6, 7].map((k) => 1 + ((0.001 - 1) * k) / 7)];
    expectClose(got, want, { rtol: 1e-12, atol: 1e-15 });
    expect(s.optimizer.paramGroups[0]!.initialLr).toBe(0.1);
    // Back at maxMomentum at the last step (9); step 10 is allowed, as in PyTorch, step 11 is not.
    expectClose([(s.optimizer.paramGroups[0] as unknown as { momentum: number }).momentum], [0.95], { rtol: 1e-12, atol: 0 });
    s.step();
    expect(() => s.step()).toThrow(/OneCycleLR: stepped 11 times, more than totalSteps \(10\)/);
  });

  it('drives Adam\'s beta1 and refuses bad options', () => {
    const adam = new Adam([param()], { lr: 1 });
    const s = new OneCycleLR(adam, 0.5, 4, { cycleMomentum: true });
    expect(adam.paramGroups[0]!.betas[0]).toBe(0.95);
    s.step();
    expect(adam.paramGroups[0]!.betas[0]).toBeLessThan(0.95);
    expect(adam.paramGroups[0]!.betas[1]).toBe(0.999);
    expect(() => new OneCycleLR(sgd(1), 1, 0)).toThrow(/OneCycleLR.*totalSteps/);
    expect(() => new OneCycleLR(sgd(1, 2), [1], 5)).toThrow(/OneCycleLR: maxLr must be a positive number or one per parameter group \(2\)/);
    expect(() => new OneCycleLR(sgd(1), 1, 5, { annealStrategy: 'step' as 'cos' })).toThrow(/annealStrategy must be 'cos' or 'linear'/);
  });
});

describe('ReduceLROnPlateau', () => {
  it('cuts after more than patience epochs without improvement, then waits out the cooldown', () => {
    const s = new ReduceLROnPlateau(sgd(1), { patience: 1, factor: 0.5, cooldown: 1 });
    const seen = [5, 4, 4, 4, 4, 4, 4].map((m) => {
      s.step(m);
      return s.getLastLr()[0];
    });
    // Bad epochs: 3rd (1), 4th (2 > 1: cut, cooldown 1), 5th (cooldown), 6th (1), 7th (2: cut).
    expect(seen).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25]);
  });

  it('mode max, absolute threshold, a floor per group; refuses bad options', () => {
    const s = new ReduceLROnPlateau(sgd(1, 0.1), { mode: 'max', threshold: 1, thresholdMode: 'abs', patience: 0, minLr: [0.2, 0] });
    s.step(1);
    s.step(1.5); // not better by 1: a bad epoch, cut
    expect(s.getLastLr()).toEqual([0.2, 0.010000000000000002]);
    s.step(3);
    expect(s.best).toBe(3);
    expect(() => new ReduceLROnPlateau(sgd(1), { factor: 1 })).toThrow(/ReduceLROnPlateau: factor must be a number in \[0, 1\), got 1/);
    expect(() => new ReduceLROnPlateau(sgd(1), { mode: 'up' as 'min' })).toThrow(/mode must be 'min' or 'max'/);
    expect(() => s.step(Number.NaN)).toThrow(/ReduceLROnPlateau.step: metric must be a number/);
  });
});
