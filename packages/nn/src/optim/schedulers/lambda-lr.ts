/** LambdaLR: the base lr times a function of the epoch. */
import { show } from '../check.js';
import { LRScheduler } from '../lr-scheduler.js';
import type { BaseOptions, Optimizer } from '../optimizer.js';

/** A factor of the base lr as a function of the epoch. */
export type LrLambda = (epoch: number) => number;

/**
 * lr = baseLr · lrLambda(epoch), with one function for every group or one per group
 * (`torch.optim.lr_scheduler.LambdaLR`). The functions are not part of the state dict (as in
 * PyTorch, where plain functions are not saved): build the scheduler with them again, then load.
 */
export class LambdaLR extends LRScheduler {
  /** Each parameter group's factor function, in group order. */
  readonly lrLambdas: LrLambda[];

  constructor(optimizer: Optimizer<BaseOptions>, lrLambda: LrLambda | readonly LrLambda[]) {
    super('LambdaLR', optimizer);
    const n = optimizer.paramGroups.length;
    const fns = typeof lrLambda === 'function' ? new Array<LrLambda>(n).fill(lrLambda) : Array.isArray(lrLambda) ? [...lrLambda] : null;
    if (!fns || fns.length !== n || !fns.every((f) => typeof f === 'function')) {
      throw new Error(`LambdaLR: lrLambda must be a function or an array of ${n} functions (one per parameter group), got ${show(lrLambda)}`);
    }
    this.lrLambdas = fns;
    this.initialStep();
  }

  override lrsAt(epoch: number): number[] {
    return this.baseLrs.map((b, i) => b * this.factor(i, epoch));
  }

  lrAt(baseLr: number, epoch: number): number {
    return baseLr * this.factor(0, epoch);
  }

  private factor(group: number, epoch: number): number {
    const f = this.lrLambdas[group]!(epoch);
    if (typeof f !== 'number' || Number.isNaN(f)) throw new Error(`LambdaLR: lrLambda of group ${group} returned ${show(f)} at epoch ${epoch}, not a number`);
    return f;
  }

  protected hyperparameters(): Record<string, unknown> {
    return {};
  }

  protected loadHyperparameters(): void {}
}
