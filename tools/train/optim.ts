/**
 * The optimizer and the learning-rate schedule of a run, built from its arguments. A resumed run
 * builds the same objects and then loads their saved state into them.
 */
import type { Tensor } from '@dynconv/core';
import { AdamW, Adam, CosineAnnealingLR, LinearLR, type LRScheduler, type Module, MultiStepLR, type Optimizer, SGD, SequentialLR } from '@dynconv/nn';
import type { TrainArgs } from './args.js';

/**
 * The optimizer of a run. Weight decay applies to conv and linear weights only: decaying
 * BatchNorm scales and biases toward zero only hurts.
 */
export function buildOptimizer(model: Module<never[], unknown>, args: Pick<TrainArgs, 'optimizer' | 'lr' | 'weightDecay' | 'momentum'>): Optimizer {
  const decay: Tensor[] = [];
  const noDecay: Tensor[] = [];
  for (const [, p] of model.namedParameters()) (p.ndim > 1 ? decay : noDecay).push(p);
  const groups = [
    { params: decay, weightDecay: args.weightDecay },
    { params: noDecay, weightDecay: 0 },
  ];
  switch (args.optimizer) {
    case 'sgd':
      return new SGD(groups, { lr: args.lr, momentum: args.momentum, nesterov: args.momentum > 0 });
    case 'adam':
      return new Adam(groups, { lr: args.lr });
    case 'adamw':
      return new AdamW(groups, { lr: args.lr });
  }
}

/**
 * The schedule, stepped once per optimizer step (not per epoch, so that a run of two epochs
 * still anneals smoothly): an optional linear warmup from lr/10 over `warmup` steps (at most a
 * fifth of the run), then
 * cosine annealing to 0 at the last step, or x0.1 at 50% and 75% of the steps, or constant.
 * Returns undefined when the lr never changes.
 */
export function buildScheduler(optimizer: Optimizer, args: Pick<TrainArgs, 'schedule' | 'warmup'>, totalSteps: number): LRScheduler | undefined {
  // Short runs (tests, --limit) warm up over at most a fifth of their steps.
  const warmup = Math.min(args.warmup, Math.floor(totalSteps / 5));
  const rest = Math.max(1, totalSteps - warmup);
  const main =
    args.schedule === 'cosine'
      ? new CosineAnnealingLR(optimizer, rest)
      : args.schedule === 'step'
        ? new MultiStepLR(optimizer, [Math.round(0.5 * rest), Math.round(0.75 * rest)])
        : undefined;
  if (warmup === 0) return main;
  const ramp = new LinearLR(optimizer, { startFactor: 0.1, endFactor: 1, totalIters: warmup });
  // With no main schedule the ramp alone stays at factor 1 after the warmup.
  return main ? new SequentialLR(optimizer, [ramp, main], [warmup]) : ramp;
}

/** The lr of the first parameter group, as the schedule last set it. */
export function currentLr(optimizer: Optimizer): number {
  return optimizer.paramGroups[0]!.lr;
}
