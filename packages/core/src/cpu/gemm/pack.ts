/**
 * Packing of GEMM operands into panels in plain JS, for the JS kernel: it then reads both
 * operands sequentially, whatever the source's transposition, strides or offsets. (The wasm
 * path packs in wasm instead; see simd-gemm.ts.)
 */
import type { FloatArray } from '../gemm.js';

/**
 * Copies a `rows x depth` block of a strided matrix into panels of `w` rows each, k-major:
 *   dst[dOff + (p * depth + k) * w + r] = src[sOff + (p * w + r) * sRow + k * sDepth]
 * Rows past `rows` (the last panel's tail) are zero, so the kernel always runs full tiles.
 * Any stride may be 0 (broadcast).
 */
export function packPanels(
  src: FloatArray, sOff: number, sRow: number, sDepth: number,
  rows: number, depth: number, w: number,
  dst: FloatArray, dOff: number,
): void {
  for (let r0 = 0; r0 < rows; r0 += w) {
    const base = dOff + r0 * depth;
    const rw = Math.min(w, rows - r0);
    if (sRow === 1 && rw === w) {
      // The panel's w values for one k are adjacent in the source (op(X) stored transposed).
      for (let k = 0; k < depth; k++) {
        const s = sOff + r0 + k * sDepth;
        const d = base + k * w;
        for (let r = 0; r < w; r++) dst[d + r] = src[s + r]!;
      }
    } else {
      for (let r = 0; r < rw; r++) {
        const s = sOff + (r0 + r) * sRow;
        const d = base + r;
        for (let k = 0; k < depth; k++) dst[d + k * w] = src[s + k * sDepth]!;
      }
      for (let r = rw; r < w; r++) for (let k = 0; k < depth; k++) dst[base + r + k * w] = 0;
    }
  }
}

/** Rounds n up to a multiple of m. */
export function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}
