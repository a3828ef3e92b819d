import type { Backend, Storage } from '../backend/backend.js';
import { registerKernel } from '../backend/registry.js';
import type { DType, TypedArray } from '../dtype.js';
import { assign, binary, copy, fill, unary, where } from './elementwise.js';
import { gather, scatterAdd } from './indexing.js';
import { matmul } from './matmul.js';
import { argReduce, reduce } from './reduce.js';
import { CpuStorage } from './storage.js';

/**
 * The reference backend: pure TypeScript over typed arrays, float32 and float64.
 * Every other backend is tested against it.
 */
export function createCpuBackend(): Backend {
  const backend: Backend = {
    name: 'cpu',
    fromArray: (dtype: DType, data: TypedArray): Storage => new CpuStorage(backend, dtype, data),
    readSync: (s: Storage) => (s as CpuStorage).data,
    read: async (s: Storage) => (s as CpuStorage).data,
  };
  registerKernel('cpu', 'Unary', (name, x, d) => unary(backend, name, x, d));
  registerKernel('cpu', 'Binary', (name, a, b, d) => binary(backend, name, a, b, d));
  registerKernel('cpu', 'Where', (c, a, b, d) => where(backend, c, a, b, d));
  registerKernel('cpu', 'Reduce', (name, x, axes, d) => reduce(backend, name, x, axes, d));
  registerKernel('cpu', 'ArgReduce', (name, x, axis) => argReduce(backend, name, x, axis));
  registerKernel('cpu', 'MatMul', (a, b, d) => matmul(backend, a, b, d));
  registerKernel('cpu', 'Copy', (x, d) => copy(backend, x, d));
  registerKernel('cpu', 'Assign', (dst, src) => assign(dst, src));
  registerKernel('cpu', 'Fill', (n, v, d) => fill(backend, n, v, d));
  registerKernel('cpu', 'Gather', (x, dim, index) => gather(backend, x, dim, index));
  registerKernel('cpu', 'ScatterAdd', (b, dim, index, src) => scatterAdd(backend, b, dim, index, src));
  return backend;
}
