import type { Backend, KernelName, KernelSignatures } from './backend.js';
import { createCpuBackend } from '../cpu/index.js';

/**
 * The kernel registry: backends by name, and each backend's kernels by name. Ops look
 * kernels up here through {@link runKernel}, never by importing a backend.
 */
const backends = new Map<string, Backend>();
const kernels = new Map<string, Map<string, unknown>>();
const factories = new Map<string, (options?: BackendOptions) => Backend>();
let defaultName = 'cpu';

/** Backend-specific settings given to {@link setBackend} (for example `{ mode: 'webasm' }` for 'gpu'). */
export type BackendOptions = Record<string, unknown>;

/** Registers a backend lazily: `factory` runs on first use, with the options of `setBackend` if any. */
export function registerBackendFactory(name: string, factory: (options?: BackendOptions) => Backend): void {
  factories.set(name, factory);
}

/** Registers a ready backend object. */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

/** Registers one kernel implementation for a backend (tfjs-core's `registerKernel`). */
export function registerKernel<K extends KernelName>(backendName: string, kernel: K, fn: KernelSignatures[K]): void {
  let table = kernels.get(backendName);
  if (!table) kernels.set(backendName, (table = new Map()));
  table.set(kernel, fn);
}

/** The backend registered under `name`, creating it on first use. */
export function getBackend(name: string = defaultName): Backend {
  return backends.get(name) ?? createBackend(name);
}

function createBackend(name: string, options?: BackendOptions): Backend {
  const factory = factories.get(name);
  if (!factory) {
    const known = [...new Set([...backends.keys(), ...factories.keys()])].join(', ');
    throw new Error(`getBackend: no backend named '${name}' is registered (known: ${known || 'none'})`);
  }
  const b = factory(options);
  backends.set(name, b);
  return b;
}

/**
 * Makes `name` the backend new tensors are created on. `options` configure it: passed to its
 * factory on first use, or to its `configure` method when it already exists.
 */
export function setBackend(name: string, options?: BackendOptions): void {
  const existing = backends.get(name);
  if (options === undefined) getBackend(name);
  else if (!existing) createBackend(name, options);
  else if (existing.configure) existing.configure(options);
  else throw new Error(`setBackend: backend '${name}' takes no options (got ${JSON.stringify(options)})`);
  defaultName = name;
}

/** The name of the backend new tensors are created on. */
export function getBackendName(): string {
  return defaultName;
}

/** Runs kernel `kernel` of `backend`; a missing kernel is a clear error, not a crash. */
export function runKernel<K extends KernelName>(
  backend: Backend,
  kernel: K,
  ...args: Parameters<KernelSignatures[K]>
): ReturnType<KernelSignatures[K]> {
  const fn = kernels.get(backend.name)?.get(kernel) as ((...a: unknown[]) => ReturnType<KernelSignatures[K]>) | undefined;
  if (!fn) throw new Error(`runKernel: backend '${backend.name}' has no kernel '${kernel}'`);
  return fn(...args);
}

registerBackendFactory('cpu', () => createCpuBackend('cpu'));
