import type { Backend, Storage } from '../backend/backend.js';
import { defineBackend, type KernelTable } from '../backend/registry.js';
import type { DType, TypedArray } from '../dtype.js';
import { accumulate, assign, binary, copy, fill, unary, where } from './elementwise.js';
import { adamStep, sgdStep } from './adam.js';
import { batchNormTrain, batchNormTrainGrad, channelAffine } from './batchnorm.js';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput } from './conv.js';
import { gather, scatterAdd } from './indexing.js';
import { matmul } from './matmul.js';
import { poolArgMax } from './pool.js';
import { argReduce, reduce } from './reduce.js';
import { BufferPool } from './buffer-pool.js';
import { attachPool, CpuStorage } from './storage.js';

/** Options of {@link createCpuBackend}. */
export interface CpuBackendOptions {
  /** Most megabytes the buffer pool keeps for reuse (default: DYNCONV_POOL_MB, else 1024; 0 turns pooling off). */
  poolMB?: number;
  /** Register the fused kernels (default true); false leaves the ops on their compositions of primitive kernels, for comparisons. */
  fusedKernels?: boolean;
  /**
   * Keep float tensors' storage in the backend's WebAssembly memory where it is shared (default
   * true unless DYNCONV_WASM_HEAP=0), so the GEMM and SIMD elementwise kernels use it in place.
   */
  wasmMemory?: boolean;
}

/** Most bytes the pool keeps for reuse: DYNCONV_POOL_MB (default 1024; 0 turns pooling off). */
function poolCapBytes(): number {
  const env = typeof process !== 'undefined' ? process.env?.DYNCONV_POOL_MB : undefined;
  const mb = env === undefined || env === '' ? 1024 : Number(env);
  if (!Number.isFinite(mb) || mb < 0) throw new Error(`DYNCONV_POOL_MB must be a non-negative number of megabytes, got ${JSON.stringify(env)}`);
  return mb * 2 ** 20;
}

/**
 * The fast CPU backend: typed arrays in host memory, float32 and float64, with compiled
 * elementwise loops, a WebAssembly SIMD GEMM and a buffer pool that disposed tensors return
 * their storage to. Creates the backend and registers it under `backendName` (a taken name is
 * refused); the default 'cpu' instance is registered lazily by `cpu/register.ts`. Another name
 * gives a second, separate instance (tests use one to exercise cross-backend errors and
 * transfers, or to compare pooling off and on).
 */
export function createCpuBackend(backendName = 'cpu', options: CpuBackendOptions = {}): Backend {
  const backend: Backend = {
    name: backendName,
    fromArray: (dtype: DType, data: TypedArray): Storage => new CpuStorage(backend, dtype, pool.adopt(dtype, data)),
    readSync: (s: Storage) => (s as CpuStorage).data,
    read: async (s: Storage) => (s as CpuStorage).data,
    // Storage goes back to the pool when its last tensor is disposed (memory.ts counts views).
    dispose: (s: Storage) => (s as CpuStorage).release(pool),
    leaveScope: (s: Storage) => (s as CpuStorage).leaveWasm(pool),
    pin: (s: Storage) => (s as CpuStorage).pin(pool),
    memory: () => ({ ...pool.stats() }),
  };
  const pool = new BufferPool(options.poolMB !== undefined ? options.poolMB * 2 ** 20 : poolCapBytes(), options.wasmMemory ?? true);
  attachPool(backend, pool);
  const kernels: KernelTable = {
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
    ScatterAdd: (b, dim, index, src) => scatterAdd(backend, b, dim, index, src),
    Conv2d: (x, w, p) => conv2d(backend, x, w, p),
    Conv2dBackpropInput: (dy, w, shape, p) => conv2dBackpropInput(backend, dy, w, shape, p),
    Conv2dBackpropFilter: (x, dy, shape, p) => conv2dBackpropFilter(backend, x, dy, shape, p),
    PoolArgMax: (x, rows, cols) => poolArgMax(backend, x, rows, cols),
  };
  // Fused kernels (optional in a KernelTable; the ops compose primitives without them).
  const fused: Partial<KernelTable> = {
    BatchNormTrain: (x, w, b, eps) => batchNormTrain(backend, x, w, b, eps),
    BatchNormTrainGrad: (dy, x, mean, invStd, w) => batchNormTrainGrad(backend, dy, x, mean, invStd, w),
    ChannelAffine: (x, scale, shift, act) => channelAffine(backend, x, scale, shift, act),
    AdamStep: (p, g, m, v, vmax, s) => adamStep(backend, p, g, m, v, vmax, s),
    Accumulate: (dst, src) => accumulate(dst, src),
    SgdStep: (p, g, b, s) => sgdStep(backend, p, g, b, s),
  };
  return defineBackend(backend, options.fusedKernels === false ? kernels : { ...kernels, ...fused });
}
