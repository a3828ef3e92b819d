/**
 * im2col and its adjoint: the copies that turn a convolution into a matrix product. Row
 * (c, i, j) of the column matrix holds, for every output pixel, the input value under kernel
 * tap (i, j) of channel c (zero in the padding). Several images can share one column matrix
 * side by side (`colOff`, row stride `ld`), so small feature maps make one wide GEMM.
 */
import type { Geometry } from './conv-geometry.js';
import type { FloatArray } from './gemm.js';

/** Runs shorter than this are copied by a loop: a subarray view costs more than the copy. */
const NATIVE_RUN = 32;

/**
 * The padded plane of one channel: the rows and columns a window can reach, with the padding as
 * real zeros. With it every tap's row is a plain strided read (no bounds tests, no zero runs),
 * which is what makes im2col cheap on the 4x4 to 14x14 maps of small nets, where the taps' runs
 * are a few elements long. `rows` and `cols` are the input rows and columns that land inside it.
 */
export interface PaddedPlane {
  Hp: number;
  Wp: number;
  rows: number;
  cols: number;
  /**
   * For each output pixel (oy, ox), the plane offset of its window's top-left tap: tap (i, j)
   * reads at `at[p] + i * dh * Wp + j * dw`. One loop over Ho * Wo pixels per tap, instead of
   * a loop per output row of a few elements, whose set-up cost more than the copies.
   */
  at: Int32Array;
}

/** im2col and col2imAdd of one convolution call, bound to its images, column matrix and plane. */
export interface ColumnLoops {
  /** im2col of the image group at element `xOff` of the images into columns from `colOff` (row stride `ld`). */
  im2col(xOff: number, colOff: number, ld: number): void;
  /** col2imAdd of the columns from `colOff` (row stride `ld`) onto the image group at element `xOff`. */
  col2imAdd(colOff: number, ld: number, xOff: number): void;
}

/** The padded plane of `g`'s windows. */
export function paddedPlane(g: Geometry): PaddedPlane {
  const Hp = (g.Ho - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  const Wp = (g.Wo - 1) * g.sw + (g.kw - 1) * g.dw + 1;
  const at = new Int32Array(g.Ho * g.Wo);
  for (let oy = 0; oy < g.Ho; oy++) for (let ox = 0; ox < g.Wo; ox++) at[oy * g.Wo + ox] = oy * g.sh * Wp + ox * g.sw;
  return { Hp, Wp, rows: Math.max(0, Math.min(g.H, Hp - g.pt)), cols: Math.max(0, Math.min(g.W, Wp - g.pl)), at };
}

/**
 * Unfolds one image's channel group (at `xOff`) into columns colOff.. of `cols` (row stride `ld`).
 * `plane` is scratch of `Hp * Wp` elements whose padding is zero: zero it once per geometry;
 * each call writes only the positions the input lands on, so the padding stays zero.
 */
export function im2col(x: FloatArray, xOff: number, g: Geometry, cols: FloatArray, colOff: number, ld: number, plane: FloatArray, pp: PaddedPlane): void {
  const { Cg, H, W, kh, kw, Ho, Wo, pt, pl, dh, dw } = g;
  const { Wp, rows, cols: inCols, at } = pp;
  const HoWo = Ho * Wo;
  for (let c = 0; c < Cg; c++) {
    const src = xOff + c * H * W;
    for (let iy = 0; iy < rows; iy++) {
      const s = src + iy * W;
      const d = (iy + pt) * Wp + pl;
      for (let ix = 0; ix < inCols; ix++) plane[d + ix] = x[s + ix]!;
    }
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const d = ((c * kh + i) * kw + j) * ld + colOff;
        const tap = i * dh * Wp + j * dw;
        for (let p = 0; p < HoWo; p++) cols[d + p] = plane[tap + at[p]!]!;
      }
    }
  }
}

/**
 * The adjoint of {@link im2col}: adds each column entry back onto the input pixel it came from.
 * Each channel's taps are summed into the padded `plane` (Hp * Wp scratch, any contents: it is
 * cleared here), in the tap order a direct scatter would use, and the plane's interior is then
 * added to `dx`: the same sums, bit for bit, without bounds tests per element.
 */
export function col2imAdd(cols: FloatArray, colOff: number, ld: number, g: Geometry, dx: FloatArray, xOff: number, plane: FloatArray, pp: PaddedPlane): void {
  const { Cg, H, W, kh, kw, Ho, Wo, pt, pl, dh, dw } = g;
  const { Hp, Wp, rows, cols: inCols, at } = pp;
  const HoWo = Ho * Wo;
  for (let c = 0; c < Cg; c++) {
    plane.fill(0, 0, Hp * Wp);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const s = ((c * kh + i) * kw + j) * ld + colOff;
        const tap = i * dh * Wp + j * dw;
        for (let p = 0; p < HoWo; p++) plane[tap + at[p]!]! += cols[s + p]!;
      }
    }
    const dst = xOff + c * H * W;
    for (let iy = 0; iy < rows; iy++) {
      const r = dst + iy * W;
      const p = (iy + pt) * Wp + pl;
      for (let ix = 0; ix < inCols; ix++) dx[r + ix]! += plane[p + ix]!;
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
