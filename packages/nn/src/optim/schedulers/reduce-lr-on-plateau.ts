/** ReduceLROnPlateau: cut the lr when a metric stops improving. */
import { check, finite, nonNegative, nonNegativeInteger, show } from '../check.js';
import { type BaseOptions, Optimizer } from '../optimizer.js';

/** Options of {@link ReduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  /** Whether lower ('min', default) or higher ('max') metrics are better. */
  mode?: 'min' | 'max';
  /** The lr is multiplied by this, below 1 (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before a cut (default 10). */
  patience?: number;
  /** How much better counts as better (default 1e-4), relative or absolute by thresholdMode. */
  threshold?: number;
  /** 'rel' (default): better than best * (1 -/+ threshold); 'abs': than best -/+ threshold. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs after a cut during which bad epochs are not counted (default 0). */
  cooldown?: number;
  /** A floor for the lr, one number or one per group (default 0). */
  minLr?: number | readonly number[];
  /** Cuts smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Multiplies every group's lr by `factor` once the metric given to {@link step} has not improved
 * for more than `patience` epochs (`torch.optim.lr_scheduler.ReduceLROnPlateau`). Not a
 * closed-form schedule: the lr depends on the metrics seen, so this is no {@link LRScheduler}.
 */
export class ReduceLROnPlateau {
  /** The optimizer whose groups' lr it cuts. */
  readonly optimizer: Optimizer<BaseOptions>;
  /** Whether lower ('min') or higher ('max') metrics are better. */
  readonly mode: 'min' | 'max';
  /** The lr is multiplied by this at each cut. */
  readonly factor: number;
  /** Epochs without improvement tolerated before a cut. */
  readonly patience: number;
  /** How much better counts as better, relative or absolute by thresholdMode. */
  readonly threshold: number;
  /** 'rel': better than best * (1 -/+ threshold); 'abs': than best -/+ threshold. */
  readonly thresholdMode: 'rel' | 'abs';
  /** Epochs after a cut during which bad epochs are not counted. */
  readonly cooldown: number;
  /** Each group's lr floor, in group order. */
  readonly minLrs: number[];
  /** Cuts smaller than this are skipped. */
  readonly eps: number;
  /** The best metric so far. */
  best: number;
  /** Epochs since the best (reset by a cut and during cooldown). */
  numBadEpochs = 0;
  /** Cooldown epochs left. */
  cooldownCounter = 0;
  /** Epochs stepped so far (one per metric given to `step`). */
  lastEpoch = 0;

  constructor(optimizer: Optimizer<BaseOptions>, options: ReduceLROnPlateauOptions = {}) {
    const name = 'ReduceLROnPlateau';
    if (!(optimizer instanceof Optimizer)) throw new Error(`${name}: expected an Optimizer, got ${show(optimizer)}`);
    this.optimizer = optimizer;
    const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel', cooldown = 0, minLr = 0, eps = 1e-8 } = options;
    if (mode !== 'min' && mode !== 'max') throw new Error(`${name}: mode must be 'min' or 'max', got ${show(mode)}`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') throw new Error(`${name}: thresholdMode must be 'rel' or 'abs', got ${show(thresholdMode)}`);
    if (!(typeof factor === 'number' && factor >= 0 && factor < 1)) throw new Error(`${name}: factor must be a number in [0, 1), got ${show(factor)}`);
    check(name, 'patience', patience, nonNegativeInteger);
    check(name, 'threshold', threshold, finite);
    check(name, 'cooldown', cooldown, nonNegativeInteger);
    check(name, 'eps', eps, nonNegative);
    const groups = optimizer.paramGroups.length;
    const minLrs = typeof minLr === 'number' ? new Array<number>(groups).fill(minLr) : [...minLr];
    if (minLrs.length !== groups || !minLrs.every((v) => typeof v === 'number' && v >= 0)) {
      throw new Error(`${name}: minLr must be a number >= 0 or one per parameter group (${groups}), got ${show(minLr)}`);
    }
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.minLrs = minLrs;
    this.eps = eps;
    this.best = mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode: t, threshold, best } = this;
    if (mode === 'min') return t === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return t === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  /** Records the epoch's metric and cuts the lr if it has not improved for too long. */
  step(metric: number): void {
    if (typeof metric !== 'number' || Number.isNaN(metric)) throw new Error(`ReduceLROnPlateau.step: metric must be a number, got ${show(metric)}`);
    this.lastEpoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const cut = Math.max(g.lr * this.factor, this.minLrs[i]!);
        if (g.lr - cut > this.eps) g.lr = cut;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  /** Each group's current lr. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}
