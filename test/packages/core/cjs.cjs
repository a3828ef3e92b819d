// @dynconv/core from CommonJS (require of an ES module, Node >= 20.19).
const { tensor } = require('@dynconv/core');
const pkg = require('@dynconv/core/package.json');

const y = tensor([[1, 2], [3, 4]]).matmul(tensor([[1], [1]]));
console.log(JSON.stringify({ y: y.toArray(), version: pkg.version }));
