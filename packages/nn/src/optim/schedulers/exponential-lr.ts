/** ExponentialLR: decay by gamma every epoch. */
import { check, nonNegative } from '../check.js';
import { LRScheduler } from '../lr-scheduler.js';
import type { BaseOptions, Optimizer } from '../optimizer.js';

/** lr = baseLr · gamma^epoch (`torch.optim.lr_scheduler.ExponentialLR`). */
export class ExponentialLR extends LRScheduler {
  /** Multiplicative decay per epoch. */
  gamma: number;

  constructor(optimizer: Optimizer<BaseOptions>, gamma: number) {
    super('ExponentialLR', optimizer);
    check('ExponentialLR', 'gamma', gamma, nonNegative);
    this.gamma = gamma;
    this.initialStep();
  }

  lrAt(baseLr: number, epoch: number): number {
    return baseLr * this.gamma ** epoch;
  }

  protected hyperparameters(): Record<string, unknown> {
    return { gamma: this.gamma };
  }

  protected loadHyperparameters(h: Record<string, unknown>): void {
    check('ExponentialLR.loadStateDict', 'gamma', h.gamma, nonNegative);
    this.gamma = h.gamma as number;
  }
}
