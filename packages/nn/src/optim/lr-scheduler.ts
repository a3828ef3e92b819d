/**
 * The base of the learning-rate schedules. A schedule here is a closed form: the lr of a group
 * at epoch e is a function of the group's base lr and e alone ({@link LRScheduler.lrAt}).
 *
 * PyTorch computes most schedules recursively instead ("chainable" forms: each step multiplies
 * the group's current lr). Both give the same sequence, up to rounding in the last bits, as long
 * as nothing else writes the group's lr between steps; they differ when several schedulers drive
 * one optimizer at the same time (PyTorch compounds them, here the last one to step wins) or
 * when the lr is set by hand (PyTorch continues from it, here the schedule overrides it).
 */
import { check, isPlainObject, learningRate, show } from './check.js';
import { type BaseOptions, Optimizer } from './optimizer.js';

/** A scheduler's state as plain JSON values. */
export interface LRSchedulerStateDict {
  /** The scheduler's class name, checked on load. */
  type: string;
  /** Epochs (calls to step) so far, counting the one made by the constructor as epoch 0. */
  lastEpoch: number;
  /** Each group's lr at epoch 0 of the schedule. */
  baseLrs: number[];
  /** The hyperparameters, restored on load as PyTorch does. */
  [hyperparameter: string]: unknown;
}

/**
 * Base class of the learning-rate schedules. Construction records each group's base lr (its
 * `initialLr`, set to the current lr by the first scheduler built on the optimizer) and, as in
 * PyTorch, sets the lr of epoch 0; each {@link step} then moves to the next epoch.
 */
export abstract class LRScheduler {
  /** Class name, as in error messages. */
  readonly name: string;
  /** The optimizer whose groups' `lr` this schedule sets. */
  readonly optimizer: Optimizer<BaseOptions>;
  /** Each group's lr at epoch 0. */
  baseLrs: number[];
  /** The current epoch: -1 before the constructor's initial step, then 0, 1, 2... */
  lastEpoch = -1;

  protected constructor(name: string, optimizer: Optimizer<BaseOptions>) {
    this.name = name;
    if (!(optimizer instanceof Optimizer)) throw new Error(`${name}: expected an Optimizer, got ${show(optimizer)}`);
    this.optimizer = optimizer;
    for (const group of optimizer.paramGroups) group.initialLr ??= group.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
  }

  /** The closed form: the lr at `epoch` of a group whose base lr is `baseLr`. */
  abstract lrAt(baseLr: number, epoch: number): number;

  /** The schedule's hyperparameters, for {@link stateDict}. */
  protected abstract hyperparameters(): Record<string, unknown>;

  /** Checks and sets hyperparameters read from a state dict (all of them, or throws and changes nothing). */
  protected abstract loadHyperparameters(h: Record<string, unknown>): void;

  /** Subclasses call this last in their constructor: PyTorch's initial step to epoch 0. */
  protected initialStep(): void {
    this.step();
  }

  /** Each group's lr at `epoch`. */
  lrsAt(epoch: number): number[] {
    return this.baseLrs.map((b) => this.lrAt(b, epoch));
  }

  /** Moves to the next epoch and writes its lr into every group. */
  step(): void {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.baseLrs.length) {
      throw new Error(`${this.name}.step: the optimizer has ${groups.length} parameter groups but the schedule was built for ${this.baseLrs.length}`);
    }
    this.lastEpoch++;
    const lrs = this.lrsAt(this.lastEpoch);
    groups.forEach((g, i) => (g.lr = lrs[i]!));
  }

  /** The lr of each group at the current epoch, as the last step set it. */
  getLastLr(): number[] {
    return this.lrsAt(this.lastEpoch);
  }

  /** The schedule's position and hyperparameters as plain JSON values. */
  stateDict(): LRSchedulerStateDict {
    return { ...this.hyperparameters(), type: this.name, lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }

  /**
   * Restores a state saved by {@link stateDict}. Like PyTorch this does not touch the groups'
   * lr (the optimizer's own state dict carries it); the next {@link step} continues the schedule.
   */
  loadStateDict(dict: LRSchedulerStateDict): void {
    const name = `${this.name}.loadStateDict`;
    if (!isPlainObject(dict)) throw new Error(`${name}: expected an object as stateDict() returns, got ${show(dict)}`);
    if (dict.type !== this.name) throw new Error(`${name}: the state dict is of a ${show(dict.type)}, not a ${this.name}`);
    const { type: _, lastEpoch, baseLrs, ...hyper } = dict;
    check(name, 'lastEpoch', lastEpoch, (v) => (Number.isSafeInteger(v) && (v as number) >= -1 ? undefined : 'an integer >= -1'));
    check(name, 'baseLrs', baseLrs, (v) =>
      Array.isArray(v) && v.length === this.optimizer.paramGroups.length && v.every((x) => learningRate(x) === undefined)
        ? undefined
        : `an array of ${this.optimizer.paramGroups.length} learning rates (one per parameter group), each ${learningRate(NaN)}`,
    );
    this.loadHyperparameters(hyper);
    this.lastEpoch = lastEpoch;
    this.baseLrs = [...(baseLrs as number[])];
  }
}
