const { parseIdx, encodeIdx } = require('@dynconv/data');
const { loadIdxDataset } = require('@dynconv/data/node');

const back = parseIdx(encodeIdx({ dtype: 'uint8', shape: [2], data: new Uint8Array([7, 9]) }));
console.log(JSON.stringify({ shape: back.shape, node: typeof loadIdxDataset }));
