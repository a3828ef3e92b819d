/**
 * Blocked GEMM on the WebAssembly SIMD kernels (Goto/BLIS loop order):
 *   for row chunks of C: for column blocks (NC): for depth blocks (KC): pack B;
 *     for row blocks (MC): pack A; one wasm call updates the MC x NC block of C.
 * C is computed in a workspace in wasm memory (copied in when beta = 1) and copied out once.
 * Operands whose storage lies in wasm memory (tensors do, where it is shared: wasm-heap.ts)
 * are packed where they are.
 * The first depth block overwrites the workspace when beta = 0, so it needs no clearing.
 * Operands are packed in two steps: copied into wasm memory with TypedArray.set (memcpy
 * speed), then a wasm function lays them out as panels; plain JS packing was measured to be a
 * large share of the time for conv-shaped GEMMs (docs/benchmarks.md, "Issue 11"). An operand whose whole extent
 * is small enough is copied in once per call (one native copy) and every panel is packed from
 * there; otherwise each block's rows are staged as they are needed. Thin GEMMs (a conv on a
 * 4x4 map has 16 columns) spent most of their time on the per-row copies this avoids.
 */
import type { FloatArray, GemmArgs } from '../gemm.js';
import { roundUp } from './pack.js';
import { type KernelShape, PARALLEL_MIN_MACS, type PackFn, type SimdKernel, simdKernel } from './simd-kernel.js';
import { getNumThreads } from './threads.js';
import type { WasmHeap } from '../wasm-heap.js';

/** 4x8 float32 tile: 8 v128 accumulators, 2 B vectors and 1 A splat fit x64's 16 vector registers. */
export const F32_SHAPE: KernelShape = { elem: 'f32', mr: 4, nr: 8 };

/** 4x4 float64 tile: the same 8 v128 accumulators, two doubles each. */
export const F64_SHAPE: KernelShape = { elem: 'f64', mr: 4, nr: 4 };

/** The same tiles with fused multiply-adds (relaxed SIMD), used where the engine has it. */
export const F32_FMA_SHAPE: KernelShape = { ...F32_SHAPE, fma: true };
export const F64_FMA_SHAPE: KernelShape = { ...F64_SHAPE, fma: true };

/** The default tile for an element type: the FMA one when its module compiles here. */
function defaultShape(elem: 'f32' | 'f64'): KernelShape {
  const fma = elem === 'f32' ? F32_FMA_SHAPE : F64_FMA_SHAPE;
  return fmaEnabled && simdKernel(fma) !== null ? fma : elem === 'f32' ? F32_SHAPE : F64_SHAPE;
}

let fmaEnabled = true;

/**
 * Allows or forbids the FMA kernels (on by default where the engine has relaxed SIMD). FMA
 * rounds once per multiply-add, so results differ from the plain kernels in the last bits.
 * Returns the old setting.
 */
export function setGemmFma(on: boolean): boolean {
  const old = fmaEnabled;
  fmaEnabled = on;
  return old;
}

/** Whether the default GEMM runs the FMA kernels here. */
export function gemmUsesFma(): boolean {
  return defaultShape('f32').fma === true;
}

/** Blocking: an A block (MC x KC, 128 KiB) sits in L2, a B panel (KC x NR) in L1. */
export interface Blocking {
  mc: number;
  kc: number;
  nc: number;
  /** Most C workspace elements per row chunk; bounds wasm memory for tall problems. */
  cCap: number;
}

export const F32_BLOCKING: Blocking = { mc: 128, kc: 256, nc: 2048, cCap: 1 << 20 };
export const F64_BLOCKING: Blocking = { mc: 64, kc: 256, nc: 2048, cCap: 1 << 19 };

/** Operands are read in place, unpacked, when the other dimension is at most this (see gemmSimd). */
const DIRECT_MAX = 64;
let directEnabled = true;

/**
 * Allows or forbids the thin-problem paths (on by default; results are the same bits): in-place
 * operands read unpacked, and C in wasm memory split into whole panels updated in place plus a
 * remainder. Returns the old setting.
 */
export function setGemmDirect(on: boolean): boolean {
  const old = directEnabled;
  directEnabled = on;
  return old;
}

/** Byte offsets are kept at cache-line multiples. */
const align64 = (bytes: number) => roundUp(bytes, 64);

/** Operands of at most this many elements (16 MiB of float32) are copied into wasm memory whole. */
const WHOLE_OPERAND_CAP = 1 << 22;

/**
 * The elements an operand read whole occupies: `rows x depth`, element (r, k) at
 * r * sRow + k * sDepth, with `w`-row panels (the last one padded). `extent` elements are the
 * operand's own span; `padded` also covers what packing the padded last panel reads. `copy`
 * says whether copying that span into wasm memory pays: not when it is too large, or mostly
 * gaps (a strided view). An operand already in wasm memory is read whole in any case.
 */
function wholeExtent(rows: number, depth: number, sRow: number, sDepth: number, w: number): { extent: number; padded: number; copy: boolean } {
  const extent = (rows - 1) * sRow + (depth - 1) * sDepth + 1;
  const padded = (roundUp(rows, w) - 1) * sRow + (depth - 1) * sDepth + 1;
  return { extent, padded, copy: padded <= WHOLE_OPERAND_CAP && padded <= 4 * roundUp(rows, w) * depth };
}

/**
 * C = beta C + op(A) op(B) in float32 with the f32x4 kernel. Returns false (doing nothing)
 * when WebAssembly SIMD is unavailable. Requires M, N, K > 0 and C rows that do not overlap
 * (ldc >= N or M = 1); C must not share memory with A or B.
 */
export function gemmSimdF32(g: GemmArgs, shape: KernelShape = defaultShape('f32'), blk: Blocking = F32_BLOCKING): boolean {
  const kern = simdKernel(shape);
  return kern !== null && gemmSimd(kern, g, blk);
}

/** C = beta C + op(A) op(B) in float64 with the f64x2 kernel; as {@link gemmSimdF32}. */
export function gemmSimdF64(g: GemmArgs, shape: KernelShape = defaultShape('f64'), blk: Blocking = F64_BLOCKING): boolean {
  const kern = simdKernel(shape);
  return kern !== null && gemmSimd(kern, g, blk);
}

/** The blocked driver; the kernel's element type decides how wasm memory is viewed. */
function gemmSimd(kern: SimdKernel, g: GemmArgs, blk: Blocking): boolean {
  const { M, N, K, A, B, C, lda, ldb, ldc, aOffset, bOffset, cOffset, transA, transB, beta } = g;
  const { mr, nr } = kern.shape;
  // C in wasm memory with N not a multiple of the tile (a 7x7 map has 49 columns): the whole
  // panels are updated in place and only the last few columns go through the workspace. Every
  // element is still the same sum in the same order.
  const nFull = N - (N % nr);
  if (nFull > 0 && nFull < N && M % mr === 0 && directEnabled && kern.heap.addressOf(C) >= 0) {
    const bCol = transB ? ldb : 1;
    return gemmSimd(kern, { ...g, N: nFull }, blk) && gemmSimd(kern, { ...g, N: N - nFull, bOffset: bOffset + nFull * bCol, cOffset: cOffset + nFull }, blk);
  }
  const E = kern.shape.elem === 'f32' ? 4 : 8;
  const MC = roundUp(blk.mc, mr);
  const KC = blk.kc;
  const NC = roundUp(blk.nc, nr);

  const kcMax = Math.min(KC, K);
  const ncMax = Math.min(NC, roundUp(N, nr));
  const mAll = roundUp(M, mr);
  // Rows of C per chunk: all of them unless the workspace would pass cCap.
  const mChunk = Math.min(mAll, Math.max(MC, Math.floor(blk.cCap / ncMax / MC) * MC));
  const mcMax = Math.min(MC, mChunk);

  // op(A)(i, k) = A[aOffset + i * aRow + k * aDepth]; op(B)(k, j) = B[bOffset + j * bCol + k * bDepth].
  const aRow = transA ? 1 : lda;
  const aDepth = transA ? lda : 1;
  const bCol = transB ? ldb : 1;
  const bDepth = transB ? 1 : ldb;
  // An operand whose storage already lies in wasm memory is packed in place; one elsewhere
  // is copied in whole when that pays, else staged block by block. C in wasm memory, in whole
  // tiles (M and N multiples of the tile: the kernel writes every tile it computes, so a
  // partial one would spill past C's rows), is updated in place instead of in a workspace.
  const aExt = wholeExtent(M, K, aRow, aDepth, mr);
  const bExt = wholeExtent(N, K, bCol, bDepth, nr);
  const aIn = inPlace(kern.heap, A, aOffset, aExt, E);
  const bIn = inPlace(kern.heap, B, bOffset, bExt, E);
  const cIn = M % mr === 0 && N % nr === 0 ? inPlace(kern.heap, C, cOffset, { padded: (M - 1) * ldc + N }, E) : -1;
  const aCopy = aIn < 0 && aExt.copy;
  const bCopy = bIn < 0 && bExt.copy;
  const aRel = 0;
  const bRel = aRel + align64(mcMax * kcMax * E);
  const cRel = bRel + align64(kcMax * ncMax * E);
  const stageRel = cRel + align64(cIn >= 0 ? 0 : mChunk * ncMax * E);
  const aWholeRel = stageRel + align64(Math.max(mcMax, ncMax) * kcMax * E);
  const bWholeRel = aWholeRel + align64(aCopy ? aExt.padded * E : 0);
  const base = kern.reserve(bWholeRel + (bCopy ? bExt.padded * E : 0));
  const [aAt, bAt, cAt, stageAt] = [base + aRel, base + bRel, base + cRel, base + stageRel];
  const heap = E === 4 ? kern.heapF32 : kern.heapF64; // taken after the last growth
  const aWholeAt = aIn >= 0 ? aIn : aCopy ? base + aWholeRel : null;
  const bWholeAt = bIn >= 0 ? bIn : bCopy ? base + bWholeRel : null;
  const packA: Packer = { heap, E, w: mr, contig: kern.packContigA, gather: kern.packGatherA, stageAt, whole: aWholeAt };
  const packB: Packer = { heap, E, w: nr, contig: kern.packContigB, gather: kern.packGatherB, stageAt, whole: bWholeAt };
  if (aCopy) copyWhole(A, aOffset, aExt, heap, aWholeAt! / E);
  if (bCopy) copyWhole(B, bOffset, bExt, heap, bWholeAt! / E);
  // Thin problems read an in-place operand where it lies instead of packing it, when packing
  // would not be repaid: A is reused for every column panel (few when N is small), B's panel
  // for every row tile (few when M is small); B must be non-transposed (a panel's nr values
  // contiguous at each k). Only on the calling thread (helpers run the packed kernel).
  const single = directEnabled && (M * N * K < PARALLEL_MIN_MACS || getNumThreads() === 1);
  const aDirect = aIn >= 0 && N <= DIRECT_MAX && single;
  const bDirect = bIn >= 0 && bCol === 1 && M <= DIRECT_MAX && single;
  const block = (set: boolean, ic: number, pc: number, jc: number, c: number, mTiles: number, nTiles: number, kc: number, ldw: number) => {
    if (!aDirect && !bDirect) return kern.block(set, aAt, bAt, c, mTiles, nTiles, kc, ldw);
    const [aA, aR, aD, aT] = aDirect ? [aIn + (ic * aRow + pc * aDepth) * E, aRow * E, aDepth * E, mr * aRow * E] : [aAt, E, mr * E, mr * E * kc];
    const [bA, bD, bP] = bDirect ? [bIn + (jc + pc * bDepth) * E, bDepth * E, nr * E] : [bAt, nr * E, nr * E * kc];
    (set ? kern.stridedSet : kern.stridedAdd)(aA, aR, aD, aT, bA, bD, bP, c, mTiles, nTiles, kc, ldw);
  };
  const packAt = (ic: number, pc: number) => aDirect || pack(packA, A, aOffset, ic * aRow + pc * aDepth, aRow, aDepth, Math.min(MC, M - ic), Math.min(KC, K - pc), aAt);
  const packBt = (jc: number, pc: number) => bDirect || pack(packB, B, bOffset, jc * bCol + pc * bDepth, bCol, bDepth, Math.min(NC, N - jc), Math.min(KC, K - pc), bAt);

  if (cIn >= 0) {
    for (let jc = 0; jc < N; jc += NC) {
      for (let pc = 0; pc < K; pc += KC) {
        packBt(jc, pc);
        for (let ic = 0; ic < M; ic += MC) {
          packAt(ic, pc);
          const c = cIn + (ic * ldc + jc) * E;
          block(beta === 0 && pc === 0, ic, pc, jc, c, Math.min(MC, M - ic) / mr, Math.min(NC, N - jc) / nr, Math.min(KC, K - pc), ldc * E);
        }
      }
    }
    return true;
  }

  const cAddr = kern.heap.addressOf(C);
  const cHeap = cAddr >= 0 ? cAddr / E : -1; // C[0] as a heap index
  // Through the workspace. With one depth block, each MC-row stripe of C is finished by one
  // block call: it is moved in and out while still in cache. Otherwise the chunk accumulates
  // over depth blocks.
  const oneDepthBlock = K <= KC;
  for (let ib = 0; ib < M; ib += mChunk) {
    const mRows = Math.min(mChunk, M - ib);
    for (let jc = 0; jc < N; jc += NC) {
      const nc = Math.min(NC, N - jc);
      const ncp = roundUp(nc, nr);
      const ldw = ncp * E; // workspace row stride; padding rows/columns are never read back
      const cAtRow = (i: number) => cOffset + (ib + i) * ldc + jc; // C row i of the chunk
      // C in wasm memory moves with copyWithin on the heap (no view object per row).
      const toWork = (c: number, w: number, rows: number) =>
        cHeap >= 0 ? moveRowsInHeap(heap, cHeap + c, ldc, w, ncp, rows, nc) : moveRows(C, c, ldc, heap, w, ncp, rows, nc);
      const fromWork = (w: number, c: number, rows: number) =>
        cHeap >= 0 ? moveRowsInHeap(heap, w, ncp, cHeap + c, ldc, rows, nc) : moveRows(heap, w, ncp, C, c, ldc, rows, nc);
      if (beta === 1 && !oneDepthBlock) toWork(cAtRow(0), cAt / E, mRows);
      for (let pc = 0; pc < K; pc += KC) {
        const kc = Math.min(KC, K - pc);
        packBt(jc, pc);
        for (let ic = 0; ic < mRows; ic += MC) {
          const mc = Math.min(MC, mRows - ic);
          const at = oneDepthBlock ? cAt : cAt + ic * ldw;
          if (beta === 1 && oneDepthBlock) toWork(cAtRow(ic), at / E, mc);
          packAt(ib + ic, pc);
          block(beta === 0 && pc === 0, ib + ic, pc, jc, at, Math.ceil(mc / mr), ncp / nr, kc, ldw);
          if (oneDepthBlock) fromWork(at / E, cAtRow(ic), mc);
        }
      }
      if (!oneDepthBlock) fromWork(cAt / E, cAtRow(0), mRows);
    }
  }
  return true;
}

/**
 * The byte address of element `off` of X when X lies in wasm memory and its padded span fits
 * there (the packers may read up to `padded` elements; the extra lanes, which belong to
 * whatever follows, only reach outputs that are discarded), else -1.
 */
function inPlace(heap: WasmHeap, X: FloatArray, off: number, ext: { padded: number }, E: number): number {
  const at = heap.addressOf(X);
  if (at < 0) return -1;
  const first = at + off * E;
  return heap.ensure(first + ext.padded * E) ? first : -1;
}

/** What packing one operand needs: the heap view, element size, panel width, wasm packers. */
interface Packer {
  heap: FloatArray;
  E: number;
  w: number;
  contig: PackFn;
  gather: PackFn;
  stageAt: number;
  /** Byte address of the operand copied whole into wasm memory, or null: stage per block. */
  whole: number | null;
}

/** Copies an operand's whole span into wasm memory at element `d`, zeros after it up to `padded`. */
function copyWhole(X: FloatArray, off: number, ext: { extent: number; padded: number }, heap: FloatArray, d: number): void {
  copyRun(X, off, ext.extent, heap, d);
  if (ext.padded > ext.extent) heap.fill(0, d + ext.extent, d + ext.padded);
}

/**
 * Packs a `rows x depth` block, element (r, k) = X[off + r * sRow + k * sDepth], into panels
 * of w rows at byte `dstAt`, zero-padding the last panel. One of sRow, sDepth is 1: runs
 * along it are staged densely, then the matching wasm packer reorders them. (Padding lanes
 * only reach outputs that are discarded; zeros rather than stale values keep subnormals and
 * NaNs, which can be slow, out of them.) When the operand was copied whole, the packer reads
 * it in place, and padding lanes may read neighbouring elements of the operand instead.
 */
function pack(p: Packer, X: FloatArray, base: number, rel: number, sRow: number, sDepth: number, rows: number, depth: number, dstAt: number): void {
  const { heap, E, w, stageAt } = p;
  const panels = Math.ceil(rows / w);
  const rowsPad = panels * w;
  if (p.whole !== null) {
    if (sRow === 1) p.contig(p.whole + rel * E, dstAt, panels, depth, sDepth * E);
    else p.gather(p.whole + rel * E, dstAt, panels, depth, sRow * E);
    return;
  }
  const off = base + rel;
  const st = stageAt / E;
  if (sRow === 1) {
    // One staging row per k, the panel dimension contiguous, zero-padded to whole panels.
    for (let k = 0; k < depth; k++) {
      const d = st + k * rowsPad;
      copyRun(X, off + k * sDepth, rows, heap, d);
      if (rowsPad > rows) heap.fill(0, d + rows, d + rowsPad);
    }
    p.contig(stageAt, dstAt, panels, depth, rowsPad * E);
  } else {
    // One staging row per panel row (sDepth is 1), zero rows up to whole panels.
    for (let r = 0; r < rows; r++) copyRun(X, off + r * sRow, depth, heap, st + r * depth);
    heap.fill(0, st + rows * depth, st + rowsPad * depth);
    p.gather(stageAt, dstAt, panels, depth, depth * E);
  }
}

/** Copies `rows` runs of n elements between row-strided layouts (C and the workspace). */
function moveRows(src: FloatArray, s: number, sStride: number, dst: FloatArray, d: number, dStride: number, rows: number, n: number): void {
  if (sStride === n && dStride === n) return copyRun(src, s, rows * n, dst, d); // one dense block
  for (let i = 0; i < rows; i++) copyRun(src, s + i * sStride, n, dst, d + i * dStride);
}

/** {@link moveRows} between two places of the heap array (element indices into it). */
function moveRowsInHeap(heap: FloatArray, s: number, sStride: number, d: number, dStride: number, rows: number, n: number): void {
  if (sStride === n && dStride === n) {
    heap.copyWithin(d, s, s + rows * n);
    return;
  }
  for (let i = 0; i < rows; i++) heap.copyWithin(d + i * dStride, s + i * sStride, s + i * sStride + n);
}

/** dst[d .. d+n) = src[s .. s+n): a native copy for long runs, a loop where a view costs more. */
function copyRun(src: FloatArray, s: number, n: number, dst: FloatArray, d: number): void {
  if (n >= 32) dst.set(src.subarray(s, s + n), d);
  else for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
}
