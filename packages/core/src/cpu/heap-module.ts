/**
 * A module of generated WebAssembly functions over the backend's wasm memory (wasm-heap.ts):
 * assembled and compiled on first use, with an on/off switch so tests can compare it with the
 * JavaScript loops it stands in for. Every `simd-*.ts` file of the CPU backend is one of these.
 */
import { assembleModule, type WasmFunction } from './gemm/wasm-assembler.js';
import { WASM_PAGE, wasmApi } from './gemm/wasm-api.js';
import { type WasmHeap, wasmHeap } from './wasm-heap.js';

/** The functions' module, importing `env.memory` with the heap's limits. */
export function buildHeapModule(functions: readonly WasmFunction[], shared: boolean, maximumPages: number): Uint8Array {
  return assembleModule({
    functions,
    importedMemory: { module: 'env', name: 'memory', initialPages: 1, maximumPages: shared ? maximumPages : undefined, shared },
  });
}

/** What a compiled module gives: the heap it runs on and its exports by name. */
export interface HeapKernels<F> {
  heap: WasmHeap;
  fns: Record<string, F>;
}

export class HeapModule<F = (...args: number[]) => unknown> {
  private kernels: HeapKernels<F> | null | undefined;
  private enabled = true;

  constructor(private readonly functions: () => readonly WasmFunction[]) {}

  /** The module's bytes for a heap of these limits (exposed for validation tests). */
  build(shared: boolean, maximumPages: number): Uint8Array {
    return buildHeapModule(this.functions(), shared, maximumPages);
  }

  /** Turns the module on or off (off: callers run their JavaScript loops). Returns the old setting. */
  setEnabled(on: boolean): boolean {
    const old = this.enabled;
    this.enabled = on;
    return old;
  }

  /** The compiled functions, or null where they cannot run: turned off, no WebAssembly SIMD, tensors not in wasm memory. */
  get(): HeapKernels<F> | null {
    if (!this.enabled) return null;
    if (this.kernels !== undefined) return this.kernels;
    this.kernels = null;
    const api = wasmApi();
    const heap = wasmHeap();
    if (!api || !heap || !heap.holdsTensors) return null;
    const bytes = this.build(heap.shared, heap.maxBytes / WASM_PAGE);
    if (!api.validate(bytes)) return null;
    try {
      const inst = new api.Instance(new api.Module(bytes), { env: { memory: heap.memory } });
      this.kernels = { heap, fns: inst.exports as Record<string, F> };
    } catch {
      this.kernels = null; // e.g. a content-security policy that forbids compiling wasm
    }
    return this.kernels;
  }
}
