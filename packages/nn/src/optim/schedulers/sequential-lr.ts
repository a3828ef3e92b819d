/** SequentialLR: one schedule after another, switching at milestone epochs (warmup, then decay). */
import { check, show, type Rule } from '../check.js';
import { LRScheduler, type LRSchedulerStateDict } from '../lr-scheduler.js';
import type { BaseOptions, Optimizer } from '../optimizer.js';
import { bisectRight } from './multi-step-lr.js';

/**
 * Runs `schedulers[0]` until epoch `milestones[0]`, then `schedulers[1]` until `milestones[1]`,
 * and so on. Each schedule starts from its own epoch 0 when it takes over, as in PyTorch (which
 * calls `step(0)` on it at the milestone): with a constant warmup of factor 0.1 for 2 epochs
 * followed by StepLR(stepSize 1, gamma 0.9) from lr 1, the epochs get 0.1, 0.1, 1, 0.9, 0.81...
 * (PyTorch's old docstring example listed 0.9 at epoch 2; its code gives 1.)
 */
export class SequentialLR extends LRScheduler {
  /** The schedules, in the order they run. */
  readonly schedulers: LRScheduler[];
  /** The epochs at which each schedule after the first takes over. */
  milestones: number[];

  constructor(optimizer: Optimizer<BaseOptions>, schedulers: readonly LRScheduler[], milestones: readonly number[]) {
    super('SequentialLR', optimizer);
    if (!Array.isArray(schedulers) || schedulers.length === 0) {
      throw new Error(`SequentialLR: expected a non-empty array of schedulers, got ${show(schedulers)}`);
    }
    schedulers.forEach((s: unknown, i) => {
      if (!(s instanceof LRScheduler)) throw new Error(`SequentialLR: schedulers[${i}] must be an LRScheduler, got ${show(s)}`);
      if (s.optimizer !== optimizer) throw new Error(`SequentialLR: schedulers[${i}] (${s.name}) drives a different optimizer than the one given`);
    });
    check('SequentialLR', 'milestones', milestones, milestonesRule(schedulers.length));
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    // Like PyTorch: the schedules' own construction steps are undone, only the first one starts.
    for (const s of this.schedulers) s.lastEpoch = -1;
    this.initialStep();
  }

  /** The active schedule at `epoch` and the epoch in its own count. */
  private locate(epoch: number): [LRScheduler, number] {
    const i = bisectRight(this.milestones, epoch);
    return [this.schedulers[i]!, i === 0 ? epoch : epoch - this.milestones[i - 1]!];
  }

  lrAt(baseLr: number, epoch: number): number {
    const [s, local] = this.locate(epoch);
    return s.lrAt(baseLr, local);
  }

  override step(): void {
    super.step();
    const [s, local] = this.locate(this.lastEpoch);
    s.lastEpoch = local;
  }

  protected hyperparameters(): Record<string, unknown> {
    return { milestones: [...this.milestones], schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  protected loadHyperparameters(h: Record<string, unknown>): void {
    const name = 'SequentialLR.loadStateDict';
    check(name, 'milestones', h.milestones, milestonesRule(this.schedulers.length));
    const subs = h.schedulers;
    if (!Array.isArray(subs) || subs.length !== this.schedulers.length) {
      throw new Error(`${name}: expected 'schedulers' to hold ${this.schedulers.length} state dicts, got ${show(subs)}`);
    }
    // All or nothing: put every schedule back if one of them refuses its state.
    const before = this.schedulers.map((s) => s.stateDict());
    try {
      this.schedulers.forEach((s, i) => s.loadStateDict(subs[i] as LRSchedulerStateDict));
    } catch (e) {
      this.schedulers.forEach((s, i) => s.loadStateDict(before[i]!));
      throw e;
    }
    this.milestones = [...(h.milestones as number[])];
  }
}

function milestonesRule(count: number): Rule {
  return (v) =>
    Array.isArray(v) && v.length === count - 1 && v.every((m, i) => Number.isSafeInteger(m) && m > 0 && (i === 0 || m > (v[i - 1] as number)))
      ? undefined
      : `${count - 1} increasing positive integers (one fewer than the schedulers)`;
}
