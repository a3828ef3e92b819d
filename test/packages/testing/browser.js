// The browser entry, bundled by vite: must pull in no node: module.
import { tensor } from '@dynconv/core';
import { expectClose, runs, shapeArb } from '@dynconv/testing';
import fc from 'fast-check';

fc.assert(fc.property(shapeArb({ maxDims: 2 }), (s) => s.length <= 2), runs());
expectClose(tensor([1, 2]).add(1), [2, 3]);
globalThis.result = runs().numRuns;
