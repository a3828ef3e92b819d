/**
 * im2col and its adjoint: the copies that turn a convolution into a matrix product. Row
 * (c, i, j) of the column matrix holds, for every output pixel, the input value under kernel
 * tap (i, j) of channel c (zero in the padding). Several images can share one column matrix
 * side by side (`colOff`, row stride `ld`), so small feature maps make one wide GEMM.
 */
import type { Geometry } from './conv-geometry.js';
import { validRange } from './conv-geometry.js';
import type { FloatArray } from './gemm.js';

/** Runs shorter than this are copied by a loop: a subarray view costs more than the copy. */
const NATIVE_RUN = 32;

/** Unfolds one image's channel group (at `xOff`) into columns colOff.. of `cols` (row stride `ld`). */
export function im2col(x: FloatArray, xOff: number, g: Geometry, cols: FloatArray, colOff: number, ld: number): void {
  const { Cg, H, W, kh, kw, Ho, Wo, sh, sw, pt, pl, dh, dw } = g;
  if (sh === 1 && sw === 1 && W === Wo) return im2colSame(x, xOff, g, cols, colOff, ld);
  for (let c = 0; c < Cg; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const rowBase = ((c * kh + i) * kw + j) * ld + colOff;
        const offX = j * dw - pl;
        const [lo, hi] = validRange(offX, sw, W, Wo);
        for (let oy = 0; oy < Ho; oy++) {
          const iy = oy * sh - pt + i * dh;
          const dst = rowBase + oy * Wo;
          if (iy < 0 || iy >= H) {
            for (let ox = 0; ox < Wo; ox++) cols[dst + ox] = 0;
            continue;
          }
          const src = xOff + (c * H + iy) * W + offX;
          for (let ox = 0; ox < lo; ox++) cols[dst + ox] = 0;
          if (sw === 1) {
            if (hi - lo >= NATIVE_RUN) cols.set(x.subarray(src + lo, src + hi), dst + lo);
            else for (let ox = lo; ox < hi; ox++) cols[dst + ox] = x[src + ox]!;
          } else {
            for (let ox = lo; ox < hi; ox++) cols[dst + ox] = x[src + ox * sw]!;
          }
          for (let ox = hi; ox < Wo; ox++) cols[dst + ox] = 0;
        }
      }
    }
  }
}

/**
 * {@link im2col} for stride 1 with output rows as long as input rows ('same'-style padding):
 * for one tap, the valid output rows read consecutive input rows at one shift, so they are one
 * block copy; the few columns that wrapped around a row edge are then zeroed.
 */
function im2colSame(x: FloatArray, xOff: number, g: Geometry, cols: FloatArray, colOff: number, ld: number): void {
  const { Cg, H, W, kh, kw, Ho, Wo, pt, pl, dh, dw } = g;
  for (let c = 0; c < Cg; c++) {
    for (let i = 0; i < kh; i++) {
      const oyLo = Math.min(Ho, Math.max(0, pt - i * dh)); // first row with iy >= 0
      const oyHi = Math.max(oyLo, Math.min(Ho, H + pt - i * dh)); // past the last with iy < H
      for (let j = 0; j < kw; j++) {
        const rowBase = ((c * kh + i) * kw + j) * ld + colOff;
        const offX = j * dw - pl;
        const [lo, hi] = validRange(offX, 1, W, Wo);
        for (let t = rowBase; t < rowBase + oyLo * Wo; t++) cols[t] = 0;
        for (let t = rowBase + oyHi * Wo; t < rowBase + Ho * Wo; t++) cols[t] = 0;
        if (oyHi === oyLo || hi === lo) {
          for (let t = rowBase + oyLo * Wo; t < rowBase + oyHi * Wo; t++) cols[t] = 0;
          continue;
        }
        // From the first valid element (row oyLo, column lo) to the last (row oyHi - 1, column hi - 1).
        const d0 = rowBase + oyLo * Wo + lo;
        const s0 = xOff + (c * H + oyLo - pt + i * dh) * W + offX + lo;
        const n = (oyHi - oyLo - 1) * Wo + (hi - lo);
        if (n >= NATIVE_RUN) cols.set(x.subarray(s0, s0 + n), d0);
        else for (let t = 0; t < n; t++) cols[d0 + t] = x[s0 + t]!;
        for (let oy = oyLo; oy < oyHi; oy++) {
          const r = rowBase + oy * Wo;
          for (let ox = 0; ox < lo; ox++) cols[r + ox] = 0;
          for (let ox = hi; ox < Wo; ox++) cols[r + ox] = 0;
        }
      }
    }
  }
}

/** The adjoint of {@link im2col}: adds each column entry back onto the input pixel it came from. */
export function col2imAdd(cols: FloatArray, colOff: number, ld: number, g: Geometry, dx: FloatArray, xOff: number): void {
  const { Cg, H, W, kh, kw, Ho, Wo, sh, sw, pt, pl, dh, dw } = g;
  for (let c = 0; c < Cg; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const rowBase = ((c * kh + i) * kw + j) * ld + colOff;
        const offX = j * dw - pl;
        const [lo, hi] = validRange(offX, sw, W, Wo);
        for (let oy = 0; oy < Ho; oy++) {
          const iy = oy * sh - pt + i * dh;
          if (iy < 0 || iy >= H) continue;
          const src = rowBase + oy * Wo;
          const dst = xOff + (c * H + iy) * W + offX;
          for (let ox = lo; ox < hi; ox++) dx[dst + ox * sw]! += cols[src + ox]!;
        }
      }
    }
  }
}

/**
 * Copies rows of `rowLen` elements between two row-strided layouts: `rows` rows starting at
 * src[s] (stride sStride) to dst[d] (stride dStride). Used to lay a batch's per-image
 * [channels, pixels] blocks side by side and back.
 */
export function copyRows(src: FloatArray, s: number, sStride: number, dst: FloatArray, d: number, dStride: number, rows: number, rowLen: number): void {
  for (let r = 0; r < rows; r++) {
    const a = s + r * sStride;
    const b = d + r * dStride;
    if (rowLen >= NATIVE_RUN) dst.set(src.subarray(a, a + rowLen), b);
    else for (let t = 0; t < rowLen; t++) dst[b + t] = src[a + t]!;
  }
}
