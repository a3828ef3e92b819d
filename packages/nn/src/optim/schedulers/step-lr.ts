/** StepLR: decay by gamma every stepSize epochs. */
import { check, nonNegative, positiveInteger } from '../check.js';
import { LRScheduler } from '../lr-scheduler.js';
import type { BaseOptions, Optimizer } from '../optimizer.js';

/** Options of {@link StepLR}. */
export interface StepLROptions {
  /** Multiplicative decay (default 0.1). */
  gamma?: number;
}

/**
 * lr = baseLr · gamma^⌊epoch / stepSize⌋. With stepSize 2 and gamma 0.5 from lr 1 the epochs
 * get 1, 1, 0.5, 0.5, 0.25...
 */
export class StepLR extends LRScheduler {
  /** Epochs between decays. */
  stepSize: number;
  /** Multiplicative decay every stepSize epochs. */
  gamma: number;

  constructor(optimizer: Optimizer<BaseOptions>, stepSize: number, options: StepLROptions = {}) {
    super('StepLR', optimizer);
    const gamma = options.gamma ?? 0.1;
    check('StepLR', 'stepSize', stepSize, positiveInteger);
    check('StepLR', 'gamma', gamma, nonNegative);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.initialStep();
  }

  lrAt(baseLr: number, epoch: number): number {
    return baseLr * this.gamma ** Math.floor(epoch / this.stepSize);
  }

  protected hyperparameters(): Record<string, unknown> {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }

  protected loadHyperparameters(h: Record<string, unknown>): void {
    check('StepLR.loadStateDict', 'stepSize', h.stepSize, positiveInteger);
    check('StepLR.loadStateDict', 'gamma', h.gamma, nonNegative);
    this.stepSize = h.stepSize as number;
    this.gamma = h.gamma as number;
  }
}
