// @dynconv/nn from CommonJS, both entries.
const { tensor } = require('@dynconv/core');
const { Linear } = require('@dynconv/nn');
const { saveCheckpoint } = require('@dynconv/nn/node');

const y = new Linear(2, 3).forward(tensor([[1, 2]]));
console.log(JSON.stringify({ shape: y.shape, node: typeof saveCheckpoint }));
