/**
 * The Train tab's worker: trains a fresh Dy-CNN on the MNIST subset off the main thread, so the
 * page stays responsive, and reports every step (protocol.ts). The loop is tools/train's: the
 * same net, optimizer, schedule, loss and data pipeline (settings.ts), without the file system.
 *
 * Between steps it yields to its event loop, so a 'stop' message takes effect after the current
 * step. At the end (finished or stopped) it evaluates the weights on the test subset on the CPU
 * backend and sends them to the page as playground weights.
 */
import { crossEntropy, Generator, noGrad, setBackend, tidy } from '@dynconv/core';
import { DataLoader, MNIST_MEAN, MNIST_STD, normalize, toTensor, type ImageDataset } from '@dynconv/data';
import { DEFAULT_CONFIG, DyCnn } from '../../../tools/models/dy-cnn.js';
import { buildOptimizer, buildScheduler, currentLr } from '../../../tools/train/optim.js';
import { buildModel, decodeWeights, encodeWeights } from './model.js';
import { fetchMnist } from './mnist-subset.js';
import type { BackendChoice, FromWorker, ToWorker } from './protocol.js';
import { TRAINING } from './settings.js';
import { webgl2Available } from './webgl.js';

/** The worker's global scope, as far as this file uses it (the DOM lib types `self` as a Window). */
const scope = self as unknown as { postMessage(m: FromWorker, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
const send = (m: FromWorker, transfer?: Transferable[]) => scope.postMessage(m, transfer);

let stopRequested = false;
let running = false;

scope.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'stop') stopRequested = true;
  else if (msg.type === 'start' && !running) {
    running = true;
    stopRequested = false;
    train(msg)
      .catch((err: unknown) => send({ type: 'error', message: err instanceof Error ? err.message : String(err) }))
      .finally(() => (running = false));
  }
};

/** Lets queued messages (a stop) in; a MessageChannel turn, not setTimeout's clamped 4 ms. */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(null);
  });
}

/** Switches to the backend asked for, or says why it cannot and uses the CPU backend. */
async function useBackend(wanted: BackendChoice): Promise<BackendChoice> {
  if (wanted === 'gpu') {
    if (!webgl2Available()) {
      setBackend('cpu');
      send({ type: 'backend', backend: 'cpu', detail: 'CPU backend (WebAssembly SIMD)', notice: 'WebGL2 is not available here, so training runs on the CPU backend instead.' });
      return 'cpu';
    }
    send({ type: 'status', text: 'loading the gpu backend (gpu.js)…' });
    // Imported only when asked for: gpu.js is most of the worker's code.
    const { gpuBackend } = await import('@dynconv/gpu');
    setBackend('gpu', { mode: 'webgl2' });
    const b = gpuBackend();
    send({ type: 'backend', backend: 'gpu', detail: `gpu backend, mode ${b.mode}: ${b.renderer}` });
    return 'gpu';
  }
  setBackend('cpu');
  send({ type: 'backend', backend: 'cpu', detail: 'CPU backend (WebAssembly SIMD)' });
  return 'cpu';
}

async function train(msg: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const started = performance.now();
  send({ type: 'status', text: 'loading the MNIST subset…' });
  const [trainAll, test] = await Promise.all([
    fetchMnist(msg.data.trainImages, msg.data.trainLabels, 'MNIST train subset'),
    fetchMnist(msg.data.testImages, msg.data.testLabels, 'MNIST test subset'),
  ]);
  const trainSet = trainAll.select(Array.from({ length: Math.min(msg.images, trainAll.length) }, (_, i) => i));
  const backend = await useBackend(msg.backend);

  const model = new DyCnn({ ...DEFAULT_CONFIG, kind: 'dynamic' }, { generator: new Generator(msg.seed) });
  model.train().setFusion(TRAINING.trainFusion);
  const loader = new DataLoader(trainSet, { batchSize: msg.batchSize, shuffle: true, seed: msg.seed, dropLast: true, transform: [toTensor(), normalize(MNIST_MEAN, MNIST_STD)], backend });
  const totalSteps = loader.length * msg.epochs;
  const optimizer = buildOptimizer(model, TRAINING);
  const scheduler = buildScheduler(optimizer, TRAINING, totalSteps);
  send({ type: 'started', totalSteps, parameters: model.numParameters() });
  if (backend === 'gpu') send({ type: 'status', text: 'compiling the WebGL kernels (the first step takes a while)…' });

  let step = 0;
  const recent: { t: number; n: number }[] = [{ t: performance.now(), n: 0 }];
  outer: for (let epoch = 0; epoch < msg.epochs; epoch++) {
    for (const batch of loader) {
      const lr = currentLr(optimizer);
      const { loss, correct } = tidy(() => {
        const logits = model.forward(batch.images);
        const l = crossEntropy(logits, batch.labels, { labelSmoothing: TRAINING.labelSmoothing });
        optimizer.zeroGrad();
        l.backward();
        optimizer.step();
        return { loss: l.item(), correct: countCorrect(logits.dataSync(), batch.labels.dataSync()) };
      });
      batch.images.dispose();
      batch.labels.dispose();
      scheduler?.step();
      step++;
      if (!Number.isFinite(loss)) throw new Error(`the loss became ${loss} at step ${step}`);
      // Images per second over the last 10 steps (the first, compiling, step drops out).
      const b = batch.labels.shape[0]!;
      recent.push({ t: performance.now(), n: recent.at(-1)!.n + b });
      if (recent.length > 11) recent.shift();
      const first = recent[0]!;
      const last = recent.at(-1)!;
      send({ type: 'step', step, loss, accuracy: correct / b, imagesPerSecond: ((last.n - first.n) * 1000) / (last.t - first.t), lr });
      await yieldToEvents();
      if (stopRequested) break outer;
    }
  }

  send({ type: 'status', text: `evaluating on ${test.length} test images…` });
  const info = { source: `trained in this page: ${step} steps of ${msg.batchSize} on the ${backend === 'gpu' ? 'gpu (WebGL2)' : 'CPU'} backend` };
  // Weights leave the device as bytes; the evaluation runs on the CPU backend, fast here.
  setBackend('cpu');
  const cpuModel = buildModel(decodeWeights(encodeWeights(model, info)));
  const testAccuracy = evaluate(cpuModel, test);
  const final = encodeWeights(cpuModel, { ...info, testAccuracy, testImages: test.length });
  send({ type: 'done', weights: final, steps: step, stopped: stopRequested, testAccuracy, testImages: test.length, seconds: (performance.now() - started) / 1000 }, [final.buffer]);
}

/** Accuracy on `ds`, in eval mode, 100 images at a time. */
function evaluate(model: DyCnn, ds: ImageDataset): number {
  const loader = new DataLoader(ds, { batchSize: 100, transform: [toTensor(), normalize(MNIST_MEAN, MNIST_STD)] });
  let correct = 0;
  for (const { images, labels } of loader.epochBatches(0)) {
    correct += noGrad(() => tidy(() => countCorrect(model.forward(images).dataSync(), labels.dataSync())));
    images.dispose();
    labels.dispose();
  }
  return correct / ds.length;
}

/** Rows of `logits` [N, 10] whose largest entry is the label. */
function countCorrect(logits: ArrayLike<number>, labels: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (logits[i * 10 + c]! > logits[i * 10 + best]!) best = c;
    if (best === labels[i]) correct++;
  }
  return correct;
}
