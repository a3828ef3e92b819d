/**
 * The messages between the page and the training worker (train-worker.ts). Plain data only, so
 * they survive structured cloning; weights travel as safetensors bytes (transferred, not copied).
 */

/** Which backend to train on: the CPU backend (WebAssembly SIMD) or the gpu backend on WebGL2. */
export type BackendChoice = 'cpu' | 'gpu';

/** Page -> worker. */
export type ToWorker =
  | {
    type: 'start';
    backend: BackendChoice;
    batchSize: number;
    /** Training images (the first N of the subset). */
    images: number;
    epochs: number;
    seed: number;
    /** Absolute URLs of the subset's IDX files (the worker's own URL is elsewhere in the site). */
    data: { trainImages: string; trainLabels: string; testImages: string; testLabels: string };
  }
  /** Stop after the current step; the worker then evaluates and sends the weights. */
  | { type: 'stop' };

/** One optimizer step's numbers. */
export interface StepReport {
  step: number;
  /** This step's training loss (label-smoothed cross entropy, as the trainer's). */
  loss: number;
  /** This step's batch accuracy. */
  accuracy: number;
  /** Training images per second over the last few steps. */
  imagesPerSecond: number;
  lr: number;
}

/** Worker -> page. */
export type FromWorker =
  /** What the worker is doing, in words ("loading the MNIST subset", "compiling WebGL kernels"). */
  | { type: 'status'; text: string }
  /** The backend actually used; `notice` says why it differs from the one asked for. */
  | { type: 'backend'; backend: BackendChoice; detail: string; notice?: string }
  | { type: 'started'; totalSteps: number; parameters: number }
  | ({ type: 'step' } & StepReport)
  /** Training ended (finished or stopped): playground weights, and accuracy on the test subset. */
  | { type: 'done'; weights: Uint8Array; steps: number; stopped: boolean; testAccuracy: number; testImages: number; seconds: number }
  | { type: 'error'; message: string };
