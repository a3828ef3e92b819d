/**
 * Pairs an IDX image file with an IDX label file (MNIST's layout) into an ImageDataset,
 * checking that they describe the same samples.
 */
import { ImageDataset } from './dataset.js';
import { DataFormatError, type IdxArray } from './idx.js';

/** Names for error messages, and the class count when it is known. */
export interface IdxPairOptions {
  /** The image file's name in errors (default `<images>`). */
  imagesFile?: string;
  /** The label file's name in errors (default `<labels>`). */
  labelsFile?: string;
  /** Number of classes; a label at or above it is an error (default: the largest label + 1). */
  numClasses?: number;
  /** The dataset's name (default: the image file's). */
  name?: string;
}

/**
 * Builds an {@link ImageDataset} from decoded IDX images (uint8, [N, H, W] or [N, C, H, W])
 * and labels (uint8, [N]).
 * @throws {@link DataFormatError} naming the file at fault: a wrong type or rank, a count
 * that differs between the two files (both are named), a label outside [0, numClasses).
 */
export function imageDatasetFromIdx(images: IdxArray, labels: IdxArray, opts: IdxPairOptions = {}): ImageDataset {
  const imagesFile = opts.imagesFile ?? '<images>';
  const labelsFile = opts.labelsFile ?? '<labels>';
  if (images.dtype !== 'uint8') throw new DataFormatError(imagesFile, `expected uint8 (type 0x08) images, got ${images.dtype}`);
  if (images.shape.length !== 3 && images.shape.length !== 4) {
    throw new DataFormatError(imagesFile, `expected images of shape [count, height, width] or [count, channels, height, width], got [${images.shape.join(', ')}]`);
  }
  if (labels.dtype !== 'uint8') throw new DataFormatError(labelsFile, `expected uint8 (type 0x08) labels, got ${labels.dtype}`);
  if (labels.shape.length !== 1) throw new DataFormatError(labelsFile, `expected labels of shape [count], got [${labels.shape.join(', ')}]`);
  const count = images.shape[0]!;
  if (labels.shape[0] !== count) {
    throw new DataFormatError(labelsFile, `${labels.shape[0]} labels but ${imagesFile} has ${count} images; the two files do not belong together`);
  }
  const imageShape = (images.shape.length === 3 ? [1, images.shape[1]!, images.shape[2]!] : images.shape.slice(1)) as [number, number, number];
  const labelData = labels.data as Uint8Array;
  if (opts.numClasses !== undefined) {
    const bad = labelData.findIndex((l) => l >= opts.numClasses!);
    if (bad >= 0) throw new DataFormatError(labelsFile, `label ${bad} is ${labelData[bad]}, outside [0, ${opts.numClasses})`);
  }
  if (imageShape.some((n) => n === 0)) throw new DataFormatError(imagesFile, `empty image shape [${imageShape.join(', ')}]`);
  return new ImageDataset({
    images: images.data as Uint8Array,
    labels: labelData,
    imageShape,
    ...(opts.numClasses === undefined ? {} : { numClasses: opts.numClasses }),
    name: opts.name ?? imagesFile,
  });
}
