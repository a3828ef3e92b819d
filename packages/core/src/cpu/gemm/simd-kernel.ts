/**
 * The WebAssembly SIMD GEMM kernels: generated as bytes, compiled once per tile shape, and
 * run on the backend's one wasm memory (wasm-heap.ts), which holds the packed operands, the C
 * block they update and, where it is shared, the tensors themselves.
 */
import { Code, ValType, assembleModule, type WasmFunction } from './wasm-assembler.js';
import { BlockWorkers, getNumThreads, threadsSupported } from './threads.js';
import { WASM_PAGE, wasmApi } from './wasm-api.js';
import { type WasmHeap, wasmHeap } from '../wasm-heap.js';

/** Element type and register tile of a kernel. */
export interface KernelShape {
  /** f32 (4 lanes per v128) or f64 (2 lanes). */
  elem: 'f32' | 'f64';
  /** Rows of C per tile (one splat of A per row and k). */
  mr: number;
  /** Columns of C per tile, a multiple of the lane count (one v128 load of B per lanes). */
  nr: number;
  /**
   * Multiply-add with relaxed SIMD's `relaxed_madd` (one FMA instruction where the CPU has it)
   * instead of a multiply then an add. Engines without relaxed SIMD (Node 20 without
   * --experimental-wasm-relaxed-simd) refuse the module, so it is feature-detected.
   */
  fma?: boolean;
}

/**
 * The generated block functions: multiply one packed A block by one packed B block into a
 * C block, all in wasm memory (byte addresses): for each nr-column panel of B, for each
 * mr-row panel of A, C tile += A panel . B panel (`blockAdd`) or C tile = A panel . B panel
 * (`blockSet`). A panels hold mr values per k, B panels nr values per k, panels one after
 * another; C rows are `ldcBytes` apart. All counts must be at least 1.
 */
export type BlockFn = (aPack: number, bPack: number, c: number, mTiles: number, nTiles: number, depth: number, ldcBytes: number) => void;

/**
 * The block function on strided operands: the tile of rows i.. at k reads A at
 * `a + i' * aRowBytes + k * aDepthBytes` (i' the row within the tile), tiles `aTileBytes`
 * apart; B's panel at k is nr contiguous values at `b + k * bDepthBytes`, panels `bPanelBytes`
 * apart. Packed panels are the case aRow = E, aDepth = mr E, bDepth = nr E.
 */
export type StridedBlockFn = (
  a: number, aRowBytes: number, aDepthBytes: number, aTileBytes: number, b: number, bDepthBytes: number, bPanelBytes: number,
  c: number, mTiles: number, nTiles: number, depth: number, ldcBytes: number,
) => void;

/**
 * A generated packing function: writes `panels` panels of w rows x `depth` (w values per k,
 * contiguous) to `dst`, reading a dense staging matrix at `src` whose rows are `strideBytes`
 * apart. `packContig` reads a panel's w values for one k side by side (staging row = one k);
 * `packGather` reads them from w consecutive staging rows (staging row = one panel row).
 */
export type PackFn = (src: number, dst: number, panels: number, depth: number, strideBytes: number) => void;

const I = ValType.i32;

function elemOps(elem: 'f32' | 'f64') {
  const f32 = elem === 'f32';
  return {
    E: f32 ? 4 : 8,
    splat: (c: Code, off: number) => (f32 ? c.v128Load32Splat(off) : c.v128Load64Splat(off)),
    vadd: (c: Code) => (f32 ? c.f32x4Add() : c.f64x2Add()),
    vmul: (c: Code) => (f32 ? c.f32x4Mul() : c.f64x2Mul()),
    vmadd: (c: Code) => (f32 ? c.f32x4RelaxedMadd() : c.f64x2RelaxedMadd()),
    load: (c: Code, off: number) => (f32 ? c.f32Load(off) : c.f64Load(off)),
    store: (c: Code, off: number) => (f32 ? c.f32Store(off) : c.f64Store(off)),
  };
}

/**
 * A block function: {@link BlockFn} on packed panels, or with `strided` {@link StridedBlockFn}
 * on operands read where they lie (A and B addressed by run-time strides instead of the packed
 * panels' constant offsets, so a thin GEMM whose operands are already in wasm memory needs no
 * packing copy: packing A cost about as much as the arithmetic for a per-image conv with 16
 * output pixels). The tile's accumulators stay in v128 locals over the whole depth; each k
 * step loads nr/lanes vectors of B and splats one A value per row. The k loop is not unrolled:
 * on V8 (Node 20) unrolling 2-8 times with constant load offsets measured slower (the GEMM's
 * current figures: docs/benchmarks.md).
 */
function blockFunction(shape: KernelShape, overwrite: boolean, strided = false): WasmFunction {
  const { mr, nr, elem, fma } = shape;
  const { E, splat, vadd, vmul, vmadd } = elemOps(elem);
  const lanes = 16 / E;
  if (nr % lanes !== 0) throw new Error(`simd kernel: nr ${nr} is not a multiple of ${lanes}`);
  const nv = nr / lanes; // vectors per tile row

  // Parameters, then i32 locals, then v128 locals. Packed: (aPack, bPack, c, mTiles, nTiles,
  // depth, ldc); strided: (a, aRowB, aDepthB, aTileB, b, bDepthB, bPanelB, c, mTiles, nTiles, depth, ldc).
  const P = strided
    ? { aPtr: 0, aRowB: 1, aDepthB: 2, aTileB: 3, bPtr: 4, bDepthB: 5, bPanelB: 6, cPtr: 7, mTiles: 8, nTiles: 9, depth: 10, ldc: 11 }
    : { aPtr: 0, aRowB: -1, aDepthB: -1, aTileB: -1, bPtr: 1, bDepthB: -1, bPanelB: -1, cPtr: 2, mTiles: 3, nTiles: 4, depth: 5, ldc: 6 };
  const nParams = strided ? 12 : 7;
  const [a, aTile, b, cTile, ir, jr, cRow, k, bPanel, cCol] = Array.from({ length: 10 }, (_, n) => nParams + n);
  const rowOff = (r: number) => nParams + 9 + r; // r * aRowB (strided), for r >= 1
  const i32Locals = 10 + (strided ? mr - 1 : 0);
  const v0 = nParams + i32Locals;
  const acc = (r: number, v: number) => v0 + r * nv + v;
  const bv = (v: number) => v0 + mr * nv + v;
  const av = v0 + mr * nv + nv;
  const v128Locals = mr * nv + nv + 1;
  // Pointer steps: constants for packed panels, run-time strides otherwise.
  const step = (c: Code, local: number, stride: number, packed: number) => {
    c.localGet(local);
    if (strided) c.localGet(stride);
    else c.i32Const(packed);
    c.i32Add().localSet(local);
  };

  const c = new Code();
  if (strided) for (let r = 1; r < mr; r++) c.localGet(P.aRowB).i32Const(r).i32Mul().localSet(rowOff(r));
  c.localGet(P.nTiles).localSet(jr);
  c.localGet(P.bPtr).localSet(bPanel);
  c.localGet(P.cPtr).localSet(cCol);
  c.loop(); // over B panels (columns of C)
  {
    c.localGet(P.aPtr).localSet(aTile);
    c.localGet(cCol).localSet(cTile);
    c.localGet(P.mTiles).localSet(ir);
    c.loop(); // over A panels (rows of C); the B panel stays in L1 meanwhile
    {
      for (let r = 0; r < mr; r++) for (let v = 0; v < nv; v++) c.v128Zero().localSet(acc(r, v));
      c.localGet(aTile).localSet(a);
      c.localGet(bPanel).localSet(b);
      c.localGet(P.depth).localSet(k);
      c.loop(); // over k
      {
        for (let v = 0; v < nv; v++) c.localGet(b).v128Load(v * 16).localSet(bv(v));
        for (let r = 0; r < mr; r++) {
          c.localGet(a);
          if (strided && r > 0) c.localGet(rowOff(r)).i32Add();
          splat(c, strided ? 0 : r * E);
          c.localSet(av);
          for (let v = 0; v < nv; v++) {
            if (fma) {
              c.localGet(av).localGet(bv(v)).localGet(acc(r, v));
              vmadd(c);
            } else {
              c.localGet(acc(r, v)).localGet(av).localGet(bv(v));
              vmul(c);
              vadd(c);
            }
            c.localSet(acc(r, v));
          }
        }
        step(c, a, P.aDepthB, mr * E);
        step(c, b, P.bDepthB, nr * E);
        c.localGet(k).i32Const(1).i32Sub().localTee(k).brIf(0);
      }
      c.end();
      // C tile (+)= accumulators, row by row.
      c.localGet(cTile).localSet(cRow);
      for (let r = 0; r < mr; r++) {
        for (let v = 0; v < nv; v++) {
          c.localGet(cRow);
          if (overwrite) c.localGet(acc(r, v));
          else {
            c.localGet(cRow).v128Load(v * 16).localGet(acc(r, v));
            vadd(c);
          }
          c.v128Store(v * 16);
        }
        c.localGet(cRow).localGet(P.ldc).i32Add().localSet(cRow);
      }
      c.localGet(cRow).localSet(cTile);
      // The next A panel: packed, where the k loop left `a`; strided, one tile stride on.
      if (strided) step(c, aTile, P.aTileB, 0);
      else c.localGet(a).localSet(aTile);
      c.localGet(ir).i32Const(1).i32Sub().localTee(ir).brIf(0);
    }
    c.end();
    // The next B panel: packed, where b ran to; strided, one panel stride on.
    if (strided) step(c, bPanel, P.bPanelB, 0);
    else c.localGet(b).localSet(bPanel);
    c.localGet(cCol).i32Const(nr * E).i32Add().localSet(cCol);
    c.localGet(jr).i32Const(1).i32Sub().localTee(jr).brIf(0);
  }
  c.end();
  return {
    params: Array<ValType>(nParams).fill(I),
    results: [],
    locals: [...Array<ValType>(i32Locals).fill(I), ...Array<ValType>(v128Locals).fill(ValType.v128)],
    body: c,
    exportName: `${strided ? 'strided' : 'block'}${overwrite ? 'Set' : 'Add'}`,
  };
}

/** packContig for panels w wide: a straight copy of w values per k (v128 moves when it can). */
function packContigFunction(elem: 'f32' | 'f64', w: number): WasmFunction {
  const { E, load, store } = elemOps(elem);
  const [src, dst, panels, depth, stride] = [0, 1, 2, 3, 4];
  const [s, k] = [5, 6];
  const bytes = w * E;
  const c = new Code();
  c.loop(); // over panels
  {
    c.localGet(src).localSet(s);
    c.localGet(depth).localSet(k);
    c.loop(); // over k
    {
      if (bytes % 16 === 0) {
        for (let o = 0; o < bytes; o += 16) c.localGet(dst).localGet(s).v128Load(o).v128Store(o);
      } else {
        for (let o = 0; o < bytes; o += E) {
          c.localGet(dst).localGet(s);
          load(c, o);
          store(c, o);
        }
      }
      c.localGet(dst).i32Const(bytes).i32Add().localSet(dst);
      c.localGet(s).localGet(stride).i32Add().localSet(s);
      c.localGet(k).i32Const(1).i32Sub().localTee(k).brIf(0);
    }
    c.end();
    c.localGet(src).i32Const(bytes).i32Add().localSet(src);
    c.localGet(panels).i32Const(1).i32Sub().localTee(panels).brIf(0);
  }
  c.end();
  return { params: [I, I, I, I, I], results: [], locals: [I, I], body: c, exportName: `packContig${w}` };
}

/** packGather for panels w wide: a transpose, one value from each of w staging rows per k. */
function packGatherFunction(elem: 'f32' | 'f64', w: number): WasmFunction {
  const { E, load, store } = elemOps(elem);
  const [src, dst, panels, depth, stride] = [0, 1, 2, 3, 4];
  const [s, k, panelBytes] = [5, 6, 7];
  const rowOff = (r: number) => 7 + r; // r * stride, for r >= 1
  const c = new Code();
  for (let r = 1; r < w; r++) c.localGet(stride).i32Const(r).i32Mul().localSet(rowOff(r));
  c.localGet(stride).i32Const(w).i32Mul().localSet(panelBytes);
  c.loop(); // over panels
  {
    c.localGet(src).localSet(s);
    c.localGet(depth).localSet(k);
    c.loop(); // over k
    {
      for (let r = 0; r < w; r++) {
        c.localGet(dst).localGet(s);
        if (r > 0) c.localGet(rowOff(r)).i32Add();
        load(c, 0);
        store(c, r * E);
      }
      c.localGet(dst).i32Const(w * E).i32Add().localSet(dst);
      c.localGet(s).i32Const(E).i32Add().localSet(s);
      c.localGet(k).i32Const(1).i32Sub().localTee(k).brIf(0);
    }
    c.end();
    c.localGet(src).localGet(panelBytes).i32Add().localSet(src);
    c.localGet(panels).i32Const(1).i32Sub().localTee(panels).brIf(0);
  }
  c.end();
  return { params: [I, I, I, I, I], results: [], locals: Array<ValType>(3 + w - 1).fill(I), body: c, exportName: `packGather${w}` };
}

/**
 * Emits the module for one tile shape: blockAdd and blockSet (see {@link BlockFn}),
 * packContig/packGather for panel widths mr and nr (see {@link PackFn}); the memory is
 * imported as env.memory, `shared` for helper threads (threads.ts).
 */
export function buildKernelModule(shape: KernelShape, shared = false, maximumPages = SHARED_MAX_PAGES): Uint8Array {
  const widths = [...new Set([shape.mr, shape.nr])];
  return assembleModule({
    functions: [
      blockFunction(shape, false),
      blockFunction(shape, true),
      blockFunction(shape, false, true),
      blockFunction(shape, true, true),
      ...widths.map((w) => packContigFunction(shape.elem, w)),
      ...widths.map((w) => packGatherFunction(shape.elem, w)),
    ],
    importedMemory: { module: 'env', name: 'memory', initialPages: 1, maximumPages: shared ? maximumPages : undefined, shared },
  });
}

/** Default bound of a shared memory (1 GiB); it must declare one, unlike a private one. */
const SHARED_MAX_PAGES = 16384;

/** Block calls of fewer multiply-adds than this run on one thread: below it, waking a helper costs more than it saves (measured; docs/benchmarks.md, "Issue 11", threads). */
export const PARALLEL_MIN_MACS = 1 << 22;

/** A compiled kernel on the backend's wasm memory (wasm-heap.ts). */
export class SimdKernel {
  readonly blockAdd: BlockFn;
  readonly blockSet: BlockFn;
  readonly stridedAdd: StridedBlockFn;
  readonly stridedSet: StridedBlockFn;
  readonly packContigA: PackFn;
  readonly packGatherA: PackFn;
  readonly packContigB: PackFn;
  readonly packGatherB: PackFn;
  private readonly workers: BlockWorkers | null;

  constructor(
    readonly shape: KernelShape,
    module: object,
    readonly heap: WasmHeap,
  ) {
    const api = wasmApi()!;
    const ex = new api.Instance(module, { env: { memory: heap.memory } }).exports;
    this.workers = heap.shared && threadsSupported() ? new BlockWorkers(module, heap.memory) : null;
    this.blockAdd = ex['blockAdd'] as BlockFn;
    this.blockSet = ex['blockSet'] as BlockFn;
    this.stridedAdd = ex['stridedAdd'] as StridedBlockFn;
    this.stridedSet = ex['stridedSet'] as StridedBlockFn;
    this.packContigA = ex[`packContig${shape.mr}`] as PackFn;
    this.packGatherA = ex[`packGather${shape.mr}`] as PackFn;
    this.packContigB = ex[`packContig${shape.nr}`] as PackFn;
    this.packGatherB = ex[`packGather${shape.nr}`] as PackFn;
  }

  /**
   * One block call (see {@link BlockFn}; `set` picks blockSet), split over helper threads
   * when it is large enough and threads are on. `kc` is the depth, `ldw` C's row stride.
   */
  block(set: boolean, aPack: number, bPack: number, c: number, mTiles: number, nTiles: number, kc: number, ldw: number): void {
    const fn = set ? this.blockSet : this.blockAdd;
    const { mr, nr } = this.shape;
    const threads = getNumThreads();
    if (this.workers === null || threads === 1 || nTiles < 2 || mTiles * mr * nTiles * nr * kc < PARALLEL_MIN_MACS) {
      return fn(aPack, bPack, c, mTiles, nTiles, kc, ldw);
    }
    const E = this.shape.elem === 'f32' ? 4 : 8;
    this.workers.run(fn, set, threads, aPack, bPack, c, mTiles, nTiles, kc, ldw, nr * kc * E, nr * E);
  }

  /** The byte address of a scratch block of at least `bytes`, reused across calls. */
  reserve(bytes: number): number {
    return this.heap.scratch(bytes);
  }

  /** The memory as float32 (valid until the memory next grows). */
  get heapF32(): Float32Array {
    return this.heap.heapF32;
  }

  /** The memory as float64 (valid until the memory next grows). */
  get heapF64(): Float64Array {
    return this.heap.heapF64;
  }
}

const compiled = new Map<KernelShape, SimdKernel | null>();

/**
 * The kernel for `shape` (cached by object identity, so pass the same object each time),
 * compiled on first use; null where WebAssembly or its SIMD proposal is unavailable
 * (validating the generated bytes is the feature test).
 */
export function simdKernel(shape: KernelShape): SimdKernel | null {
  let k = compiled.get(shape);
  if (k === undefined) {
    k = null;
    const api = wasmApi();
    const heap = wasmHeap();
    const bytes = heap && buildKernelModule(shape, heap.shared, heap.maxBytes / WASM_PAGE);
    if (api && heap && bytes && api.validate(bytes)) {
      try {
        k = new SimdKernel(shape, new api.Module(bytes), heap);
      } catch {
        k = null; // e.g. a content-security policy that forbids compiling wasm
      }
    }
    compiled.set(shape, k);
  }
  return k;
}
