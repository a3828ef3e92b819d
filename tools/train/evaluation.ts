/**
 * Test-set evaluation: loss, accuracy, the confusion matrix and each image's prediction, with
 * the model in eval mode (BatchNorm on running statistics, DynamicConv2d on kernel fusion
 * unless told otherwise) and no tape.
 */
import { crossEntropy, noGrad, type Tensor, tidy } from '@dynconv/core';
import type { DataLoader } from '@dynconv/data';
import type { Module } from '@dynconv/nn';

/** What {@link evaluateModel} measures. */
export interface Evaluation {
  /** Mean cross entropy (no label smoothing). */
  loss: number;
  /** Fraction of images classified correctly. */
  accuracy: number;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  /** The predicted class of each image, in loader order. */
  predictions: Int32Array;
  /** Each image's gap between its two largest logits (small gaps may flip under rounding). */
  margins: Float32Array;
  images: number;
  seconds: number;
}

/**
 * Runs the model over one epoch of `loader` (which should not shuffle) in eval mode, restoring
 * the model's previous mode afterwards. `onBatch` is called after each batch, e.g. to yield to
 * the event loop so a Ctrl-C can be noticed; it may return true to stop early (then undefined
 * is returned).
 */
export async function evaluateModel(model: Module, loader: DataLoader, numClasses: number, onBatch?: (done: number, total: number) => Promise<boolean> | boolean): Promise<Evaluation | undefined> {
  const started = performance.now();
  const wasTraining = model.training;
  model.eval();
  const n = loader.dataset.length;
  const predictions = new Int32Array(n);
  const margins = new Float32Array(n);
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  try {
    for (const { images, labels } of loader.epochBatches(0)) {
      // tidy(): a device backend frees each batch's tensors at once.
      const { loss, logits } = noGrad(() =>
        tidy(() => {
          const out: Tensor = model.forward(images);
          return { loss: crossEntropy(out, labels, { reduction: 'sum' }).item(), logits: out.dataSync() };
        }),
      );
      const truth = labels.dataSync();
      images.dispose();
      labels.dispose();
      const b = truth.length;
      for (let i = 0; i < b; i++) {
        let best = 0;
        let second = -Infinity;
        for (let c = 1; c < numClasses; c++) {
          const v = logits[i * numClasses + c]!;
          if (v > logits[i * numClasses + best]!) {
            second = logits[i * numClasses + best]!;
            best = c;
          } else if (v > second) second = v;
        }
        predictions[seen + i] = best;
        margins[seen + i] = logits[i * numClasses + best]! - second;
        const t = truth[i]!;
        confusion[t]![best]!++;
        if (t === best) correct++;
      }
      lossSum += loss;
      seen += b;
      if (onBatch && (await onBatch(seen, n))) return undefined;
    }
  } finally {
    model.train(wasTraining);
  }
  return { loss: lossSum / seen, accuracy: correct / seen, confusion, predictions, margins, images: seen, seconds: (performance.now() - started) / 1000 };
}
