/** LinearLR: a linear ramp of the lr factor, the usual warmup. */
import { check, positiveInteger, type Rule } from '../check.js';
import { LRScheduler } from '../lr-scheduler.js';
import type { BaseOptions, Optimizer } from '../optimizer.js';

/** Options of {@link LinearLR}. */
export interface LinearLROptions {
  /** Factor at epoch 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor from epoch totalIters on, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs the ramp takes (default 5). */
  totalIters?: number;
}

const startRule: Rule = (v) => (typeof v === 'number' && v > 0 && v <= 1 ? undefined : 'a number in (0, 1]');
const endRule: Rule = (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? undefined : 'a number in [0, 1]');

/**
 * lr = baseLr · (startFactor + (endFactor - startFactor) · min(epoch, totalIters) / totalIters).
 * With PyTorch's documented example (lr 0.05, startFactor 0.5, totalIters 4) the epochs get
 * 0.025, 0.03125, 0.0375, 0.04375, then 0.05.
 */
export class LinearLR extends LRScheduler {
  /** Factor of the base lr at epoch 0. */
  startFactor: number;
  /** Factor from epoch totalIters on. */
  endFactor: number;
  /** Epochs the ramp takes. */
  totalIters: number;

  constructor(optimizer: Optimizer<BaseOptions>, options: LinearLROptions = {}) {
    super('LinearLR', optimizer);
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = options;
    check('LinearLR', 'startFactor', startFactor, startRule);
    check('LinearLR', 'endFactor', endFactor, endRule);
    check('LinearLR', 'totalIters', totalIters, positiveInteger);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.initialStep();
  }

  lrAt(baseLr: number, epoch: number): number {
    return baseLr * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(epoch, this.totalIters)) / this.totalIters);
  }

  protected hyperparameters(): Record<string, unknown> {
    return { startFactor: this.startFactor, endFactor: this.endFactor, totalIters: this.totalIters };
  }

  protected loadHyperparameters(h: Record<string, unknown>): void {
    const name = 'LinearLR.loadStateDict';
    check(name, 'startFactor', h.startFactor, startRule);
    check(name, 'endFactor', h.endFactor, endRule);
    check(name, 'totalIters', h.totalIters, positiveInteger);
    this.startFactor = h.startFactor as number;
    this.endFactor = h.endFactor as number;
    this.totalIters = h.totalIters as number;
  }
}
