/**
 * The data side of a run: which files, which subset, which transforms, which loaders. Kept in
 * one place so training, resuming and evaluation all see exactly the same batches.
 */
import { DataLoader, FASHION_MNIST_CLASSES, FASHION_MNIST_MEAN, FASHION_MNIST_STD, type ImageDataset, limitDataset, MNIST_CLASSES, MNIST_MEAN, MNIST_STD, normalize, randomCrop, randomHorizontalFlip, toTensor } from '@dynconv/data';
import { loadFashionMnist, loadMnist } from '@dynconv/data/node';
import type { DatasetName, TrainArgs } from './args.js';

/** Display name, class names and normalization of each data set. */
export const DATASET_INFO: Record<DatasetName, { title: string; classes: readonly string[]; mean: number; std: number }> = {
  mnist: { title: 'MNIST', classes: MNIST_CLASSES, mean: MNIST_MEAN, std: MNIST_STD },
  fashion: { title: 'Fashion-MNIST', classes: FASHION_MNIST_CLASSES, mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD },
};

/** One split of a data set, cut to the first `limit` images when a limit is given. */
export async function loadSplit(dataset: DatasetName, split: 'train' | 'test', limit?: number): Promise<ImageDataset> {
  const ds = dataset === 'mnist' ? await loadMnist(split) : await loadFashionMnist(split);
  return limitDataset(ds, limit);
}

/**
 * The training loader: shuffled from the run's seed, the last short batch dropped (so every step
 * sees a full batch and BatchNorm's statistics are comparable), optional augmentation: random
 * shifts, plus horizontal flips for Fashion-MNIST (clothes are left-right symmetric; digits are not).
 */
export function trainLoader(ds: ImageDataset, args: Pick<TrainArgs, 'dataset' | 'batchSize' | 'seed' | 'augment' | 'backend'>): DataLoader {
  const { mean, std } = DATASET_INFO[args.dataset];
  const augment = !args.augment ? [] : args.dataset === 'fashion' ? [randomCrop({ padding: 2 }), randomHorizontalFlip()] : [randomCrop({ padding: 2 })];
  const transform = [...augment, toTensor(), normalize(mean, std)];
  const dropLast = ds.length >= args.batchSize;
  return new DataLoader(ds, { batchSize: args.batchSize, shuffle: true, seed: args.seed, dropLast, transform, backend: args.backend });
}

/**
 * Batches for evaluation: in order, no augmentation. 100 images per batch: kernel fusion measured
 * faster at 50-100 than at 500 (the per-image kernels stay in cache).
 */
export function testLoader(ds: ImageDataset, dataset: DatasetName, backend: string, batchSize = 100): DataLoader {
  const { mean, std } = DATASET_INFO[dataset];
  return new DataLoader(ds, { batchSize, transform: [toTensor(), normalize(mean, std)], backend });
}
