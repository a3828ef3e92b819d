/**
 * Datasets: a PyTorch-like `Dataset` interface and `ImageDataset`, labelled images held in
 * two flat typed arrays (uint8 pixels stay uint8: MNIST's 60k images take 47 MB, not 188),
 * which is what lets the DataLoader batch with bulk typed-array copies.
 */

/** Anything indexable with a length, like `torch.utils.data.Dataset`. */
export interface Dataset<T> {
  /** Number of samples. */
  readonly length: number;
  /** The sample at `index` (0 <= index < length). */
  get(index: number): T;
}

/** Pixel storage: raw 0-255 bytes, or floats already scaled by the caller. */
export type PixelArray = Uint8Array | Float32Array;

/** One labelled image; `image` is a view into the dataset, channels x height x width. */
export interface ImageSample {
  /** The pixels, channels x height x width (a view into the dataset's array). */
  readonly image: PixelArray;
  /** The class index. */
  readonly label: number;
}

/** What {@link ImageDataset} is built from. */
export interface ImageDatasetInit {
  /** length x channels x height x width values, row-major. */
  readonly images: PixelArray;
  /** One class index per image. */
  readonly labels: Uint8Array | Int32Array;
  /** [channels, height, width] of every image. */
  readonly imageShape: readonly [number, number, number];
  /** Number of classes; labels must lie in [0, numClasses). Defaults to the largest label + 1. */
  readonly numClasses?: number;
  /** Shown in errors and `toString`. */
  readonly name?: string;
}

/**
 * Labelled images in flat arrays. Browser-safe: give it arrays from anywhere (a fetch, a
 * canvas, a generated set); the Node loaders in `@dynconv/data/node` build it from files.
 */
export class ImageDataset implements Dataset<ImageSample> {
  /** Every image's pixels, length x channels x height x width, row-major. */
  readonly images: PixelArray;
  /** One class index per image. */
  readonly labels: Uint8Array | Int32Array;
  /** Number of images. */
  readonly length: number;
  /** Channels per image. */
  readonly channels: number;
  /** Image height in pixels. */
  readonly height: number;
  /** Image width in pixels. */
  readonly width: number;
  /** channels * height * width. */
  readonly sampleSize: number;
  /** Number of classes; every label lies in [0, numClasses). */
  readonly numClasses: number;
  /** Shown in errors and `toString`. */
  readonly name: string;

  /** @throws Error when the arrays disagree with each other or with `imageShape`, or a label is out of range. */
  constructor(init: ImageDatasetInit) {
    const { images, labels, imageShape } = init;
    this.name = init.name ?? 'ImageDataset';
    if (imageShape.length !== 3 || !imageShape.every((n) => Number.isInteger(n) && n > 0)) {
      throw new Error(`${this.name}: imageShape must be three positive integers [channels, height, width], got [${imageShape.join(', ')}]`);
    }
    [this.channels, this.height, this.width] = imageShape;
    this.sampleSize = this.channels * this.height * this.width;
    this.length = labels.length;
    if (images.length !== this.length * this.sampleSize) {
      throw new Error(`${this.name}: ${this.length} labels need ${this.length * this.sampleSize} pixel values of shape [${imageShape.join(', ')}], got ${images.length}`);
    }
    let max = -1;
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      if (l < 0) throw new Error(`${this.name}: label ${i} is negative (${l})`);
      if (l > max) max = l;
    }
    this.numClasses = init.numClasses ?? max + 1;
    if (!Number.isInteger(this.numClasses) || this.numClasses < 0) throw new Error(`${this.name}: numClasses must be a non-negative integer, got ${this.numClasses}`);
    if (max >= this.numClasses) throw new Error(`${this.name}: label ${labels.indexOf(max)} is ${max}, outside [0, ${this.numClasses})`);
    this.images = images;
    this.labels = labels;
  }

  /** The image (a view, not a copy) and label at `index`. */
  get(index: number): ImageSample {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) throw new RangeError(`${this.name}: index ${index} outside [0, ${this.length})`);
    const start = index * this.sampleSize;
    return { image: this.images.subarray(start, start + this.sampleSize), label: this.labels[index]! };
  }

  /** A new dataset of the samples at `indices`, in that order (copied, so it owns its arrays). */
  select(indices: ArrayLike<number>, name = `${this.name} subset`): ImageDataset {
    const n = indices.length;
    const size = this.sampleSize;
    const images = this.images instanceof Float32Array ? new Float32Array(n * size) : new Uint8Array(n * size);
    const labels = this.labels instanceof Int32Array ? new Int32Array(n) : new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const j = indices[i]!;
      if (!Number.isInteger(j) || j < 0 || j >= this.length) throw new RangeError(`${this.name}: index ${j} outside [0, ${this.length})`);
      images.set(this.images.subarray(j * size, (j + 1) * size), i * size);
      labels[i] = this.labels[j]!;
    }
    return new ImageDataset({ images, labels, imageShape: [this.channels, this.height, this.width], numClasses: this.numClasses, name });
  }

  /** Per-class sample counts, index = class. */
  classCounts(): number[] {
    const counts = new Array<number>(this.numClasses).fill(0);
    for (let i = 0; i < this.length; i++) counts[this.labels[i]!]!++;
    return counts;
  }

  toString(): string {
    return `${this.name}(${this.length} x [${this.channels}, ${this.height}, ${this.width}] ${this.images instanceof Uint8Array ? 'uint8' : 'float32'}, ${this.numClasses} classes)`;
  }
}
