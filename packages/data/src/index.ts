/**
 * @dynconv/data: datasets, the IDX format, transforms and a seeded DataLoader. This entry
 * never touches the file system, so it runs in a browser given arrays; the loaders that
 * read files (MNIST, Fashion-MNIST, IDX files, gzip) are in `@dynconv/data/node`.
 * @packageDocumentation
 * @module @dynconv/data
 */
export { DataFormatError, IDX_TYPE_BYTES, IDX_TYPE_CODES, isGzip, parseIdx, type IdxArray, type IdxArrayTypes, type IdxDType } from './idx.js';
export { encodeIdx } from './idx-encode.js';
export { ImageDataset, type Dataset, type ImageDatasetInit, type ImageSample, type PixelArray } from './dataset.js';
export { imageDatasetFromIdx, type IdxPairOptions } from './idx-dataset.js';
export { limitDataset, parseLimit, subsetIndices, type LimitOptions } from './subset.js';
export { deriveSeed, permutation, streamGenerator, STREAM_SHUFFLE, STREAM_SUBSET, STREAM_TRANSFORM } from './seed.js';
export { normalize, randomCrop, randomHorizontalFlip, toTensor, type Affine, type RandomCropOptions, type SampleInfo, type Transform } from './transforms.js';
export { compilePipeline, type SampleWriter } from './pipeline.js';
export { DataLoader, type Batch, type DataLoaderOptions, type DataLoaderState } from './data-loader.js';
export { FASHION_MNIST_CLASSES, FASHION_MNIST_MEAN, FASHION_MNIST_STD, MNIST_CLASSES, MNIST_MEAN, MNIST_STD } from './dataset-info.js';
