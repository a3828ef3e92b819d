/**
 * Blocked GEMM on the WebAssembly SIMD kernels (Goto/BLIS loop order):
 *   for row chunks of C: for column blocks (NC): for depth blocks (KC): pack B;
 *     for row blocks (MC): pack A; one wasm call updates the MC x NC block of C.
 * C is computed in a workspace in wasm memory (copied in when beta = 1) and copied out once.
 * The first depth block overwrites the workspace when beta = 0, so it needs no clearing.
 * Operands are packed in two steps: copied into wasm memory with TypedArray.set (memcpy
 * speed), then a wasm function lays them out as panels; plain JS packing measured 1.5-2 ns per
 * element, which was a third of the time for conv-shaped GEMMs. An operand whose whole extent
 * is small enough is copied in once per call (one native copy) and every panel is packed from
 * there; otherwise each block's rows are staged as they are needed. Thin GEMMs (a conv on a
 * 4x4 map has 16 columns) spent most of their time on the per-row copies this avoids.
 */
import type { FloatArray, GemmArgs } from '../gemm.js';
import { roundUp } from './pack.js';
import { type KernelShape, type PackFn, type SimdKernel, simdKernel } from './simd-kernel.js';

/** 4x8 float32 tile: 8 v128 accumulators, 2 B vectors and 1 A splat fit x64's 16 vector registers. */
export const F32_SHAPE: KernelShape = { elem: 'f32', mr: 4, nr: 8 };

/** 4x4 float64 tile: the same 8 v128 accumulators, two doubles each. */
export const F64_SHAPE: KernelShape = { elem: 'f64', mr: 4, nr: 4 };

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

/** Byte offsets are kept at cache-line multiples. */
const align64 = (bytes: number) => roundUp(bytes, 64);

/** Operands of at most this many elements (16 MiB of float32) are copied into wasm memory whole. */
const WHOLE_OPERAND_CAP = 1 << 22;

/**
 * The elements an operand copied whole occupies: `rows x depth`, element (r, k) at
 * r * sRow + k * sDepth, with `w`-row panels (the last one padded). `extent` elements are the
 * operand's own span; `padded` also covers what packing the padded last panel reads. Null when
 * the span is too large, or mostly gaps (a strided view), to copy whole.
 */
function wholeExtent(rows: number, depth: number, sRow: number, sDepth: number, w: number): { extent: number; padded: number } | null {
  const extent = (rows - 1) * sRow + (depth - 1) * sDepth + 1;
  const padded = (roundUp(rows, w) - 1) * sRow + (depth - 1) * sDepth + 1;
  if (padded > WHOLE_OPERAND_CAP || padded > 4 * roundUp(rows, w) * depth) return null;
  return { extent, padded };
}

/**
 * C = beta C + op(A) op(B) in float32 with the f32x4 kernel. Returns false (doing nothing)
 * when WebAssembly SIMD is unavailable. Requires M, N, K > 0 and C rows that do not overlap
 * (ldc >= N or M = 1); C must not share memory with A or B.
 */
export function gemmSimdF32(g: GemmArgs, shape: KernelShape = F32_SHAPE, blk: Blocking = F32_BLOCKING): boolean {
  const kern = simdKernel(shape);
  return kern !== null && gemmSimd(kern, g, blk);
}

/** C = beta C + op(A) op(B) in float64 with the f64x2 kernel; as {@link gemmSimdF32}. */
export function gemmSimdF64(g: GemmArgs, shape: KernelShape = F64_SHAPE, blk: Blocking = F64_BLOCKING): boolean {
  const kern = simdKernel(shape);
  return kern !== null && gemmSimd(kern, g, blk);
}

/** The blocked driver; the kernel's element type decides how wasm memory is viewed. */
function gemmSimd(kern: SimdKernel, g: GemmArgs, blk: Blocking): boolean {
  const { M, N, K, A, B, C, lda, ldb, ldc, aOffset, bOffset, cOffset, transA, transB, beta } = g;
  const { mr, nr } = kern.shape;
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
  const aWhole = wholeExtent(M, K, aRow, aDepth, mr);
  const bWhole = wholeExtent(N, K, bCol, bDepth, nr);

  const aAt = 0;
  const bAt = aAt + align64(mcMax * kcMax * E);
  const cAt = bAt + align64(kcMax * ncMax * E);
  const stageAt = cAt + align64(mChunk * ncMax * E);
  const aWholeAt = stageAt + align64(Math.max(mcMax, ncMax) * kcMax * E);
  const bWholeAt = aWholeAt + align64((aWhole?.padded ?? 0) * E);
  kern.reserve(bWholeAt + (bWhole?.padded ?? 0) * E);
  const heap = E === 4 ? kern.heapF32 : kern.heapF64;
  const packA: Packer = { heap, E, w: mr, contig: kern.packContigA, gather: kern.packGatherA, stageAt, whole: aWhole && aWholeAt };
  const packB: Packer = { heap, E, w: nr, contig: kern.packContigB, gather: kern.packGatherB, stageAt, whole: bWhole && bWholeAt };
  if (aWhole) copyWhole(A, aOffset, aWhole, heap, aWholeAt / E);
  if (bWhole) copyWhole(B, bOffset, bWhole, heap, bWholeAt / E);

  // With one depth block, each MC-row stripe of C is finished by one block call: it is
  // moved in and out while still in cache. Otherwise the chunk accumulates over depth blocks.
  const oneDepthBlock = K <= KC;
  for (let ib = 0; ib < M; ib += mChunk) {
    const mRows = Math.min(mChunk, M - ib);
    for (let jc = 0; jc < N; jc += NC) {
      const nc = Math.min(NC, N - jc);
      const ncp = roundUp(nc, nr);
      const ldw = ncp * E; // workspace row stride; padding rows/columns are never read back
      const cAtRow = (i: number) => cOffset + (ib + i) * ldc + jc; // C row i of the chunk
      if (beta === 1 && !oneDepthBlock) moveRows(C, cAtRow(0), ldc, heap, cAt / E, ncp, mRows, nc);
      for (let pc = 0; pc < K; pc += KC) {
        const kc = Math.min(KC, K - pc);
        pack(packB, B, bOffset, jc * bCol + pc * bDepth, bCol, bDepth, nc, kc, bAt);
        for (let ic = 0; ic < mRows; ic += MC) {
          const mc = Math.min(MC, mRows - ic);
          const at = oneDepthBlock ? cAt : cAt + ic * ldw;
          if (beta === 1 && oneDepthBlock) moveRows(C, cAtRow(ic), ldc, heap, at / E, ncp, mc, nc);
          pack(packA, A, aOffset, (ib + ic) * aRow + pc * aDepth, aRow, aDepth, mc, kc, aAt);
          kern.block(beta === 0 && pc === 0, aAt, bAt, at, Math.ceil(mc / mr), ncp / nr, kc, ldw);
          if (oneDepthBlock) moveRows(heap, at / E, ncp, C, cAtRow(ic), ldc, mc, nc);
        }
      }
      if (!oneDepthBlock) moveRows(heap, cAt / E, ncp, C, cAtRow(0), ldc, mRows, nc);
    }
  }
  return true;
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

/** dst[d .. d+n) = src[s .. s+n): a native copy for long runs, a loop where a view costs more. */
function copyRun(src: FloatArray, s: number, n: number, dst: FloatArray, d: number): void {
  if (n >= 32) dst.set(src.subarray(s, s + n), d);
  else for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
}
