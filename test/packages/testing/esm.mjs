// @dynconv/testing from ESM: a property over generated shapes and layouts, with expectClose,
// checkGradients, and a failure message naming the worst element.
import { tanh } from '@dynconv/core';
import { checkGradients, expectClose, runs, tensorArb } from '@dynconv/testing';
import fc from 'fast-check';

let cases = 0;
fc.assert(
  fc.property(tensorArb({ maxDims: 3 }), (inp) => {
    const x = inp.view();
    expectClose(tanh(x), Array.from(x.dataSync(), Math.tanh), { rtol: 1e-15, atol: 1e-15 });
    checkGradients((l) => tanh(inp.view(l)), [inp.leaf], { second: true });
    cases++;
  }),
  runs(),
);
let message = '';
try {
  expectClose([1, 2, 3], [1, 2, 3.5]);
} catch (e) {
  message = e.message;
}
console.log(JSON.stringify({ cases, message }));
