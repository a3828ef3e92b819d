// @dynconv/data with core and without the optional dataset packages.
import { DataLoader, ImageDataset, toTensor } from '@dynconv/data';
import { loadMnist } from '@dynconv/data/node';

const images = new Uint8Array(6 * 4 * 4).map((_, i) => i % 256);
const ds = new ImageDataset({ images, labels: new Uint8Array([0, 1, 2, 0, 1, 2]), imageShape: [1, 4, 4] });
const batches = [...new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 1, transform: [toTensor()] })];
let missing = '';
try {
  await loadMnist('train');
} catch (e) {
  missing = e.message;
}
console.log(JSON.stringify({ batches: batches.map((b) => b.images.shape), missing }));
