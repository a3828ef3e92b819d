/**
 * Blocked GEMM in plain JavaScript, for float64 and as the float32 fallback without wasm
 * SIMD: operands packed into float64 panels, a 4x4 register tile held in 16 locals (V8 keeps
 * most in registers; it does not vectorise, so the tile is what buys the speed).
 */
import type { FloatArray, GemmArgs } from '../gemm.js';
import { packPanels, roundUp } from './pack.js';

const MR = 4;
const NR = 4;

/** Block sizes of the JS path (multiples of 4 for mc and nc). */
export interface JsBlocking {
  mc: number;
  kc: number;
  nc: number;
}

/** An A block of MC x KC doubles (256 KiB) stays in L2; a B panel of KC x NR (8 KiB) in L1. */
export const JS_BLOCKING: JsBlocking = { mc: 128, kc: 256, nc: 2048 };

let aBuf = new Float64Array(0);
let bBuf = new Float64Array(0);
const edge = new Float64Array(MR * NR);

/**
 * C = beta C + op(A) op(B) with packed panels and the 4x4 JS kernel, for either float type.
 * Requires M, N, K > 0 and C rows that do not overlap (ldc >= N or M = 1); C must not share
 * memory with A or B.
 */
export function gemmPackedJs(g: GemmArgs, blk: JsBlocking = JS_BLOCKING): void {
  const { M, N, K, A, B, C, lda, ldb, ldc, aOffset, bOffset, cOffset, transA, transB, beta } = g;
  const MC = roundUp(blk.mc, MR);
  const KC = blk.kc;
  const NC = roundUp(blk.nc, NR);
  const kcMax = Math.min(KC, K);
  const aNeed = Math.min(MC, roundUp(M, MR)) * kcMax;
  const bNeed = Math.min(NC, roundUp(N, NR)) * kcMax;
  if (aBuf.length < aNeed) aBuf = new Float64Array(aNeed);
  if (bBuf.length < bNeed) bBuf = new Float64Array(bNeed);
  const aRow = transA ? 1 : lda;
  const aDepth = transA ? lda : 1;
  const bCol = transB ? ldb : 1;
  const bDepth = transB ? 1 : ldb;

  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      packPanels(B, bOffset + jc * bCol + pc * bDepth, bCol, bDepth, nc, kc, NR, bBuf, 0);
      const accumulate = beta === 1 || pc > 0;
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        packPanels(A, aOffset + ic * aRow + pc * aDepth, aRow, aDepth, mc, kc, MR, aBuf, 0);
        macroKernel(aBuf, bBuf, mc, nc, kc, C, cOffset + ic * ldc + jc, ldc, accumulate);
      }
    }
  }
}

/** C block (mc x nc at cBase) = or += packed A block . packed B block. */
function macroKernel(
  Ap: Float64Array, Bp: Float64Array, mc: number, nc: number, kc: number,
  C: FloatArray, cBase: number, ldc: number, accumulate: boolean,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = Math.min(MR, mc - ir);
      let ai = ir * kc;
      let bi = jr * kc;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0; k < kc; k++) {
        const a0 = Ap[ai]!, a1 = Ap[ai + 1]!, a2 = Ap[ai + 2]!, a3 = Ap[ai + 3]!;
        const b0 = Bp[bi]!, b1 = Bp[bi + 1]!, b2 = Bp[bi + 2]!, b3 = Bp[bi + 3]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        ai += MR;
        bi += NR;
      }
      const c = cBase + ir * ldc + jr;
      if (mr === MR && nr === NR) {
        const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        if (accumulate) {
          C[c] += c00; C[c + 1] += c01; C[c + 2] += c02; C[c + 3] += c03;
          C[c1] += c10; C[c1 + 1] += c11; C[c1 + 2] += c12; C[c1 + 3] += c13;
          C[c2] += c20; C[c2 + 1] += c21; C[c2 + 2] += c22; C[c2 + 3] += c23;
          C[c3] += c30; C[c3 + 1] += c31; C[c3 + 2] += c32; C[c3 + 3] += c33;
        } else {
          C[c] = c00; C[c + 1] = c01; C[c + 2] = c02; C[c + 3] = c03;
          C[c1] = c10; C[c1 + 1] = c11; C[c1 + 2] = c12; C[c1 + 3] = c13;
          C[c2] = c20; C[c2 + 1] = c21; C[c2 + 2] = c22; C[c2 + 3] = c23;
          C[c3] = c30; C[c3 + 1] = c31; C[c3 + 2] = c32; C[c3 + 3] = c33;
        }
      } else {
        // Edge tile: padded rows/columns were computed on zeros and are dropped here.
        edge[0] = c00; edge[1] = c01; edge[2] = c02; edge[3] = c03;
        edge[4] = c10; edge[5] = c11; edge[6] = c12; edge[7] = c13;
        edge[8] = c20; edge[9] = c21; edge[10] = c22; edge[11] = c23;
        edge[12] = c30; edge[13] = c31; edge[14] = c32; edge[15] = c33;
        for (let r = 0; r < mr; r++) {
          for (let q = 0; q < nr; q++) {
            const at = c + r * ldc + q;
            C[at] = (accumulate ? C[at]! : 0) + edge[r * NR + q]!;
          }
        }
      }
    }
  }
}
