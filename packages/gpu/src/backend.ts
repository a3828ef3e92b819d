/**
 * The gpu backend: dynconv's kernels on gpu.js, data resident on the device between kernels.
 */
import {
  type Backend, defineBackend, type DType, getBackend, KERNEL_NAMES, type KernelName, type KernelTable, runKernel, type Storage, type TensorInfo, type TypedArray,
} from '@dynconv/core';
import { GpuContext, type GpuMode } from './context.js';
import { type GpuBackend } from './kernels/common.js';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput } from './kernels/conv.js';
import { assign, binary, copy, fill, unary, where } from './kernels/elementwise.js';
import { gather, scatterAdd } from './kernels/indexing.js';
import { matmul } from './kernels/matmul.js';
import { poolArgMax } from './kernels/pool.js';
import { argReduce, reduce } from './kernels/reduce.js';
import { chooseMode, type ModeOption, type ModeReport } from './modes.js';
import { GpuStorage } from './storage.js';

/** Every kernel of the core's registry (core's `KERNEL_NAMES`); each has a gpu version here. */
export const ALL_KERNELS: readonly KernelName[] = KERNEL_NAMES;

/** Options of {@link createGpuBackend} and of `setBackend('gpu', options)`. */
export interface GpuBackendOptions {
  /** gpu.js mode, or 'auto' (the fastest that works, measured). Default: $DYNCONV_GPU_MODE or 'auto'. */
  mode?: ModeOption;
  /** Registry name (default 'gpu'). */
  name?: string;
  /** The modes 'auto' measures (default: headlessgl, webasm, cpu in Node; webgl2, webgl, webasm, cpu in a browser). */
  candidates?: readonly GpuMode[];
  /** Kernels to run through the CPU fallback even though a gpu version exists (for tests and comparisons). */
  cpuKernels?: readonly KernelName[];
}

/** The gpu backend's public face: a core Backend plus what it reports. */
export interface GpuBackendHandle extends GpuBackend {
  /** The mode kernels run in. */
  readonly mode: GpuMode;
  /** What runs them (the GL renderer string, or a description). */
  readonly renderer: string;
  /** How the mode was chosen ('auto' measures every available mode). */
  readonly modeReport: ModeReport;
  /** Kernels that ran through the CPU fallback so far, with call counts. */
  readonly fallbacks: Map<KernelName, number>;
  /** Kernels that have a gpu implementation in this backend. */
  readonly nativeKernels: readonly KernelName[];
}

const env = (k: string): string | undefined => (typeof process !== 'undefined' ? process.env?.[k] : undefined);

function toFloat32(dtype: DType, data: TypedArray, op: string): Float32Array {
  if (dtype === 'float64') {
    throw new Error(`gpu backend: ${op}: float64 tensors cannot live on the gpu backend (it computes in float32 only); convert with .float() before moving the tensor to 'gpu'`);
  }
  if (dtype === 'float32') return data as Float32Array;
  if (dtype === 'int32') {
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v > 16777216 || v < -16777216) throw new Error(`gpu backend: ${op}: int32 value ${v} cannot be stored exactly (the gpu backend stores int32 as float32, exact up to 2^24 in magnitude)`);
    }
  }
  return Float32Array.from(data as ArrayLike<number>);
}

function fromFloat32(dtype: DType, f: Float32Array): TypedArray {
  if (dtype === 'int32') return Int32Array.from(f);
  if (dtype === 'bool') return Uint8Array.from(f, (v) => (v !== 0 ? 1 : 0));
  return f;
}

/** Creates a gpu backend and registers it under `opts.name` (default 'gpu'; a taken name is refused). */
export function createGpuBackend(opts: GpuBackendOptions = {}): GpuBackendHandle {
  const name = opts.name ?? 'gpu';
  const requested = opts.mode ?? ((env('DYNCONV_GPU_MODE') as ModeOption | undefined) || 'auto');
  const { ctx, report } = chooseMode(requested, opts.candidates);
  const fallbacks = new Map<KernelName, number>();
  const logged = new Set<KernelName>();

  const backend: GpuBackendHandle = {
    name,
    ctx,
    mode: ctx.mode,
    renderer: ctx.renderer,
    modeReport: report,
    fallbacks,
    nativeKernels: [],
    wrap: (dtype, size, data) => new GpuStorage(backend, dtype, size, data, ctx),
    fromArray(dtype: DType, data: TypedArray): Storage {
      const f = toFloat32(dtype, data, 'fromArray');
      const s = backend.wrap(dtype, f.length, f.length === 0 ? new Float32Array(0) : ctx.upload(f));
      if (dtype === 'int32' && f.length > 0) {
        let lo = Infinity;
        let hi = -Infinity;
        for (const v of f) {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        s.range = [lo, hi];
      }
      return s;
    },
    readSync(s: Storage): TypedArray {
      const g = s as GpuStorage;
      if (g.size === 0) return fromFloat32(g.dtype, new Float32Array(0));
      return fromFloat32(g.dtype, ctx.toHost(g.data, g.size));
    },
    async read(s: Storage): Promise<TypedArray> {
      return backend.readSync(s);
    },
    dispose(s: Storage): void {
      (s as GpuStorage).release();
    },
    memory() {
      return {
        numBytes: ctx.numBytes,
        numStorages: ctx.numTextures,
        numTextures: ctx.numTextures,
        kernelsCompiled: ctx.kernelsCompiled,
        kernelsCached: ctx.cachedKernels,
        launches: ctx.launches,
        fallbackCalls: [...fallbacks.values()].reduce((a, b) => a + b, 0),
        mode: ctx.mode,
      };
    },
    configure(options: Record<string, unknown>): void {
      const mode = options.mode as ModeOption | undefined;
      if (mode === undefined || mode === ctx.mode || (mode === 'auto' && report.requested === 'auto')) return;
      throw new Error(
        `setBackend: the '${name}' backend already runs in mode '${ctx.mode}'; a backend's mode is fixed once created (tensors live in its memory). Create another one with createGpuBackend({ name: '${name}-${mode}', mode: '${mode}' })`,
      );
    },
  };

  // A KernelTable: a kernel missing here is a compile error.
  const native: KernelTable = {
    Unary: (op, x, d) => unary(backend, op, x, d),
    Binary: (op, a, b, d) => binary(backend, op, a, b, d),
    Where: (c, a, b, d) => where(backend, c, a, b, d),
    Reduce: (op, x, axes, d) => reduce(backend, op, x, axes, d),
    ArgReduce: (op, x, axis) => argReduce(backend, op, x, axis),
    MatMul: (a, b, d) => matmul(backend, a, b, d),
    Copy: (x, d) => copy(backend, x, d),
    Assign: (dst, src) => {
      if (!assign(backend, dst, src)) viaCpu('Assign', [dst, src]);
    },
    Fill: (n, v, d) => fill(backend, n, v, d),
    Gather: (x, dim, index) => gather(backend, x, dim, index),
    ScatterAdd: (base, dim, index, src) => scatterAdd(backend, base, dim, index, src),
    Conv2d: (x, w, p) => conv2d(backend, x, w, p),
    Conv2dBackpropInput: (dy, w, shape, p) => conv2dBackpropInput(backend, dy, w, shape, p),
    Conv2dBackpropFilter: (x, dy, shape, p) => conv2dBackpropFilter(backend, x, dy, shape, p),
    PoolArgMax: (x, rows, cols) => poolArgMax(backend, x, rows, cols),
  };

  /** Runs a kernel on the CPU backend: inputs read back, the result uploaded (in place for Assign). */
  function viaCpu(kernel: KernelName, args: unknown[]): unknown {
    fallbacks.set(kernel, (fallbacks.get(kernel) ?? 0) + 1);
    if (!logged.has(kernel)) {
      logged.add(kernel);
      if (env('DYNCONV_DEBUG')) console.debug(`[dynconv/gpu] kernel '${kernel}' has no ${ctx.mode} version here: running it on the CPU backend (inputs read back, result uploaded)`);
    }
    const cpu = getBackend('cpu');
    const moved = args.map((a) => {
      if (typeof a !== 'object' || a === null || !('storage' in a) || !('strides' in a)) return a;
      const t = a as TensorInfo;
      if (t.storage.backend !== backend) return a;
      const host = cpu.fromArray(t.dtype, backend.readSync(t.storage).slice());
      return { storage: host, dtype: t.dtype, shape: t.shape, strides: t.strides, offset: t.offset } satisfies TensorInfo;
    });
    const out = (runKernel as (b: Backend, k: KernelName, ...a: unknown[]) => unknown)(cpu, kernel, ...moved);
    if (kernel === 'Assign') {
      const dst = args[0] as TensorInfo;
      const written = cpu.readSync((moved[0] as TensorInfo).storage);
      (dst.storage as GpuStorage).replace(ctx.upload(toFloat32(dst.dtype, written, 'Assign')));
      return undefined;
    }
    const s = out as Storage;
    return backend.fromArray(s.dtype, cpu.readSync(s));
  }

  // Kernels named in `cpuKernels` run through the CPU fallback instead (tests and comparisons).
  const forced = new Set(opts.cpuKernels ?? []);
  const table: Record<string, unknown> = {};
  for (const k of KERNEL_NAMES) table[k] = forced.has(k) ? (...args: unknown[]) => viaCpu(k, args) : native[k];
  (backend as { nativeKernels: readonly KernelName[] }).nativeKernels = KERNEL_NAMES.filter((k) => !forced.has(k));
  return defineBackend(backend, table as KernelTable);
}
