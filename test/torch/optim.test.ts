/**
 * Optimizers (10-step trajectories on sum(a p^2) + sum(b sin p), every option, two parameter
 * groups), learning-rate schedules (30 epochs) and gradient clipping vs PyTorch.
 */
import { type Tensor, sin, sum } from '@dynconv/core';
import * as nn from '@dynconv/nn';
import { expect, it } from 'vitest';
import { FLOAT64_RTOL, ParitySummary, relativeError } from './compare.js';
import { decode, describeTorch, type EncodedTensor } from './harness.js';

type Options = Record<string, any>;

function makeOptimizer(name: string, groups: nn.ParamGroupInput[], o: Options): nn.Optimizer<nn.BaseOptions> {
  switch (name) {
    case 'SGD':
      return new nn.SGD(groups, o);
    case 'Adam':
      return new nn.Adam(groups, o);
    case 'AdamW':
      return new nn.AdamW(groups, o);
    case 'RMSprop':
      return new nn.RMSprop(groups, o);
  }
  throw new Error(`no dynconv optimizer for generated ${name}`);
}

/** LambdaLR's functions, as gen_optim.py's LAMBDAS. */
const LAMBDAS: Record<string, nn.LrLambda> = {
  pow: (e) => 0.95 ** e,
  inverse: (e) => 1 / (e + 1),
  warmup: (e) => Math.min(1, (e + 1) / 5),
};

function makeScheduler(name: string, opt: nn.Optimizer<nn.BaseOptions>, o: Options): nn.LRScheduler {
  switch (name) {
    case 'StepLR':
      return new nn.StepLR(opt, o.stepSize, { gamma: o.gamma });
    case 'MultiStepLR':
      return new nn.MultiStepLR(opt, o.milestones, { gamma: o.gamma });
    case 'CosineAnnealingLR':
      return new nn.CosineAnnealingLR(opt, o.tMax, { etaMin: o.etaMin });
    case 'LinearLR':
      return new nn.LinearLR(opt, o);
    case 'ExponentialLR':
      return new nn.ExponentialLR(opt, o.gamma);
    case 'ConstantLR':
      return new nn.ConstantLR(opt, o);
    case 'PolynomialLR':
      return new nn.PolynomialLR(opt, o);
    case 'LambdaLR':
      return new nn.LambdaLR(opt, LAMBDAS[o.lambda as string]!);
    case 'CosineAnnealingWarmRestarts':
      return new nn.CosineAnnealingWarmRestarts(opt, o.t0, { tMult: o.tMult, etaMin: o.etaMin });
    case 'OneCycleLR':
      return new nn.OneCycleLR(opt, o.maxLr, o.totalSteps, o);
    case 'SequentialLR':
      return new nn.SequentialLR(opt, [new nn.LinearLR(opt, { ...o.warmup, endFactor: 1 }), new nn.CosineAnnealingLR(opt, o.cosine.tMax, { etaMin: o.cosine.etaMin })], o.milestones);
  }
  throw new Error(`no dynconv scheduler for generated ${name}`);
}

/** Largest relative error of a list of numbers (the same measure as for tensors). */
function numbersError(got: readonly number[], want: readonly number[]): number {
  expect(got.length).toBe(want.length);
  const scale = Math.max(1, ...want.map(Math.abs));
  return Math.max(0, ...got.map((g, i) => Math.abs(g - want[i]!) / (Math.abs(want[i]!) + scale / 10)));
}

describeTorch('PyTorch parity: optimizers, schedulers, clipping', 'optim', ({ cases }) => {
  const summary = new ParitySummary('optim');
  cases.forEach((c, i) => {
    it(`${c.family} ${c.op} #${i} ${JSON.stringify(c.options)}`, () => {
      let err = 0;
      if (c.kind === 'optimizer') {
        const params = (c.params as EncodedTensor[]).map((p) => decode(p, { requiresGrad: true }));
        const coeffs = (c.coeffs as EncodedTensor[][]).map(([a, b]) => [decode(a!), decode(b!)] as const);
        const opt = makeOptimizer(c.op, [{ params: [params[0]!] }, { params: [params[1]!], lr: c.groupLr as number }], c.options as Options);
        (c.trajectory as EncodedTensor[][]).forEach((want, step) => {
          opt.zeroGrad();
          const loss = params.map((p, j) => sum(coeffs[j]![0].mul(p).mul(p)).add(sum(coeffs[j]![1].mul(sin(p))))).reduce((a, b) => a.add(b));
          loss.backward();
          opt.step();
          want.forEach((w, j) => {
            const e = relativeError(params[j]!, w, undefined, `step ${step + 1}, param ${j}`);
            expect(e, `step ${step + 1}, param ${j}: relative error ${e}`).toBeLessThanOrEqual(FLOAT64_RTOL);
            err = Math.max(err, e);
          });
        });
      } else if (c.kind === 'scheduler') {
        const p = decode({ dtype: 'float64', shape: [1], b64: Buffer.alloc(8).toString('base64') }, { requiresGrad: true });
        const opt = c.optimizer === 'Adam' ? new nn.Adam([p], { lr: c.baseLr as number }) : new nn.SGD([p], { lr: c.baseLr as number });
        const sched = makeScheduler(c.op, opt, c.options as Options);
        const group = opt.paramGroups[0] as unknown as { momentum?: number; betas?: number[] };
        const momentum = () => (c.optimizer === 'Adam' ? group.betas![0]! : group.momentum!);
        const lrs = [sched.getLastLr()[0]!];
        const momenta = [momentum()];
        for (let e = 0; e < (c.lrs as number[]).length - 1; e++) {
          opt.step();
          sched.step();
          lrs.push(sched.getLastLr()[0]!);
          momenta.push(momentum());
        }
        err = Math.max(numbersError(lrs, c.lrs as number[]), numbersError(momenta, c.momenta as number[]));
        expect(numbersError(lrs, c.lrs as number[]), `learning rates ${JSON.stringify(lrs)} vs PyTorch ${JSON.stringify(c.lrs)}`).toBeLessThanOrEqual(1e-12);
        expect(numbersError(momenta, c.momenta as number[]), `momenta ${JSON.stringify(momenta)} vs PyTorch ${JSON.stringify(c.momenta)}`).toBeLessThanOrEqual(1e-12);
      } else if (c.kind === 'plateau') {
        const opt = new nn.SGD([{ params: [decode({ dtype: 'float64', shape: [1], b64: Buffer.alloc(8).toString('base64') })] }, { params: [decode({ dtype: 'float64', shape: [1], b64: Buffer.alloc(8).toString('base64') })], lr: 0.3 }], { lr: 1 });
        const sched = new nn.ReduceLROnPlateau(opt, c.options as Options);
        const want = c.lrs as number[][];
        (c.metrics as number[]).forEach((m, e) => {
          sched.step(m);
          const got = sched.getLastLr();
          expect(got, `epoch ${e + 1} (metric ${m}): lrs ${JSON.stringify(got)} vs PyTorch ${JSON.stringify(want[e])}`).toEqual(want[e]);
        });
      } else {
        const grads = (c.grads as unknown as EncodedTensor[]).map((g) => decode(g));
        const params: Tensor[] = grads.map((g) => g.mul(0).requiresGrad_(true));
        params.forEach((p, j) => {
          p.grad = grads[j]!;
        });
        const o = c.options as Options;
        if (c.op === 'clipGradNorm') {
          const total = nn.clipGradNorm(params, o.maxNorm, o.normType === 'inf' ? Infinity : o.normType);
          err = relativeError(total, (c.result as EncodedTensor[])[0]!, undefined, 'total norm');
        } else nn.clipGradValue(params, o.clipValue);
        (c.clipped as EncodedTensor[]).forEach((want, j) => {
          err = Math.max(err, relativeError(params[j]!.grad!, want, undefined, `grad ${j}`));
        });
        expect(err).toBeLessThanOrEqual(FLOAT64_RTOL);
      }
      summary.record(`${c.family}/${c.op}`, err);
    });
  });
});
