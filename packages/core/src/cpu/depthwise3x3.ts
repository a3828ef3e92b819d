/**
 * Depthwise 3x3 convolutions (dilation 1, the shape of MobileNet's and ShuffleNet's) with
 * every tap unrolled: each input plane is first copied into a zero-padded scratch plane, so the
 * inner loop reads nine neighbours with no bounds checks and writes each output once (the
 * general loops of depthwise.ts read and write the output once per tap, and measured much
 * slower; the `depthwise` item of docs/benchmarks.md times these loops).
 * The input gradient at stride 1 is the same sweep over the padded dy plane with the kernel
 * turned by 180 degrees; the filter gradient keeps nine sums per channel. The sweep runs in
 * WebAssembly for float32 outputs in wasm memory (simd-depthwise.ts, the same bits).
 */
import type { Geometry } from './conv-geometry.js';
import type { FloatArray } from './gemm.js';
import { depthwiseKernels } from './simd-depthwise.js';

/** Whether these loops apply: 3x3 taps, dilation 1, depthwise (the caller checks groups). */
export const isDepthwise3x3 = (g: Geometry): boolean => g.kh === 3 && g.kw === 3 && g.dh === 1 && g.dw === 1;

/** The input gradient needs stride 1 and padding at most 2 (the turned kernel's own padding). */
export const inputGradIs3x3 = (g: Geometry): boolean => isDepthwise3x3(g) && g.sh === 1 && g.sw === 1 && g.pt <= 2 && g.pl <= 2;

/**
 * Copies plane `src[base ..]` (H x W) into P (Hp x Wp) so that P[r][c] = src[r - top][c - left],
 * zero where that is outside the plane.
 */
function fillPadded(src: FloatArray, base: number, H: number, W: number, P: Float64Array, Hp: number, Wp: number, top: number, left: number): void {
  P.fill(0);
  for (let r = Math.max(0, top); r < Math.min(Hp, H + top); r++) {
    const s = base + (r - top) * W;
    for (let c = Math.max(0, left); c < Math.min(Wp, W + left); c++) P[r * Wp + c] = src[s + c - left]!;
  }
}

/** out[oy][ox] (+)= Σ_ij k_ij P[oy*sh + i][ox*sw + j] over an Ho x Wo plane at `o`. */
function sweep(P: Float64Array, Wp: number, k: FloatArray, kb: number, flip: boolean, out: FloatArray, o: number, Ho: number, Wo: number, sh: number, sw: number, add: boolean): void {
  const t = (i: number) => k[kb + (flip ? 8 - i : i)]!;
  const [w0, w1, w2, w3, w4, w5, w6, w7, w8] = [t(0), t(1), t(2), t(3), t(4), t(5), t(6), t(7), t(8)];
  for (let oy = 0; oy < Ho; oy++) {
    const r0 = oy * sh * Wp;
    const r1 = r0 + Wp;
    const r2 = r1 + Wp;
    const d = o + oy * Wo;
    for (let ox = 0; ox < Wo; ox++) {
      const c = ox * sw;
      const v = w0 * P[r0 + c]! + w1 * P[r0 + c + 1]! + w2 * P[r0 + c + 2]!
        + w3 * P[r1 + c]! + w4 * P[r1 + c + 1]! + w5 * P[r1 + c + 2]!
        + w6 * P[r2 + c]! + w7 * P[r2 + c + 1]! + w8 * P[r2 + c + 2]!;
      out[d + ox] = add ? out[d + ox]! + v : v;
    }
  }
}

/**
 * The sweep for one call writing into `out`: WebAssembly (simd-depthwise.ts, the same bits)
 * when `out` is float32 in wasm memory, with the padded plane placed there too; else the
 * JavaScript loop over an ordinary plane. `release()` frees the plane's block.
 */
function sweeper(out: FloatArray, src: FloatArray, planeSize: number): { P: Float64Array; fill: typeof fillPadded; run: typeof sweep; release(): void } {
  const k = out instanceof Float32Array ? depthwiseKernels() : null;
  const outAt = k ? k.heap.addressOf(out) : -1;
  const P = outAt >= 0 ? (k!.heap.view('float64', planeSize, false) as Float64Array | null) : null;
  if (!k || !P) return { P: new Float64Array(planeSize), fill: fillPadded, run: sweep, release: () => {} };
  const pAt = k.heap.addressOf(P);
  const srcAt = src instanceof Float32Array ? k.heap.addressOf(src) : -1;
  const fill: typeof fillPadded = srcAt < 0 ? fillPadded : (_s, base, H, W, _P, Hp, Wp, top, left) =>
    k.pad(pAt, Hp * Wp * 8, srcAt + base * 4, Math.max(0, Math.min(H, Hp - top)), Math.max(0, Math.min(W, Wp - left)), W * 4, Wp * 8, (top * Wp + left) * 8);
  const run: typeof sweep = (_P, Wp, w, kb, flip, _out, o, Ho, Wo, sh, sw, add) => {
    const t = (i: number) => w[kb + (flip ? 8 - i : i)]!;
    (sw === 1 ? k.sweep1 : k.sweepAny)(pAt, Wp * 8, outAt + o * 4, Ho, Wo, sh * Wp * 8, sw * 8, add ? 1 : 0, t(0), t(1), t(2), t(3), t(4), t(5), t(6), t(7), t(8));
  };
  return { P, fill, run, release: () => k.heap.free(P) };
}

/** Forward: y = w * x per channel; every output element is written. */
export function depthwise3x3Forward(x: FloatArray, w: FloatArray, y: FloatArray, g: Geometry): void {
  const { N, C, H, W, K, Ho, Wo, sh, sw, pt, pl } = g;
  const mult = K / C;
  const Hp = (Ho - 1) * sh + 3;
  const Wp = (Wo - 1) * sw + 3;
  const { P, fill, run, release } = sweeper(y, x, Hp * Wp);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      // Output channels k of one input channel share its padded plane.
      if (k % mult === 0) fill(x, (n * C + k / mult) * H * W, H, W, P, Hp, Wp, pt, pl);
      run(P, Wp, w, k * 9, false, y, (n * K + k) * Ho * Wo, Ho, Wo, sh, sw, false);
    }
  }
  release();
}

/** Input gradient at stride 1: dx (+)= turned w * dy padded by 2 - padding; dx arrives zeroed. */
export function depthwise3x3InputGrad(dy: FloatArray, w: FloatArray, dx: FloatArray, g: Geometry): void {
  const { N, C, H, W, K, Ho, Wo, pt, pl } = g;
  const mult = K / C;
  const Hp = H + 2;
  const Wp = W + 2;
  const { P, fill, run, release } = sweeper(dx, dy, Hp * Wp);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      fill(dy, (n * K + k) * Ho * Wo, Ho, Wo, P, Hp, Wp, 2 - pt, 2 - pl);
      run(P, Wp, w, k * 9, true, dx, (n * C + Math.floor(k / mult)) * H * W, H, W, 1, 1, mult > 1);
    }
  }
  release();
}

/** Filter gradient: dw[k][i][j] = Σ over images and outputs of dy * the input under tap (i, j). */
export function depthwise3x3FilterGrad(x: FloatArray, dy: FloatArray, dw: FloatArray, g: Geometry): void {
  const { N, C, H, W, K, Ho, Wo, sh, sw, pt, pl } = g;
  const mult = K / C;
  const Hp = (Ho - 1) * sh + 3;
  const Wp = (Wo - 1) * sw + 3;
  const P = new Float64Array(Hp * Wp);
  const acc = new Float64Array(K * 9);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      if (k % mult === 0) fillPadded(x, (n * C + k / mult) * H * W, H, W, P, Hp, Wp, pt, pl);
      const o = (n * K + k) * Ho * Wo;
      let [a0, a1, a2, a3, a4, a5, a6, a7, a8] = [0, 0, 0, 0, 0, 0, 0, 0, 0];
      for (let oy = 0; oy < Ho; oy++) {
        const r0 = oy * sh * Wp;
        const r1 = r0 + Wp;
        const r2 = r1 + Wp;
        for (let ox = 0; ox < Wo; ox++) {
          const c = ox * sw;
          const d = dy[o + oy * Wo + ox]!;
          a0 += d * P[r0 + c]!; a1 += d * P[r0 + c + 1]!; a2 += d * P[r0 + c + 2]!;
          a3 += d * P[r1 + c]!; a4 += d * P[r1 + c + 1]!; a5 += d * P[r1 + c + 2]!;
          a6 += d * P[r2 + c]!; a7 += d * P[r2 + c + 1]!; a8 += d * P[r2 + c + 2]!;
        }
      }
      const b = k * 9;
      acc[b] += a0; acc[b + 1] += a1; acc[b + 2] += a2; acc[b + 3] += a3; acc[b + 4] += a4;
      acc[b + 5] += a5; acc[b + 6] += a6; acc[b + 7] += a7; acc[b + 8] += a8;
    }
  }
  for (let i = 0; i < K * 9; i++) dw[i] = acc[i]!;
}
