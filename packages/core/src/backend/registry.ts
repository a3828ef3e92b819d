import { isAllocationError, markAllocationError } from '../allocation.js';
import { withCopiesHint } from '../copies.js';
import type { AllKernelSignatures, Backend, FusedKernelName, KernelName, KernelTable, TensorInfo } from './backend.js';

export type { KernelTable } from './backend.js';

/**
 * The kernel registry: backends by name, each with its complete kernel table. Ops look kernels
 * up here through {@link runKernel}, never by importing a backend, and the registry imports no
 * backend either: each backend defines itself (the CPU backend in `cpu/register.ts`, the
 * reference backend in `reference/register.ts`, `@dynconv/gpu` when imported).
 */

/** Every kernel name, in the order of {@link KernelSignatures} (checked exhaustive at compile time). */
export const KERNEL_NAMES = [
  'Unary', 'Binary', 'Where', 'Reduce', 'ArgReduce', 'MatMul', 'Copy', 'Assign', 'Fill', 'Gather', 'ScatterAdd',
  'Conv2d', 'Conv2dBackpropInput', 'Conv2dBackpropFilter', 'PoolArgMax',
] as const satisfies readonly KernelName[];

// A kernel added to KernelSignatures but not to KERNEL_NAMES makes this line fail to compile.
const kernelNamesAreExhaustive: [Exclude<KernelName, (typeof KERNEL_NAMES)[number]>] extends [never] ? true : never = true;
void kernelNamesAreExhaustive;

/** Backend-specific settings given to {@link setBackend} (for example `{ mode: 'webasm' }` for 'gpu'). */
export type BackendOptions = Record<string, unknown>;

/** Makes a backend on first use; it must call {@link defineBackend} with its own name. */
export type BackendFactory = (options?: BackendOptions) => Backend;

const backends = new Map<string, Backend>();
const factories = new Map<string, BackendFactory>();
// Keyed by the backend object: a copy of a backend under another name has no kernels.
const tables = new WeakMap<Backend, KernelTable>();
let defaultName = 'cpu';

function refuseTaken(name: string): void {
  if (backends.has(name) || factories.has(name)) {
    throw new Error(`defineBackend: a backend named '${name}' is already registered`);
  }
}

/**
 * Registers `backend` under `backend.name` with its kernels: the one way to make a backend
 * usable. `kernels` must implement every kernel (a missing one is a compile error, and a
 * runtime error for untyped callers). A name can be defined once: a second backend under a
 * taken name (defined or pending in a factory) is refused. Returns `backend`.
 *
 * ```ts
 * const backend: Backend = { name: 'mine', fromArray, readSync, read };
 * defineBackend(backend, { Unary: ..., Binary: ..., ... });
 * ```
 */
export function defineBackend<B extends Backend>(backend: B, kernels: KernelTable): B {
  const name = backend.name;
  refuseTaken(name);
  const missing = KERNEL_NAMES.filter((k) => typeof (kernels as Partial<KernelTable>)[k] !== 'function');
  if (missing.length) {
    throw new Error(`defineBackend: backend '${name}' lacks kernel${missing.length > 1 ? 's' : ''} ${missing.map((k) => `'${k}'`).join(', ')}`);
  }
  tables.set(backend, { ...kernels });
  backends.set(name, backend);
  return backend;
}

/**
 * Reserves `name` for a backend made lazily: `factory` runs on the first {@link getBackend} or
 * {@link setBackend} of `name` (with `setBackend`'s options, if any) and must define the
 * backend with {@link defineBackend} under that same name, e.g.
 * `defineBackendFactory('cpu', () => createCpuBackend('cpu'))`. A taken name is refused.
 */
export function defineBackendFactory(name: string, factory: BackendFactory): void {
  refuseTaken(name);
  factories.set(name, factory);
}

/** Whether a backend (or a factory for one) is registered under `name`. */
export function hasBackend(name: string): boolean {
  return backends.has(name) || factories.has(name);
}

/** The backend registered under `name`, creating it on first use. */
export function getBackend(name: string = defaultName): Backend {
  return backends.get(name) ?? createBackend(name);
}

function createBackend(name: string, options?: BackendOptions): Backend {
  const factory = factories.get(name);
  if (!factory) {
    const known = [...new Set([...backends.keys(), ...factories.keys()])].join(', ');
    throw new Error(withCopiesHint(`getBackend: no backend named '${name}' is registered (known: ${known || 'none'})`));
  }
  // The factory defines the backend itself, so the name is released while it runs.
  factories.delete(name);
  let made: Backend;
  try {
    made = factory(options);
  } catch (e) {
    if (!backends.has(name)) factories.set(name, factory);
    throw e;
  }
  if (backends.get(name) !== made) {
    if (!backends.has(name)) factories.set(name, factory);
    throw new Error(`getBackend: the factory for '${name}' must define its backend with defineBackend under the name '${name}' (it returned '${made.name}')`);
  }
  return made;
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

/** Runs kernel `kernel` of `backend` (a backend registered with {@link defineBackend}). */
export function runKernel<K extends KernelName | FusedKernelName>(
  backend: Backend,
  kernel: K,
  ...args: Parameters<AllKernelSignatures[K]>
): ReturnType<AllKernelSignatures[K]> {
  const table = tables.get(backend);
  if (!table) throw new Error(`runKernel: backend '${backend.name}' is not registered (defineBackend registers a backend with its kernels)`);
  const fn = table[kernel] as unknown as ((...a: Parameters<AllKernelSignatures[K]>) => ReturnType<AllKernelSignatures[K]>) | undefined;
  if (!fn) throw new Error(`runKernel: backend '${backend.name}' has no kernel '${kernel}' (a fused kernel: check hasKernel first)`);
  try {
    return fn(...args);
  } catch (e) {
    // A kernel's output that cannot be allocated: say which kernel, on which inputs.
    if (isAllocationError(e) && e.message.startsWith('allocate:')) throw namedAllocationError(kernel, args, e);
    throw e;
  }
}

/**
 * Whether `backend` implements `kernel`: always true for primitive kernels, and for fused ones
 * (FusedKernelSignatures) when the backend provides them. Ops with a fused path ask this and
 * otherwise compose primitive kernels.
 */
export function hasKernel(backend: Backend, kernel: KernelName | FusedKernelName): boolean {
  return typeof tables.get(backend)?.[kernel] === 'function';
}

/** An allocation error from inside a kernel, renamed after the kernel and its inputs' shapes. */
function namedAllocationError(kernel: string, args: readonly unknown[], e: Error): Error {
  const shapes = args.filter((a): a is TensorInfo => typeof a === 'object' && a !== null && 'storage' in a && 'shape' in a).map((a) => `[${a.shape.join(', ')}]`);
  const named = new Error(`${kernel} on inputs of shape ${shapes.join(' and ') || '(none)'}${e.message.slice('allocate'.length)}`, { cause: e });
  return markAllocationError(named);
}
