/**
 * The reference backend: every kernel written for a reader, as plain loops over multi-indices
 * with one index formula (storage.ts), computing in double and storing the output dtype. It is
 * slow on purpose and exists as the oracle the fast backends are tested against
 * (test/reference-parity.test.ts in core and gpu). It is registered as 'reference':
 *
 * ```ts
 * const x = randn([2, 3], { backend: 'reference' });
 * ```
 *
 * One file per family of kernels: elementwise.ts, reduce.ts, matmul.ts, indexing.ts, conv.ts,
 * pool.ts, and the fused kernels' definitions: batchnorm.ts, adam.ts.
 */
import type { Backend, KernelTable, Storage } from '../backend/backend.js';
import { defineBackend } from '../backend/registry.js';
import type { DType, TypedArray } from '../dtype.js';
import { adamStep, sgdStep } from './adam.js';
import { batchNormTrain, batchNormTrainGrad, channelAffine } from './batchnorm.js';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput } from './conv.js';
import { accumulate, assign, binary, copy, fill, unary, where } from './elementwise.js';
import { gather, scatterAdd } from './indexing.js';
import { matmul } from './matmul.js';
import { poolArgMax } from './pool.js';
import { argReduce, reduce } from './reduce.js';
import { ReferenceStorage } from './storage.js';

/** The reference kernels, making their outputs on `backend`. */
export function referenceKernels(backend: Backend): KernelTable {
  return {
    Unary: (name, x, d) => unary(backend, name, x, d),
    Binary: (name, a, b, d) => binary(backend, name, a, b, d),
    Where: (c, a, b, d) => where(backend, c, a, b, d),
    Reduce: (name, x, axes, d) => reduce(backend, name, x, axes, d),
    ArgReduce: (name, x, axis) => argReduce(backend, name, x, axis),
    MatMul: (a, b, d) => matmul(backend, a, b, d),
    Copy: (x, d) => copy(backend, x, d),
    Assign: (dst, src) => assign(dst, src),
    Fill: (n, v, d) => fill(backend, n, v, d),
    Gather: (x, dim, index) => gather(backend, x, dim, index),
    ScatterAdd: (base, dim, index, src) => scatterAdd(backend, base, dim, index, src),
    Conv2d: (x, w, p) => conv2d(backend, x, w, p),
    Conv2dBackpropInput: (dy, w, shape, p) => conv2dBackpropInput(backend, dy, w, shape, p),
    Conv2dBackpropFilter: (x, dy, shape, p) => conv2dBackpropFilter(backend, x, dy, shape, p),
    PoolArgMax: (x, rows, cols) => poolArgMax(backend, x, rows, cols),
    BatchNormTrain: (x, w, b, eps) => batchNormTrain(backend, x, w, b, eps),
    BatchNormTrainGrad: (dy, x, mean, invStd, w) => batchNormTrainGrad(backend, dy, x, mean, invStd, w),
    ChannelAffine: (x, scale, shift, act) => channelAffine(backend, x, scale, shift, act),
    AdamStep: (p, g, m, v, vmax, s) => adamStep(p, g, m, v, vmax, s),
    Accumulate: (dst, src) => accumulate(dst, src),
    SgdStep: (p, g, b, s) => sgdStep(p, g, b, s),
  };
}

/**
 * Creates a reference backend and registers it under `name` (a taken name is refused). The
 * default instance, 'reference', is registered lazily on import of @dynconv/core.
 */
export function createReferenceBackend(name = 'reference'): Backend {
  const backend: Backend = {
    name,
    // The storage keeps its own copy: the caller's array stays the caller's.
    fromArray: (dtype: DType, data: TypedArray): Storage => new ReferenceStorage(backend, dtype, data.slice()),
    readSync: (s: Storage) => (s as ReferenceStorage).data,
    read: async (s: Storage) => (s as ReferenceStorage).data,
  };
  return defineBackend(backend, referenceKernels(backend));
}
