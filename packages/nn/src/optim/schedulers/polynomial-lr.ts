/** PolynomialLR: a polynomial decay to 0 over totalIters epochs. */
import { check, nonNegative, positiveInteger } from '../check.js';
import { LRScheduler } from '../lr-scheduler.js';
import type { BaseOptions, Optimizer } from '../optimizer.js';

/** Options of {@link PolynomialLR}. */
export interface PolynomialLROptions {
  /** Epochs until the lr reaches 0 (default 5). */
  totalIters?: number;
  /** The polynomial's power (default 1: linear). */
  power?: number;
}

/**
 * lr = baseLr · (1 - min(epoch, totalIters) / totalIters)^power
 * (`torch.optim.lr_scheduler.PolynomialLR`).
 */
export class PolynomialLR extends LRScheduler {
  /** Epochs until the lr reaches 0. */
  totalIters: number;
  /** The polynomial's power. */
  power: number;

  constructor(optimizer: Optimizer<BaseOptions>, options: PolynomialLROptions = {}) {
    super('PolynomialLR', optimizer);
    const { totalIters = 5, power = 1 } = options;
    check('PolynomialLR', 'totalIters', totalIters, positiveInteger);
    check('PolynomialLR', 'power', power, nonNegative);
    this.totalIters = totalIters;
    this.power = power;
    this.initialStep();
  }

  lrAt(baseLr: number, epoch: number): number {
    return baseLr * (1 - Math.min(epoch, this.totalIters) / this.totalIters) ** this.power;
  }

  protected hyperparameters(): Record<string, unknown> {
    return { totalIters: this.totalIters, power: this.power };
  }

  protected loadHyperparameters(h: Record<string, unknown>): void {
    check('PolynomialLR.loadStateDict', 'totalIters', h.totalIters, positiveInteger);
    check('PolynomialLR.loadStateDict', 'power', h.power, nonNegative);
    this.totalIters = h.totalIters as number;
    this.power = h.power as number;
  }
}
