import { DataLoader, ImageDataset, parseIdx } from '@dynconv/data';

const ds = new ImageDataset({ images: new Uint8Array(16), labels: new Uint8Array([0]), imageShape: [1, 4, 4] });
globalThis.result = [[...new DataLoader(ds, { batchSize: 1 })].length, typeof parseIdx];
