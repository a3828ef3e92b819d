/**
 * The CPU backend's WebAssembly memory: one memory that the GEMM kernels, their helper threads
 * and the SIMD elementwise kernels all import, and where the pool places float tensors' storage.
 *
 * Why: a kernel in WebAssembly can only read its own memory. With tensors stored elsewhere,
 * every GEMM copied its operands in (a sixth of a training step) and an elementwise op in wasm
 * would cost two copies in and one out, more than the op. With the storage already in wasm
 * memory, kernels read and write it in place.
 *
 * Layout: a bump allocator hands out 64-byte aligned blocks; a block comes back when the
 * typed array viewing it is garbage-collected (FinalizationRegistry), and is reused for the
 * next request of the same rounded size. While a view lives, its block is never handed out,
 * so the pool's rules (memory.ts counts views; an array is reused only after its last tensor
 * was disposed) keep holding. Scratch space for the GEMM (packed panels, its C workspace) is
 * one block that is replaced by a larger one when a call needs more.
 *
 * Tensors go here only when the memory is shared (a SharedArrayBuffer): growing a shared
 * memory leaves earlier views valid, while growing a private one detaches them. Elsewhere
 * (a browser page that is not cross-origin isolated) the memory holds only scratch space and
 * tensors keep ordinary typed arrays. `DYNCONV_WASM_HEAP=0` keeps tensors out as well.
 */
import { WASM_PAGE, type WasmMemory, wasmApi } from './gemm/wasm-api.js';

/** Pages a shared memory may grow to: 4 GiB, the most wasm32 addresses (1 GiB where refused). */
const MAX_PAGES = [65536, 16384];

/** Blocks are rounded to cache lines, which also aligns every v128 access of the kernels. */
const ALIGN = 64;

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** One wasm memory and the allocator over it. */
export class WasmHeap {
  /** Whether tensors' storage may live here (the memory is shared, and not turned off). */
  readonly holdsTensors: boolean;
  private top = ALIGN; // address 0 is never handed out
  private readonly freeBlocks = new Map<number, number[]>();
  private readonly buffers = new WeakSet<object>();
  private readonly registry: FinalizationRegistry<readonly [number, number]>;
  private f32: Float32Array;
  private f64: Float64Array;
  private scratchAt = 0;
  private scratchBytes = 0;
  /** Bytes in live blocks handed out for tensors (not counting scratch), for `memory()`. */
  tensorBytes = 0;

  constructor(
    readonly memory: WasmMemory,
    readonly shared: boolean,
    readonly maxBytes: number,
    tensors: boolean,
  ) {
    this.holdsTensors = shared && tensors;
    this.registry = new FinalizationRegistry(([at, bytes]) => {
      this.tensorBytes -= bytes;
      this.listFor(bytes).push(at);
    });
    this.f32 = new Float32Array(memory.buffer);
    this.f64 = new Float64Array(memory.buffer);
    this.buffers.add(memory.buffer);
  }

  /** The whole memory as float32 / float64 (valid until the memory next grows). */
  get heapF32(): Float32Array {
    return this.f32;
  }
  get heapF64(): Float64Array {
    return this.f64;
  }

  /** Makes the memory at least `bytes` long; false when it cannot grow that far. */
  ensure(bytes: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (have >= bytes) return true;
    if (bytes > this.maxBytes) return false;
    try {
      this.memory.grow(Math.ceil((bytes - have) / WASM_PAGE));
    } catch {
      return false; // the engine could not commit the pages
    }
    this.f32 = new Float32Array(this.memory.buffer);
    this.f64 = new Float64Array(this.memory.buffer);
    this.buffers.add(this.memory.buffer);
    return true;
  }

  /** The byte address of a block of at least `bytes`, or -1 when the memory is full. */
  private alloc(bytes: number): number {
    const size = roundUp(Math.max(bytes, 1), ALIGN);
    const reused = this.freeBlocks.get(size)?.pop();
    if (reused !== undefined) return reused;
    if (!this.ensure(this.top + size)) return -1;
    const at = this.top;
    this.top += size;
    return at;
  }

  private listFor(size: number): number[] {
    let list = this.freeBlocks.get(size);
    if (!list) this.freeBlocks.set(size, (list = []));
    return list;
  }

  /**
   * A zero-filled (when `zero`) typed array of `size` elements in this memory, or null when
   * tensors do not live here or the memory is full (the caller then allocates a plain array).
   * Its block returns to the allocator when the array is garbage-collected.
   */
  view(dtype: 'float32' | 'float64', size: number, zero: boolean): Float32Array | Float64Array | null {
    if (!this.holdsTensors) return null;
    const E = dtype === 'float32' ? 4 : 8;
    const bytes = roundUp(size * E, ALIGN);
    const at = this.alloc(bytes);
    if (at < 0) return null;
    const arr = dtype === 'float32' ? new Float32Array(this.memory.buffer, at, size) : new Float64Array(this.memory.buffer, at, size);
    if (zero) arr.fill(0); // a reused block holds a collected tensor's values
    this.registry.register(arr, [at, bytes] as const, arr);
    this.tensorBytes += bytes;
    return arr;
  }

  /** Frees the block of a view made by {@link view} now, instead of when it is collected. */
  free(arr: Float32Array | Float64Array): void {
    if (!this.registry.unregister(arr)) return; // not one of ours, or already freed
    const bytes = roundUp(Math.max(arr.byteLength, 1), ALIGN);
    this.tensorBytes -= bytes;
    this.listFor(bytes).push(arr.byteOffset);
  }

  /** The byte address of `arr`'s first element when it lies in this memory, else -1. */
  addressOf(arr: ArrayBufferView): number {
    return this.buffers.has(arr.buffer) ? arr.byteOffset : -1;
  }

  /**
   * The byte address of a scratch block of at least `bytes` (its contents do not survive the
   * next call that needs a larger one). Throws when the memory cannot hold it.
   */
  scratch(bytes: number): number {
    if (bytes <= this.scratchBytes) return this.scratchAt;
    // The old block is simply abandoned to the allocator's free list for its size.
    if (this.scratchBytes > 0) this.listFor(this.scratchBytes).push(this.scratchAt);
    const size = roundUp(Math.max(bytes, this.scratchBytes * 1.5), 64 * 1024);
    const at = this.alloc(size);
    if (at < 0) throw new Error(`cpu backend: WebAssembly memory cannot hold ${size} bytes of GEMM scratch space (${this.memory.buffer.byteLength} bytes in use)`);
    this.scratchAt = at;
    this.scratchBytes = size;
    return at;
  }
}

let heap: WasmHeap | null | undefined;

function tensorsFromEnv(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.DYNCONV_WASM_HEAP;
  return env !== '0';
}

/**
 * The backend's wasm memory, created on first use: shared where SharedArrayBuffer exists (so
 * helper threads and tensors can use it), private otherwise; null without WebAssembly.
 */
export function wasmHeap(): WasmHeap | null {
  if (heap !== undefined) return heap;
  heap = null;
  const api = wasmApi();
  if (!api) return heap;
  if (typeof SharedArrayBuffer !== 'undefined') {
    for (const maximum of MAX_PAGES) {
      try {
        heap = new WasmHeap(new api.Memory({ initial: 1, maximum, shared: true }), true, maximum * WASM_PAGE, tensorsFromEnv());
        return heap;
      } catch {
        // the engine refused this reservation (or shared memory): try the next
      }
    }
  }
  try {
    heap = new WasmHeap(new api.Memory({ initial: 1 }), false, 65536 * WASM_PAGE, false);
  } catch {
    heap = null;
  }
  return heap;
}
