/** ConstantLR: a constant factor for the first epochs, then the base lr. */
import { check, positiveInteger, unitClosed } from '../check.js';
import { LRScheduler } from '../lr-scheduler.js';
import type { BaseOptions, Optimizer } from '../optimizer.js';

/** Options of {@link ConstantLR}. */
export interface ConstantLROptions {
  /** Factor before epoch totalIters, in [0, 1] (default 1/3). */
  factor?: number;
  /** Epochs the factor applies (default 5). */
  totalIters?: number;
}

/** lr = baseLr · factor while epoch < totalIters, then baseLr (`torch.optim.lr_scheduler.ConstantLR`). */
export class ConstantLR extends LRScheduler {
  /** Factor applied to the base lr before epoch totalIters. */
  factor: number;
  /** Epochs the factor applies. */
  totalIters: number;

  constructor(optimizer: Optimizer<BaseOptions>, options: ConstantLROptions = {}) {
    super('ConstantLR', optimizer);
    const { factor = 1 / 3, totalIters = 5 } = options;
    check('ConstantLR', 'factor', factor, unitClosed);
    check('ConstantLR', 'totalIters', totalIters, positiveInteger);
    this.factor = factor;
    this.totalIters = totalIters;
    this.initialStep();
  }

  lrAt(baseLr: number, epoch: number): number {
    return epoch < this.totalIters ? baseLr * this.factor : baseLr;
  }

  protected hyperparameters(): Record<string, unknown> {
    return { factor: this.factor, totalIters: this.totalIters };
  }

  protected loadHyperparameters(h: Record<string, unknown>): void {
    check('ConstantLR.loadStateDict', 'factor', h.factor, unitClosed);
    check('ConstantLR.loadStateDict', 'totalIters', h.totalIters, positiveInteger);
    this.factor = h.factor as number;
    this.totalIters = h.totalIters as number;
  }
}
