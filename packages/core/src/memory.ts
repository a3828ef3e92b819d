/**
 * Deterministic memory management, for backends whose storage lives on a device (textures,
 * buffers) where waiting for the garbage collector is not good enough.
 *
 * - **Reference counts per storage.** Every Tensor object is a view over a storage; views
 *   (reshape, permute, detach...) share it. A storage is released (`backend.dispose`) when the
 *   last Tensor over it is disposed. Disposing one view therefore never pulls the data out from
 *   under another view: `dispose()` disposes *the tensor*, not the storage. A view that is never
 *   disposed keeps its storage alive until the garbage collector takes both (a device backend
 *   may use a FinalizationRegistry as a safety net).
 * - **`tidy(fn)`** disposes every tensor created while `fn` runs, except those it returns
 *   (a tensor, or arrays / plain objects of tensors, nested) and those passed to {@link keep}.
 *   Scopes nest; returned tensors belong to the enclosing scope.
 * - **Autograd.** Leaf gradients written by `backward()` are kept (they survive the tidy that ran
 *   backward); free them with `dispose()` (or an optimizer's `zeroGrad`, which disposes the
 *   gradients it drops). Saved tensors of a graph that outlives its tidy are disposed with it:
 *   call `backward()` inside the same scope as the forward pass.
 * - The CPU backend's `dispose` hands the typed array back to its buffer pool (cpu/buffer-pool.ts),
 *   so disposed (or tidied) tensors make the next allocations of the same size free. Tensors
 *   that are never disposed are simply collected by the GC.
 * - Backends without `dispose` keep no counts; there `dispose()` only marks the tensor, so that
 *   using it afterwards fails clearly ("tensor was disposed").
 */
import type { Storage } from './backend/backend.js';
import { getBackend } from './backend/registry.js';
import type { Tensor } from './tensor.js';

const refCounts = new WeakMap<Storage, number>();
const scopes: Tensor[][] = [];
const kept = new WeakSet<Tensor>();

/** @internal Called by the Tensor constructor: counts the view and tracks it in the open scope. */
export function trackTensor(t: Tensor, storage: Storage): void {
  if (storage.backend.dispose) refCounts.set(storage, (refCounts.get(storage) ?? 0) + 1);
  const scope = scopes[scopes.length - 1];
  if (scope) scope.push(t);
}

/** @internal Called once by `Tensor.dispose`: drops the view's reference to its storage. */
export function releaseStorage(storage: Storage): void {
  const dispose = storage.backend.dispose;
  if (!dispose) return;
  const n = (refCounts.get(storage) ?? 1) - 1;
  if (n > 0) {
    refCounts.set(storage, n);
    return;
  }
  refCounts.delete(storage);
  dispose.call(storage.backend, storage);
}

/** Tensors, or arrays and plain objects of them (nested), as {@link tidy} may return. */
export type TensorContainer = Tensor | null | undefined | void | number | string | boolean | TensorContainer[] | { [key: string]: TensorContainer };

function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && typeof (x as Tensor).dispose === 'function' && Array.isArray((x as Tensor).strides) && 'storage' in (x as object);
}

/** Every tensor inside a returned value (arrays and plain objects walked, at most 8 levels deep). */
function collect(x: unknown, out: Set<Tensor>, depth = 0): void {
  if (depth > 8 || typeof x !== 'object' || x === null) return;
  if (isTensor(x)) {
    out.add(x);
    return;
  }
  if (Array.isArray(x)) {
    for (const v of x) collect(v, out, depth + 1);
    return;
  }
  const proto = Object.getPrototypeOf(x);
  if (proto === Object.prototype || proto === null) for (const v of Object.values(x)) collect(v, out, depth + 1);
}

/**
 * Runs `fn` and disposes every tensor it created, except the ones it returns (a tensor, or
 * arrays / plain objects of tensors) and those passed to {@link keep}. Scopes nest: returned
 * tensors are handed to the enclosing scope. If `fn` throws, its tensors are disposed too.
 * `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new Error(`tidy: expected a function, got ${fn === null ? 'null' : typeof fn}`);
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) if (!kept.has(t)) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise || (typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function')) {
    for (const t of scope) if (!kept.has(t)) t.dispose();
    throw new Error('tidy: fn returned a Promise; tidy only works with synchronous functions (tensors must not outlive the scope while it waits)');
  }
  const returned = new Set<Tensor>();
  collect(result, returned);
  // Tensors this scope created and returns belong to the enclosing scope (when there is one);
  // returned tensors created elsewhere stay where they were.
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (kept.has(t)) continue;
    if (!returned.has(t)) t.dispose();
    else if (parent) parent.push(t);
    else t.storage.backend.leaveScope?.(t.storage); // no scope manages it any more
  }
  return result;
}

/**
 * Keeps `t`'s storage where its backend's kernels read it in place, for the storage's whole
 * life, instead of only while a {@link tidy} scope manages it: on the CPU backend, its
 * WebAssembly memory, so that the GEMM and the SIMD loops need not copy it in on every call
 * (a model's weights, made outside any scope, were copied whole into wasm memory by every
 * convolution). For long-lived tensors such as parameters; values, views and the tensor's
 * identity are unchanged, and backends without such a memory ignore it. Returns `t`.
 */
export function pinMemory<T extends Tensor>(t: T): T {
  t.storage.backend.pin?.(t.storage);
  return t;
}

/** Exempts `t` from every enclosing and future {@link tidy} scope; returns it. Dispose it yourself. */
export function keep<T extends Tensor>(t: T): T {
  kept.add(t);
  return t;
}

/** Disposes a tensor, or every tensor in an array or plain object (nested). */
export function dispose(x: TensorContainer): void {
  const all = new Set<Tensor>();
  collect(x, all);
  for (const t of all) t.dispose();
}

/** What {@link memory} reports. Counters are present only when the backend keeps them. */
export interface MemoryInfo {
  /** The backend reported on. */
  backend: string;
  /** Bytes of storage alive on the backend (device memory for a device backend). */
  numBytes?: number;
  /** Storages (textures, buffers) alive on the backend. */
  numStorages?: number;
  /** Backend-specific counters (a gpu backend: textures alive, kernels compiled...). */
  [counter: string]: string | number | undefined;
}

/** Live-memory counters of a backend (the default backend unless named). */
export function memory(backend?: string): MemoryInfo {
  const b = getBackend(backend);
  return { ...(b.memory?.() ?? {}), backend: b.name };
}

/** Number of open {@link tidy} scopes (0 outside any). */
export function tidyDepth(): number {
  return scopes.length;
}
