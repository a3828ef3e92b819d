import { type Batch, DataLoader, ImageDataset } from '@dynconv/data';
import { loadMnist } from '@dynconv/data/node';

const ds = new ImageDataset({ images: new Uint8Array(16), labels: new Uint8Array([0]), imageShape: [1, 4, 4] });
export const first: Batch | undefined = [...new DataLoader(ds, { batchSize: 1 })][0];
export const load: typeof loadMnist = loadMnist;
