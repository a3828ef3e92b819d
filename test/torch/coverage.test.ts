/**
 * "Every op of core" as a check rather than a promise: each function @dynconv/core exports is
 * either run against PyTorch by one of the suites' op tables, checked by another torch suite
 * (named below), or not an op with a PyTorch counterpart (the reason below). A new export fails
 * here until it is placed. Needs no PyTorch, so it runs everywhere.
 */
import * as core from '@dynconv/core';
import { describe, expect, it } from 'vitest';
import * as tables from './ops-table.js';

/** Exports compared with PyTorch outside the op tables, with the suite that does it. */
const OTHER_SUITE: Record<string, string> = {
  adamStep_: 'optim.test.ts (Adam/AdamW trajectories use it)',
  channelAffine: 'models.test.ts (eval BatchNorm of the fused backbones) and conv.test.ts batchNormEval',
  max: 'reduce.test.ts maxDim/maxAll',
  min: 'reduce.test.ts minDim/minAll',
  variance: 'reduce.test.ts var',
  var_: 'reduce.test.ts var',
  sgdStep_: 'bit-identical (nn/test/sgd-fused.test.ts) to the SGD rule optim.test.ts compares with PyTorch',
};

/** Exports that are not ops with a PyTorch counterpart to compare against. */
const NOT_AN_OP: Record<string, string> = {
  // Randomness: dynconv's generator is its own (xoshiro), so values cannot match torch's.
  dropout: 'random mask from dynconv\'s generator; its scaling and gradient are property-tested',
  rand: 'random', randn: 'random', randint: 'random', randperm: 'random', permutation: 'random', manualSeed: 'random',
  // Creation and copies: exact by construction, unit-tested.
  tensor: 'creation', fromTypedArray: 'creation', zeros: 'creation', ones: 'creation', full: 'creation',
  zerosLike: 'creation', onesLike: 'creation', fullLike: 'creation', clone: 'copy', contiguous: 'copy',
  copyInto: 'copy', cast: 'dtype conversion', view: 'view of the same storage', sumToShape: 'internal broadcasting helper',
  // Framework machinery.
  tidy: 'memory', keep: 'memory', dispose: 'memory', memory: 'memory', tidyDepth: 'memory', pinMemory: 'memory',
  grad: 'autograd API', noGrad: 'autograd API', enableGrad: 'autograd API', isGradEnabled: 'autograd API', record: 'autograd API',
  gradcheck: 'testing', gradgradcheck: 'testing',
  detectAnomaly: 'debugging', setDetectAnomaly: 'debugging', isAnomalyEnabled: 'debugging',
  getBackend: 'backends', setBackend: 'backends', hasBackend: 'backends', getBackendName: 'backends', toBackend: 'backends',
  defineBackend: 'backends', defineBackendFactory: 'backends', createCpuBackend: 'backends', createReferenceBackend: 'backends',
  runKernel: 'kernel registry', hasKernel: 'kernel registry',
  getNumThreads: 'threads', setNumThreads: 'threads', threadsSupported: 'threads',
  computeConv2dInfo: 'geometry helper (checked through conv2d)', broadcastShapes: 'shape helper', contiguousStrides: 'shape helper',
  isContiguous: 'shape helper', shapesEqual: 'shape helper', formatShape: 'formatting', sizeOf: 'shape helper',
  promoteTypes: 'dtype helper', isFloating: 'dtype helper',
  loadedCopies: 'packaging (two copies of core)', notATensorError: 'error message helper',
};

describe('PyTorch parity: coverage of core\'s exports', () => {
  const inTables = new Set(Object.values(tables).flatMap((t) => (typeof t === 'object' && t !== null ? Object.keys(t) : [])));
  const functions = Object.entries(core)
    .filter(([name, value]) => typeof value === 'function' && /^[a-z]/.test(name))
    .map(([name]) => name);

  it('every exported function is compared with PyTorch, or says why not', () => {
    const unplaced = functions.filter((f) => !inTables.has(f) && !(f in OTHER_SUITE) && !(f in NOT_AN_OP));
    expect(unplaced, `core exports neither run against PyTorch nor listed in coverage.test.ts`).toEqual([]);
  });

  it('the lists name only real exports, and nothing listed is also in a table', () => {
    const exported = new Set(functions);
    const listed = [...Object.keys(OTHER_SUITE), ...Object.keys(NOT_AN_OP)];
    expect(listed.filter((f) => !exported.has(f))).toEqual([]);
    expect(listed.filter((f) => inTables.has(f))).toEqual([]);
  });
});
