// Type-checked with strict settings (module nodenext, an ES module file).
import { type Tensor, tensor } from '@dynconv/core';
import { type Input, broadcastPairArb, checkGradients, expectClose, inputArb, runs } from '@dynconv/testing';
import fc from 'fast-check';

const pairs: fc.Arbitrary<[number[], number[]]> = broadcastPairArb({ maxDims: 3 });
fc.assert(
  fc.property(pairs.chain(([a, b]) => fc.tuple(inputArb(a), inputArb(b, 'positive'))), ([x, y]: [Input, Input]) => {
    const z: Tensor = x.view().mul(y.view());
    expectClose(z, z.contiguous(), { rtol: 0, atol: 0 });
    checkGradients((l, m) => x.view(l).mul(y.view(m)), [x.leaf, y.leaf]);
  }),
  runs(0.5),
);
expectClose(tensor([1, 2]), [1, 2]);
