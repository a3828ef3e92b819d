/**
 * Depthwise convolution (one input channel per group) by direct loops, where a GEMM would be a
 * sequence of tiny products: output channel k reads input channel k / multiplier.
 */
import type { Geometry } from './conv-geometry.js';
import { validRange } from './conv-geometry.js';
import type { FloatArray } from './gemm.js';

/** Forward: y += w * x over each window (y arrives zeroed). */
export function depthwiseForward(x: FloatArray, w: FloatArray, y: FloatArray, g: Geometry): void {
  const { N, C, H, W, K, kh, kw, Ho, Wo, sh, sw, pt, pl, dh, dw } = g;
  const mult = K / C;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const xBase = (n * C + Math.floor(k / mult)) * H * W;
      const yBase = (n * K + k) * Ho * Wo;
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const wv = w[(k * kh + i) * kw + j]!;
          const offX = j * dw - pl;
          const [lo, hi] = validRange(offX, sw, W, Wo);
          for (let oy = 0; oy < Ho; oy++) {
            const iy = oy * sh - pt + i * dh;
            if (iy < 0 || iy >= H) continue;
            const src = xBase + iy * W + offX;
            const dst = yBase + oy * Wo;
            for (let ox = lo; ox < hi; ox++) y[dst + ox]! += wv * x[src + ox * sw]!;
          }
        }
      }
    }
  }
}

export function depthwiseInputGrad(dy: FloatArray, w: FloatArray, dx: FloatArray, g: Geometry): void {
  const { N, C, H, W, K, kh, kw, Ho, Wo, sh, sw, pt, pl, dh, dw } = g;
  const mult = K / C;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const xBase = (n * C + Math.floor(k / mult)) * H * W;
      const yBase = (n * K + k) * Ho * Wo;
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const wv = w[(k * kh + i) * kw + j]!;
          const offX = j * dw - pl;
          const [lo, hi] = validRange(offX, sw, W, Wo);
          for (let oy = 0; oy < Ho; oy++) {
            const iy = oy * sh - pt + i * dh;
            if (iy < 0 || iy >= H) continue;
            const dst = xBase + iy * W + offX;
            const src = yBase + oy * Wo;
            for (let ox = lo; ox < hi; ox++) dx[dst + ox * sw]! += wv * dy[src + ox]!;
          }
        }
      }
    }
  }
}

export function depthwiseFilterGrad(x: FloatArray, dy: FloatArray, dwOut: FloatArray, g: Geometry): void {
  const { N, C, H, W, K, kh, kw, Ho, Wo, sh, sw, pt, pl, dh, dw } = g;
  const mult = K / C;
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const offX = j * dw - pl;
        const [lo, hi] = validRange(offX, sw, W, Wo);
        let acc = 0;
        for (let n = 0; n < N; n++) {
          const xBase = (n * C + Math.floor(k / mult)) * H * W;
          const yBase = (n * K + k) * Ho * Wo;
          for (let oy = 0; oy < Ho; oy++) {
            const iy = oy * sh - pt + i * dh;
            if (iy < 0 || iy >= H) continue;
            const src = xBase + iy * W + offX;
            const dst = yBase + oy * Wo;
            for (let ox = lo; ox < hi; ox++) acc += dy[dst + ox]! * x[src + ox * sw]!;
          }
        }
        dwOut[(k * kh + i) * kw + j] = acc;
      }
    }
  }
}
