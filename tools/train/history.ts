/**
 * What a run records as it goes: one {@link EpochMetrics} per epoch (metrics.jsonl), and a finer
 * trace of the training loss and accuracy (a point per tenth of an epoch) that makes the curves
 * readable even for a two-epoch run. Both are kept in the checkpoint, so the files written after
 * a resume are those an uninterrupted run writes.
 */
import type { CurvesData } from './curves-svg.js';

/** One line of metrics.jsonl. */
export interface EpochMetrics {
  /** 1-based. */
  epoch: number;
  /** Mean training loss (with label smoothing, as optimized) and accuracy over the epoch's steps, in training mode. */
  trainLoss: number;
  trainAccuracy: number;
  /** On the test set, eval mode, no label smoothing. */
  testLoss: number;
  testAccuracy: number;
  /** Wall-clock seconds of the epoch (training and evaluation), summed over interruptions. */
  seconds: number;
  /** The lr of the epoch's last step. */
  lr: number;
  /** Optimizer steps so far. */
  step: number;
  /** Training images seen per second during the epoch. */
  samplesPerSecond: number;
}

/** A point of the fine training trace: means over the steps since the previous point. */
export interface TracePoint {
  /** Fractional epoch at which the window ended (1.0 = end of the first epoch). */
  epoch: number;
  loss: number;
  accuracy: number;
}

/** metrics.jsonl's text: one JSON object per line. */
export function metricsJsonl(history: readonly EpochMetrics[]): string {
  return history.map((m) => JSON.stringify(m)).join('\n') + (history.length ? '\n' : '');
}

/** The chart of a run: per-epoch train and test, plus the fine training trace. */
export function curvesOf(history: readonly EpochMetrics[], trace: readonly TracePoint[], title: string, subtitle: string, epochs: number): CurvesData {
  const blue = '#1f6fb4';
  const orange = '#e8710a';
  const perEpoch = (f: (m: EpochMetrics) => number) => history.map((m) => ({ x: m.epoch, y: f(m) }));
  const series = (train: (m: EpochMetrics) => number, test: (m: EpochMetrics) => number, traced: (t: TracePoint) => number) => [
    { label: 'train, per tenth of an epoch', color: blue, thin: true, points: trace.map((t) => ({ x: t.epoch, y: traced(t) })) },
    { label: 'train (epoch mean)', color: blue, markers: 'circle' as const, points: perEpoch(train) },
    { label: 'test (end of epoch)', color: orange, markers: 'square' as const, dashed: true, points: perEpoch(test) },
  ];
  return {
    title,
    subtitle,
    epochs,
    loss: series((m) => m.trainLoss, (m) => m.testLoss, (t) => t.loss),
    accuracy: series((m) => 100 * m.trainAccuracy, (m) => 100 * m.testAccuracy, (t) => 100 * t.accuracy),
  };
}
