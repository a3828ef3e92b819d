/** MultiStepLR: decay by gamma at each milestone epoch. */
import { check, nonNegative, nonNegativeInteger, type Rule } from '../check.js';
import { LRScheduler } from '../lr-scheduler.js';
import type { BaseOptions, Optimizer } from '../optimizer.js';

/** Options of {@link MultiStepLR}. */
export interface MultiStepLROptions {
  /** Multiplicative decay (default 0.1). */
  gamma?: number;
}

const milestoneList: Rule = (v) => (Array.isArray(v) && v.every((m) => nonNegativeInteger(m) === undefined) ? undefined : 'an array of integers >= 0');

/** How many of the sorted `milestones` are <= `epoch` (Python's bisect_right). */
export function bisectRight(milestones: readonly number[], epoch: number): number {
  let lo = 0;
  let hi = milestones.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (milestones[mid]! <= epoch) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * lr = baseLr · gamma^(number of milestones <= epoch). Milestones are sorted; one listed twice
 * decays twice, as with PyTorch's Counter of milestones.
 */
export class MultiStepLR extends LRScheduler {
  /** The epochs at which the lr is multiplied by gamma, sorted. */
  milestones: number[];
  /** Multiplicative decay at each milestone. */
  gamma: number;

  constructor(optimizer: Optimizer<BaseOptions>, milestones: readonly number[], options: MultiStepLROptions = {}) {
    super('MultiStepLR', optimizer);
    const gamma = options.gamma ?? 0.1;
    check('MultiStepLR', 'milestones', milestones, milestoneList);
    check('MultiStepLR', 'gamma', gamma, nonNegative);
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.gamma = gamma;
    this.initialStep();
  }

  lrAt(baseLr: number, epoch: number): number {
    return baseLr * this.gamma ** bisectRight(this.milestones, epoch);
  }

  protected hyperparameters(): Record<string, unknown> {
    return { milestones: [...this.milestones], gamma: this.gamma };
  }

  protected loadHyperparameters(h: Record<string, unknown>): void {
    check('MultiStepLR.loadStateDict', 'milestones', h.milestones, milestoneList);
    check('MultiStepLR.loadStateDict', 'gamma', h.gamma, nonNegative);
    this.milestones = [...(h.milestones as number[])].sort((a, b) => a - b);
    this.gamma = h.gamma as number;
  }
}
