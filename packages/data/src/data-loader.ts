/**
 * The DataLoader: batches of `{ images: [B, C, H, W] float32, labels: [B] int32 }` tensors
 * from an ImageDataset, with seeded shuffling and per-batch seeded augmentation.
 *
 * Reproducibility design: nothing is carried from batch to batch. Epoch e's order is a
 * permutation drawn from a Generator seeded by (seed, e); batch b's augmentations draw from
 * one seeded by (seed, e, b). So the loader's whole state is { seed, epoch, batch }:
 * save it with `getState()` next to a checkpoint, `setState()` it into a fresh loader, and
 * the run continues with exactly the batches it would have seen, mid-epoch included.
 */
import { fromTypedArray, type Generator, type Tensor } from '@dynconv/core';
import type { ImageDataset } from './dataset.js';
import { compilePipeline, type SampleWriter } from './pipeline.js';
import { permutation, STREAM_SHUFFLE, STREAM_TRANSFORM, streamGenerator } from './seed.js';
import type { Transform } from './transforms.js';

/** One batch. */
export interface Batch {
  /** [B, channels, height, width] float32. */
  readonly images: Tensor;
  /** [B] int32 class indices. */
  readonly labels: Tensor;
  /** The dataset index of each sample. */
  readonly indices: Int32Array;
  /** The epoch and the position within it this batch came from. */
  readonly epoch: number;
  /** The batch's position within its epoch (0-based). */
  readonly batch: number;
}

/** Where a loader is: the next batch it yields is batch `batch` of epoch `epoch`. */
export interface DataLoaderState {
  /** The loader's seed (shuffling and augmentation). */
  readonly seed: number;
  /** The epoch of the next batch (0-based). */
  readonly epoch: number;
  /** The next batch's position within that epoch (0-based). */
  readonly batch: number;
  /** Recorded to catch restoring into a loader that batches differently. */
  readonly batchSize: number;
  /** Recorded to catch restoring into a loader over a different dataset. */
  readonly datasetLength: number;
}

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions {
  /** Samples per batch; default 1, as in PyTorch. */
  batchSize?: number;
  /** Visit the samples in a new random order each epoch; default false. */
  shuffle?: boolean;
  /** Seeds shuffling and augmentation; default 0. */
  seed?: number;
  /** When no `seed` is given, the seed is one draw (nextUint32) from this generator, taken at construction. */
  generator?: Generator;
  /** Skip the last batch of an epoch when it would be smaller than `batchSize`; default false. */
  dropLast?: boolean;
  /** Steps applied to every sample, in order (see transforms.ts). */
  transform?: Transform | readonly Transform[];
  /** Backend for the batch tensors; the current default unless stated. */
  backend?: string;
}

/**
 * Iterates an {@link ImageDataset} in batches. `for (const b of loader)` runs from the
 * current position to the end of the epoch and then moves to the next epoch, so each loop
 * is one epoch; breaking out of a loop leaves the position after the last batch yielded,
 * and the next loop resumes there. {@link DataLoader.batchAt} and {@link DataLoader.epochBatches}
 * read any batch without touching the position.
 */
export class DataLoader implements Iterable<Batch> {
  /** The dataset it reads. */
  readonly dataset: ImageDataset;
  /** Samples per batch. */
  readonly batchSize: number;
  /** Whether each epoch visits the samples in a new seeded random order. */
  readonly shuffle: boolean;
  /** Whether an epoch's last, smaller batch is skipped. */
  readonly dropLast: boolean;
  /** The steps applied to every sample, in order. */
  readonly transforms: readonly Transform[];
  private seed_: number;
  private epoch_ = 0;
  private batch_ = 0;
  private readonly writer: SampleWriter;
  private readonly backend: string | undefined;
  private order: { epoch: number; seed: number; indices: Int32Array } | undefined;

  constructor(dataset: ImageDataset, opts: DataLoaderOptions = {}) {
    const batchSize = opts.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    if (opts.seed !== undefined && !Number.isFinite(opts.seed)) throw new Error(`DataLoader: seed must be a finite number, got ${opts.seed}`);
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.seed_ = opts.seed ?? opts.generator?.nextUint32() ?? 0;
    this.transforms = opts.transform === undefined ? [] : Array.isArray(opts.transform) ? [...(opts.transform as readonly Transform[])] : [opts.transform as Transform];
    this.backend = opts.backend;
    this.writer = compilePipeline(this.transforms, {
      channels: dataset.channels,
      height: dataset.height,
      width: dataset.width,
      source: dataset.images instanceof Uint8Array ? 'uint8' : 'float32',
    });
  }

  /** The seed in use. */
  get seed(): number {
    return this.seed_;
  }

  /** The epoch the next batch comes from. */
  get epoch(): number {
    return this.epoch_;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The position, to save with a checkpoint. */
  getState(): DataLoaderState {
    return { seed: this.seed_, epoch: this.epoch_, batch: this.batch_, batchSize: this.batchSize, datasetLength: this.dataset.length };
  }

  /**
   * Restores a position from {@link getState}; the seed is restored too.
   * @throws Error when the state is malformed or was saved by a loader with another batch size or dataset length.
   */
  setState(state: DataLoaderState): this {
    const { seed, epoch, batch, batchSize, datasetLength } = state ?? ({} as DataLoaderState);
    if (!Number.isFinite(seed) || !Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(batch) || batch < 0) {
      throw new Error(`DataLoader.setState: expected { seed, epoch, batch, batchSize, datasetLength } from getState(), got ${JSON.stringify(state)}`);
    }
    if (batchSize !== this.batchSize || datasetLength !== this.dataset.length) {
      throw new Error(`DataLoader.setState: the state is for batchSize ${batchSize} over ${datasetLength} samples; this loader has batchSize ${this.batchSize} over ${this.dataset.length}`);
    }
    if (batch > this.length) throw new Error(`DataLoader.setState: batch ${batch} is past the ${this.length} batches of an epoch`);
    this.seed_ = seed;
    // "Just past the last batch" is the start of the next epoch.
    const wrap = batch === this.length && batch > 0;
    this.epoch_ = wrap ? epoch + 1 : epoch;
    this.batch_ = wrap ? 0 : batch;
    return this;
  }

  /** Moves to the start of `epoch` (like DistributedSampler.set_epoch). */
  setEpoch(epoch: number): this {
    if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`DataLoader.setEpoch: epoch must be a non-negative integer, got ${epoch}`);
    this.epoch_ = epoch;
    this.batch_ = 0;
    return this;
  }

  /** The order samples are visited in during `epoch` (the identity without shuffling); do not modify it. */
  epochOrder(epoch: number): Int32Array {
    const o = this.order;
    if (o && o.epoch === epoch && o.seed === this.seed_) return o.indices;
    const n = this.dataset.length;
    const indices = this.shuffle ? permutation(n, streamGenerator(this.seed_, STREAM_SHUFFLE, epoch)) : Int32Array.from({ length: n }, (_, i) => i);
    this.order = { epoch, seed: this.seed_, indices };
    return indices;
  }

  /** Batch `batch` of `epoch`, computed without moving the position. */
  batchAt(epoch: number, batch: number): Batch {
    if (!Number.isInteger(batch) || batch < 0 || batch >= this.length) throw new RangeError(`DataLoader: batch ${batch} outside [0, ${this.length})`);
    const order = this.epochOrder(epoch);
    const start = batch * this.batchSize;
    const end = Math.min(start + this.batchSize, order.length);
    const indices = order.slice(start, end);
    const ds = this.dataset;
    const size = ds.sampleSize;
    const b = indices.length;
    const images = new Float32Array(b * size);
    const labels = new Int32Array(b);
    const rng = streamGenerator(this.seed_, STREAM_TRANSFORM, epoch, batch);
    const src = ds.images;
    const write = this.writer;
    for (let i = 0; i < b; i++) {
      const j = indices[i]!;
      write(src, j * size, images, i * size, rng);
      labels[i] = ds.labels[j]!;
    }
    const opts = this.backend === undefined ? {} : { backend: this.backend };
    return {
      images: fromTypedArray(images, [b, ds.channels, ds.height, ds.width], 'float32', opts),
      labels: fromTypedArray(labels, [b], 'int32', opts),
      indices,
      epoch,
      batch,
    };
  }

  /** The batches of `epoch` from `start` on, without moving the position. */
  *epochBatches(epoch: number, start = 0): IterableIterator<Batch> {
    for (let b = start; b < this.length; b++) yield this.batchAt(epoch, b);
  }

  /** Yields from the current position to the end of its epoch, then moves to the next epoch. */
  *[Symbol.iterator](): Iterator<Batch> {
    if (this.length === 0) {
      this.epoch_++;
      return;
    }
    for (;;) {
      const epoch = this.epoch_;
      const b = this.batch_;
      const batch = this.batchAt(epoch, b);
      // Advance before yielding: a state saved while the caller handles this batch resumes
      // after it, and after an epoch's last batch it already points at the next epoch.
      const last = b + 1 >= this.length;
      this.epoch_ = last ? epoch + 1 : epoch;
      this.batch_ = last ? 0 : b + 1;
      yield batch;
      if (last) return;
    }
  }
}
