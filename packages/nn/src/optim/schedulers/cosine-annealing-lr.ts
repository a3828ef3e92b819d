/** CosineAnnealingLR: half a cosine from the base lr down to etaMin over tMax epochs. */
import { check, finite, positiveInteger } from '../check.js';
import { LRScheduler } from '../lr-scheduler.js';
import type { BaseOptions, Optimizer } from '../optimizer.js';

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  /** The lowest lr, reached at epoch tMax (default 0). */
  etaMin?: number;
}

/**
 * SGDR's annealing without restarts, in PyTorch's closed form (its `_get_closed_form_lr`):
 *
 *     lr = etaMin + (baseLr - etaMin) · (1 + cos(π · epoch / tMax)) / 2
 *
 * so epoch 0 gives baseLr and epoch tMax gives etaMin. Past tMax the cosine continues and the
 * lr climbs back to baseLr at 2·tMax, as PyTorch's schedule does.
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Epochs from baseLr down to etaMin (half a cosine period). */
  tMax: number;
  /** The lowest lr, reached at epoch tMax. */
  etaMin: number;

  constructor(optimizer: Optimizer<BaseOptions>, tMax: number, options: CosineAnnealingLROptions = {}) {
    super('CosineAnnealingLR', optimizer);
    const etaMin = options.etaMin ?? 0;
    check('CosineAnnealingLR', 'tMax', tMax, positiveInteger);
    check('CosineAnnealingLR', 'etaMin', etaMin, finite);
    this.tMax = tMax;
    this.etaMin = etaMin;
    this.initialStep();
  }

  lrAt(baseLr: number, epoch: number): number {
    return this.etaMin + ((baseLr - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }

  protected hyperparameters(): Record<string, unknown> {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }

  protected loadHyperparameters(h: Record<string, unknown>): void {
    check('CosineAnnealingLR.loadStateDict', 'tMax', h.tMax, positiveInteger);
    check('CosineAnnealingLR.loadStateDict', 'etaMin', h.etaMin, finite);
    this.tMax = h.tMax as number;
    this.etaMin = h.etaMin as number;
  }
}
