/**
 * @dynconv/gpu: a dynconv backend named 'gpu' whose kernels run on gpu.js (headless-gl in
 * Node, WebGL2/WebGL in a browser, WebAssembly or plain JS elsewhere), with tensors resident on
 * the device between kernels. Importing the package registers the backend:
 *
 * ```ts
 * import { setBackend, tidy } from '@dynconv/core';
 * import '@dynconv/gpu';
 * setBackend('gpu', { mode: 'auto' }); // or 'headlessgl', 'webgl2', 'webgl', 'webasm', 'cpu'
 * ```
 *
 * float32 only (int32 and bool tensors are stored as float32, exact up to 2^24); free device
 * memory with `tidy()` / `dispose()` from @dynconv/core.
 * @packageDocumentation
 */
import { defineBackendFactory, getBackend } from '@dynconv/core';
import { createGpuBackend, type GpuBackendHandle, type GpuBackendOptions } from './backend.js';

export { ALL_KERNELS, createGpuBackend, type GpuBackendHandle, type GpuBackendOptions } from './backend.js';
export { type GpuMode, MAX_ELEMENTS } from './context.js';
export { availableModes, candidateModes, MODES, type ModeAvailability, type ModeOption, type ModeReport } from './modes.js';
export { runParitySubset, type ParityResult } from './parity.js';

defineBackendFactory('gpu', (options) => createGpuBackend({ ...(options as GpuBackendOptions | undefined), name: 'gpu' }));

/** The 'gpu' backend (created on first use with the default mode), with its mode and renderer. */
export function gpuBackend(name = 'gpu'): GpuBackendHandle {
  const b = getBackend(name) as GpuBackendHandle;
  if (!('modeReport' in b)) throw new Error(`gpuBackend: backend '${name}' is not a gpu backend`);
  return b;
}
