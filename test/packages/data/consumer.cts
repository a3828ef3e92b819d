import data = require('@dynconv/data');

export const ds: data.ImageDataset = new data.ImageDataset({ images: new Uint8Array(4), labels: new Uint8Array([0]), imageShape: [1, 2, 2] });
