// @dynconv/testing from CommonJS (require of an ES module, Node >= 20.19).
const fc = require('fast-check');
const { shapeArb, runs } = require('@dynconv/testing');
const pkg = require('@dynconv/testing/package.json');

const shapes = fc.sample(shapeArb({ minDims: 1, maxDims: 2, maxSize: 3 }), { numRuns: 20, seed: 1 });
console.log(JSON.stringify({ ok: shapes.every((s) => s.length >= 1 && s.length <= 2 && s.every((d) => d >= 1 && d <= 3)), numRuns: runs().numRuns, version: pkg.version }));
