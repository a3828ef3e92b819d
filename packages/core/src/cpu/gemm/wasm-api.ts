/**
 * The few parts of the WebAssembly JS API the kernels use, typed locally: the package
 * compiles against lib ES2022 without DOM typings, and WebAssembly may be absent (some
 * sandboxed or old runtimes), so it is looked up on globalThis rather than assumed.
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Grows by `pages` 64 KiB pages; detaches the previous buffer (a shared one stays valid, but its length does not follow). */
  grow(pages: number): number;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmNamespace {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => WasmInstance;
}

/** The global WebAssembly object, or undefined where the runtime has none. */
export function wasmApi(): WasmNamespace | undefined {
  return (globalThis as { WebAssembly?: WasmNamespace }).WebAssembly;
}

/** Bytes in one wasm memory page. */
export const WASM_PAGE = 65536;
