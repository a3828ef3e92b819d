/**
 * @dynconv/data/node: the loaders that touch the file system (IDX files, gzip, MNIST,
 * Fashion-MNIST and its binary cache). Re-exports the browser-safe entry too, so Node code
 * needs one import.
 * @packageDocumentation
 * @module @dynconv/data/node
 */
export * from './index.js';
export { loadIdxDataset, readIdxFile, readMaybeGzip } from './node/idx-file.js';
export { loadMnist, mnistDataDir, type MnistOptions, type Split } from './node/mnist.js';
export {
  convertFashionMnistJson, decodeFashionMnistClass, fashionMnistCachePath, fashionMnistSourceDir, loadFashionMnist, loadFashionMnistSplits, type FashionMnistOptions, type FashionMnistSplits,
} from './node/fashion-mnist.js';
export { decodeDatasetCache, readDatasetCache, writeDatasetCache, type CacheReadResult } from './node/dataset-cache.js';
export { writeFileAtomic } from './node/atomic-write.js';
export { defaultCacheDir } from './node/cache-dir.js';
export { DATASET_PACKAGES, datasetPackageDir, type DatasetPackage } from './node/dataset-package.js';
