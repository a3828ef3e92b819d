/** CosineAnnealingWarmRestarts: cosine annealing that restarts, each period tMult times longer. */
import { check, nonNegative, positiveInteger } from '../check.js';
import { LRScheduler } from '../lr-scheduler.js';
import type { BaseOptions, Optimizer } from '../optimizer.js';

/** Options of {@link CosineAnnealingWarmRestarts}. */
export interface CosineAnnealingWarmRestartsOptions {
  /** Each period is this many times the last (a positive integer, default 1). */
  tMult?: number;
  /** The lr at the bottom of each period (default 0). */
  etaMin?: number;
}

/**
 * lr = etaMin + (baseLr - etaMin) · (1 + cos(π · tCur / tI)) / 2, where the first period lasts
 * t0 epochs, each next one tMult times longer, and tCur counts the epochs since the last restart
 * (`torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`, stepped once per epoch).
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  /** Epochs of the first period. */
  t0: number;
  /** Each period is this many times the last. */
  tMult: number;
  /** The lr at the bottom of each period. */
  etaMin: number;

  constructor(optimizer: Optimizer<BaseOptions>, t0: number, options: CosineAnnealingWarmRestartsOptions = {}) {
    super('CosineAnnealingWarmRestarts', optimizer);
    const { tMult = 1, etaMin = 0 } = options;
    check('CosineAnnealingWarmRestarts', 't0', t0, positiveInteger);
    check('CosineAnnealingWarmRestarts', 'tMult', tMult, positiveInteger);
    check('CosineAnnealingWarmRestarts', 'etaMin', etaMin, nonNegative);
    this.t0 = t0;
    this.tMult = tMult;
    this.etaMin = etaMin;
    this.initialStep();
  }

  /** The epoch within the current period and the period's length (integers, so no log rounding). */
  private position(epoch: number): [number, number] {
    let tCur = epoch;
    let tI = this.t0;
    while (tCur >= tI) {
      tCur -= tI;
      tI *= this.tMult;
    }
    return [tCur, tI];
  }

  lrAt(baseLr: number, epoch: number): number {
    const [tCur, tI] = this.position(Math.max(epoch, 0));
    return this.etaMin + ((baseLr - this.etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
  }

  protected hyperparameters(): Record<string, unknown> {
    return { t0: this.t0, tMult: this.tMult, etaMin: this.etaMin };
  }

  protected loadHyperparameters(h: Record<string, unknown>): void {
    const name = 'CosineAnnealingWarmRestarts.loadStateDict';
    check(name, 't0', h.t0, positiveInteger);
    check(name, 'tMult', h.tMult, positiveInteger);
    check(name, 'etaMin', h.etaMin, nonNegative);
    this.t0 = h.t0 as number;
    this.tMult = h.tMult as number;
    this.etaMin = h.etaMin as number;
  }
}
