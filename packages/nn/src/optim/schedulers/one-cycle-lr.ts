/** OneCycleLR: the 1cycle policy, a warmup to maxLr then an annealing far below the start. */
import { boolean, check, finite, positive, positiveInteger, show } from '../check.js';
import { LRScheduler } from '../lr-scheduler.js';
import type { BaseOptions, Optimizer, ParamGroup } from '../optimizer.js';

/** Options of {@link OneCycleLR}. */
export interface OneCycleLROptions {
  /** Fraction of the steps spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear' interpolation within a phase. */
  annealStrategy?: 'cos' | 'linear';
  /** Move the momentum (or Adam's beta1) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** The momentum at the lr's peak (default 0.85). */
  baseMomentum?: number;
  /** The momentum at the start and the end (default 0.95). */
  maxMomentum?: number;
  /** The starting lr is maxLr / divFactor (default 25). */
  divFactor?: number;
  /** The final lr is the starting lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, back down to the start, then to the final lr) instead of two (default false). */
  threePhase?: boolean;
}

/** One phase: from step `start` to step `end`, the lr (momentum) goes from `from` to `to`. */
interface Phase {
  end: number;
  lr: [number, number];
  momentum: [number, number];
}

/**
 * The 1cycle policy (`torch.optim.lr_scheduler.OneCycleLR`), stepped once per batch for
 * `totalSteps` steps. Unlike the other schedules it sets each group's starting lr itself, to
 * maxLr / divFactor, and (with cycleMomentum) also drives the group's momentum, or beta1 for Adam.
 */
export class OneCycleLR extends LRScheduler {
  /** Each group's peak lr, in group order. */
  readonly maxLrs: number[];
  /** Steps in the cycle (one per batch). */
  readonly totalSteps: number;
  /** The options with their defaults filled in. */
  readonly options: Required<OneCycleLROptions>;
  private readonly momentumKey: 'momentum' | 'betas' | null;

  constructor(optimizer: Optimizer<BaseOptions>, maxLr: number | readonly number[], totalSteps: number, options: OneCycleLROptions = {}) {
    super('OneCycleLR', optimizer);
    const groups = optimizer.paramGroups;
    const o: Required<OneCycleLROptions> = {
      pctStart: 0.3, annealStrategy: 'cos', cycleMomentum: true, baseMomentum: 0.85, maxMomentum: 0.95, divFactor: 25, finalDivFactor: 1e4, threePhase: false, ...options,
    };
    check('OneCycleLR', 'totalSteps', totalSteps, positiveInteger);
    if (!(typeof o.pctStart === 'number' && o.pctStart >= 0 && o.pctStart <= 1)) throw new Error(`OneCycleLR: pctStart must be a number in [0, 1], got ${show(o.pctStart)}`);
    if (o.annealStrategy !== 'cos' && o.annealStrategy !== 'linear') throw new Error(`OneCycleLR: annealStrategy must be 'cos' or 'linear', got ${show(o.annealStrategy)}`);
    check('OneCycleLR', 'divFactor', o.divFactor, positive);
    check('OneCycleLR', 'finalDivFactor', o.finalDivFactor, positive);
    check('OneCycleLR', 'baseMomentum', o.baseMomentum, finite);
    check('OneCycleLR', 'maxMomentum', o.maxMomentum, finite);
    check('OneCycleLR', 'cycleMomentum', o.cycleMomentum, boolean);
    check('OneCycleLR', 'threePhase', o.threePhase, boolean);
    const maxLrs = typeof maxLr === 'number' ? groups.map(() => maxLr) : [...maxLr];
    if (maxLrs.length !== groups.length || !maxLrs.every((v) => typeof v === 'number' && v > 0 && Number.isFinite(v))) {
      throw new Error(`OneCycleLR: maxLr must be a positive number or one per parameter group (${groups.length}), got ${show(maxLr)}`);
    }
    this.maxLrs = maxLrs;
    this.totalSteps = totalSteps;
    this.options = o;
    const first = groups[0] as ParamGroup & { momentum?: number; betas?: number[] };
    this.momentumKey = !o.cycleMomentum ? null : 'betas' in first ? 'betas' : 'momentum' in first ? 'momentum' : null;
    if (o.cycleMomentum && !this.momentumKey) throw new Error('OneCycleLR: cycleMomentum needs an optimizer with momentum or betas; pass cycleMomentum: false');
    // PyTorch overwrites each group's starting lr.
    groups.forEach((g, i) => (g.initialLr = maxLrs[i]! / o.divFactor));
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.initialStep();
  }

  private phases(group: number): Phase[] {
    const { pctStart, divFactor, finalDivFactor, baseMomentum: lo, maxMomentum: hi, threePhase } = this.options;
    const max = this.maxLrs[group]!;
    const initial = max / divFactor;
    const min = initial / finalDivFactor;
    const up = pctStart * this.totalSteps - 1;
    if (!threePhase) return [{ end: up, lr: [initial, max], momentum: [hi, lo] }, { end: this.totalSteps - 1, lr: [max, min], momentum: [lo, hi] }];
    return [
      { end: up, lr: [initial, max], momentum: [hi, lo] },
      { end: 2 * pctStart * this.totalSteps - 2, lr: [max, initial], momentum: [lo, hi] },
      { end: this.totalSteps - 1, lr: [initial, min], momentum: [hi, hi] },
    ];
  }

  private anneal([from, to]: [number, number], pct: number): number {
    if (this.options.annealStrategy === 'linear') return (to - from) * pct + from;
    return to + ((from - to) / 2) * (Math.cos(Math.PI * pct) + 1);
  }

  /** The lr and momentum of group `group` at `step`, phase by phase as PyTorch walks them. */
  private at(group: number, step: number): [number, number] {
    if (step > this.totalSteps) throw new Error(`OneCycleLR: stepped ${step} times, more than totalSteps (${this.totalSteps})`);
    const phases = this.phases(group);
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      const p = phases[i]!;
      if (step <= p.end || i === phases.length - 1) {
        const pct = (step - start) / (p.end - start);
        return [this.anneal(p.lr, pct), this.anneal(p.momentum, pct)];
      }
      start = p.end;
    }
    throw new Error('unreachable');
  }

  override lrsAt(epoch: number): number[] {
    return this.maxLrs.map((_, i) => this.at(i, epoch)[0]);
  }

  lrAt(_baseLr: number, epoch: number): number {
    return this.at(0, epoch)[0];
  }

  override step(): void {
    super.step();
    if (!this.momentumKey) return;
    this.optimizer.paramGroups.forEach((g, i) => {
      const m = this.at(i, this.lastEpoch)[1];
      const group = g as ParamGroup & { momentum?: number; betas?: [number, number] };
      if (this.momentumKey === 'betas') group.betas = [m, group.betas![1]];
      else group.momentum = m;
    });
  }

  protected hyperparameters(): Record<string, unknown> {
    return { maxLrs: [...this.maxLrs], totalSteps: this.totalSteps, ...this.options };
  }

  protected loadHyperparameters(h: Record<string, unknown>): void {
    check('OneCycleLR.loadStateDict', 'totalSteps', h.totalSteps, positiveInteger);
    if (JSON.stringify(h.maxLrs) !== JSON.stringify(this.maxLrs) || h.totalSteps !== this.totalSteps) {
      throw new Error(`OneCycleLR.loadStateDict: the state dict is of a schedule with maxLrs ${show(h.maxLrs)} and totalSteps ${show(h.totalSteps)}; build the scheduler with those`);
    }
  }
}
