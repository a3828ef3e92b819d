/** Datasets for the data package's tests (the run settings come from @dynconv/testing). */
import { ImageDataset } from '../src/index.js';

/**
 * A float32 dataset whose sample i is filled with the value i (so any batch shows which
 * samples it holds), labels i % numClasses.
 */
export function indexDataset(n: number, imageShape: [number, number, number] = [1, 2, 2], numClasses = 10): ImageDataset {
  const size = imageShape[0] * imageShape[1] * imageShape[2];
  const images = new Float32Array(n * size);
  for (let i = 0; i < n; i++) images.fill(i, i * size, (i + 1) * size);
  return new ImageDataset({ images, labels: Int32Array.from({ length: n }, (_, i) => i % numClasses), imageShape, numClasses });
}

/** A uint8 dataset of pseudo-random pixels (a fixed LCG, independent of the code under test). */
export function randomUint8Dataset(n: number, imageShape: [number, number, number], seed = 1): ImageDataset {
  const size = imageShape[0] * imageShape[1] * imageShape[2];
  const images = new Uint8Array(n * size);
  let x = seed >>> 0;
  for (let i = 0; i < images.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    images[i] = x >>> 24;
  }
  return new ImageDataset({ images, labels: Uint8Array.from({ length: n }, (_, i) => i % 10), imageShape, numClasses: 10 });
}
