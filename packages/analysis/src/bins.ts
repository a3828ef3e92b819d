/**
 * The paper's strong / medium / weak / none (S/M/W/N) bins of |r|, histograms of r, and the
 * summary of a set of correlations that a report prints.
 *
 * DyNet's paper bins |r| into four classes without printing the thresholds. We use the common
 * rule of thumb: strong |r| >= 0.7, medium [0.5, 0.7), weak [0.3, 0.5), none below 0.3
 * ({@link PAPER_BINS}); every function takes other thresholds too, and the full histogram is
 * always there to re-bin.
 */

/** Lower bounds of |r| for the three upper bins (strong > medium > weak > 0). */
export interface CorrelationThresholds {
  /** |r| >= strong: a strong correlation. */
  strong: number;
  /** medium <= |r| < strong. */
  medium: number;
  /** weak <= |r| < medium; below weak: none. */
  weak: number;
}

/** Our choice for the paper's unprinted S/M/W/N thresholds: 0.7, 0.5, 0.3. */
export const PAPER_BINS: Readonly<CorrelationThresholds> = Object.freeze({ strong: 0.7, medium: 0.5, weak: 0.3 });

/** The four bins, strongest first. */
export const BIN_NAMES = ['strong', 'medium', 'weak', 'none'] as const;

/** One of the four bins. */
export type BinName = (typeof BIN_NAMES)[number];

/** How many correlations fall in each bin (or what fraction, see {@link CorrelationSummary.fractions}). */
export type BinCounts = Record<BinName, number>;

function checkThresholds(t: CorrelationThresholds): void {
  if (!(t.strong <= 1 && t.strong > t.medium && t.medium > t.weak && t.weak > 0)) {
    throw new RangeError(`correlation thresholds must satisfy 1 >= strong > medium > weak > 0, got strong ${t.strong}, medium ${t.medium}, weak ${t.weak}`);
  }
}

/** The bin of one correlation, by |r|. */
export function binOf(r: number, thresholds: CorrelationThresholds = PAPER_BINS): BinName {
  const a = Math.abs(r);
  return a >= thresholds.strong ? 'strong' : a >= thresholds.medium ? 'medium' : a >= thresholds.weak ? 'weak' : 'none';
}

/** Counts of `values` per bin (NaNs are skipped). */
export function binCorrelations(values: ArrayLike<number>, thresholds: CorrelationThresholds = PAPER_BINS): BinCounts {
  checkThresholds(thresholds);
  const counts: BinCounts = { strong: 0, medium: 0, weak: 0, none: 0 };
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) counts[binOf(values[i]!, thresholds)]++;
  return counts;
}

/** Equal-width bins over [min, max]: bin k holds [min + k w, min + (k + 1) w), the last one also max. */
export interface Histogram {
  /** Lower edge of the first bin. */
  min: number;
  /** Upper edge of the last bin. */
  max: number;
  /** Counts per bin. */
  counts: number[];
  /** Values below min or above max (not in any bin). */
  outside: number;
}

/** Options of {@link histogram}. */
export interface HistogramOptions {
  /** Lower edge (default -1). */
  min?: number;
  /** Upper edge (default 1). */
  max?: number;
  /** Number of bins (default 20: 0.1 wide on [-1, 1]). */
  bins?: number;
}

/** A histogram of `values` (NaNs skipped), by default of r on [-1, 1] in twenty bins of 0.1. */
export function histogram(values: ArrayLike<number>, opts: HistogramOptions = {}): Histogram {
  const { min = -1, max = 1, bins = 20 } = opts;
  if (!(max > min) || !Number.isInteger(bins) || bins < 1) throw new RangeError(`histogram: needs max > min and a positive integer number of bins, got [${min}, ${max}], ${bins}`);
  const counts = new Array<number>(bins).fill(0);
  let outside = 0;
  const w = (max - min) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    if (v < min || v > max) {
      outside++;
      continue;
    }
    counts[Math.min(bins - 1, Math.floor((v - min) / w))]!++;
  }
  return { min, max, counts, outside };
}

/** The lower edges of a histogram's bins, then its upper edge: `bins + 1` numbers. */
export function histogramEdges(h: Histogram): number[] {
  const w = (h.max - h.min) / h.counts.length;
  return Array.from({ length: h.counts.length + 1 }, (_, k) => (k === h.counts.length ? h.max : h.min + k * w));
}

/** What a report needs of a set of correlations: their number, |r| statistics, the bins and the histogram. */
export interface CorrelationSummary {
  /** Pairs with a defined r. */
  pairs: number;
  /** Variables (channels, kernels) left out for being constant, where r is undefined. */
  constant: number;
  /** Mean |r| (NaN without pairs). */
  meanAbs: number;
  /** Median |r|. */
  medianAbs: number;
  /** Mean signed r. */
  mean: number;
  /** Counts per S/M/W/N bin. */
  bins: BinCounts;
  /** The same as fractions of {@link pairs}. */
  fractions: BinCounts;
  /** The thresholds the bins used. */
  thresholds: CorrelationThresholds;
  /** Signed r on [-1, 1] (default twenty bins of 0.1). */
  histogram: Histogram;
}

/** Summarizes correlations (NaNs skipped); `constant` is carried through for the report. */
export function summarizeCorrelations(values: ArrayLike<number>, constant = 0, opts: { thresholds?: CorrelationThresholds; histogram?: HistogramOptions } = {}): CorrelationSummary {
  const thresholds = { ...(opts.thresholds ?? PAPER_BINS) };
  const abs: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    abs.push(Math.abs(v));
    sum += v;
  }
  const n = abs.length;
  const sorted = Float64Array.from(abs).sort();
  const medianAbs = n === 0 ? NaN : n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  const bins = binCorrelations(values, thresholds);
  const fractions: BinCounts = { strong: 0, medium: 0, weak: 0, none: 0 };
  for (const b of BIN_NAMES) fractions[b] = n ? bins[b] / n : NaN;
  return {
    pairs: n,
    constant,
    meanAbs: n ? abs.reduce((a, b) => a + b, 0) / n : NaN,
    medianAbs,
    mean: n ? sum / n : NaN,
    bins,
    fractions,
    thresholds,
    histogram: histogram(values, opts.histogram),
  };
}
