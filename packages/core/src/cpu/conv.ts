/**
 * 2-D convolution on the CPU: im2col + GEMM for the general case (1x1 convolutions skip the
 * im2col copy), and direct loops for depthwise convolutions, where a GEMM would be a
 * sequence of tiny products. The input and filter gradients reuse the same machinery, so
 * each costs about what the forward costs.
 */
import type { Backend, Conv2dParams, Storage, TensorInfo } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { isContiguous, sizeOf } from '../shape.js';
import { copy } from './elementwise.js';
import { type FloatArray, gemm } from './gemm.js';
import { allocFor, CpuStorage, dataOf, releaseScratch } from './storage.js';

interface Geometry {
  N: number; C: number; H: number; W: number;
  K: number; kh: number; kw: number; Ho: number; Wo: number;
  G: number; Cg: number; Kg: number;
  sh: number; sw: number; pt: number; pl: number; dh: number; dw: number;
}

function geometry(xShape: readonly number[], wShape: readonly number[], yShape: readonly number[], p: Conv2dParams): Geometry {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [K, Cg, kh, kw] = wShape as [number, number, number, number];
  const [, , Ho, Wo] = yShape as [number, number, number, number];
  return {
    N, C, H, W, K, kh, kw, Ho, Wo, G: p.groups, Cg, Kg: K / p.groups,
    sh: p.stride[0], sw: p.stride[1], pt: p.padding[0], pl: p.padding[2], dh: p.dilation[0], dw: p.dilation[1],
  };
}

/** Output spatial size of a convolution (the op layer has already checked it is positive). */
export function convOutputSize(size: number, k: number, stride: number, padBefore: number, padAfter: number, dilation: number): number {
  return Math.floor((size + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1;
}

/** The elements of a view as one contiguous float array (no copy when already contiguous). */
function floats(backend: Backend, t: TensorInfo): FloatArray {
  const n = sizeOf(t.shape);
  if (isContiguous(t.shape, t.strides)) return dataOf(t).subarray(t.offset, t.offset + n) as FloatArray;
  return (copy(backend, t, t.dtype) as CpuStorage).data as FloatArray;
}

function alloc(backend: Backend, dtype: DType, size: number, zero = true): { storage: CpuStorage; data: FloatArray } {
  const storage = allocFor(backend, dtype, size, zero);
  return { storage, data: storage.data as FloatArray };
}

/** Output columns ox whose input column ox*sw + off lies inside [0, W). */
function validRange(off: number, sw: number, W: number, Wo: number): [number, number] {
  const lo = Math.min(Wo, Math.max(0, Math.ceil(-off / sw)));
  const hi = Math.min(Wo, Math.floor((W - 1 - off) / sw) + 1);
  return [lo, Math.max(lo, hi)];
}

const isPointwise = (g: Geometry): boolean =>
  g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.pt === 0 && g.pl === 0 && g.Ho === g.H && g.Wo === g.W;

/**
 * Unfolds one image's channel group into columns: row (c, i, j) holds, for every output
 * pixel, the input value under kernel tap (i, j) of channel c (zero in the padding).
 */
function im2col(x: FloatArray, xOff: number, g: Geometry, cols: FloatArray): void {
  const { Cg, H, W, kh, kw, Ho, Wo, sh, sw, pt, pl, dh, dw } = g;
  const HoWo = Ho * Wo;
  for (let c = 0; c < Cg; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const rowBase = ((c * kh + i) * kw + j) * HoWo;
        const offX = j * dw - pl;
        const [lo, hi] = validRange(offX, sw, W, Wo);
        for (let oy = 0; oy < Ho; oy++) {
          const iy = oy * sh - pt + i * dh;
          const dst = rowBase + oy * Wo;
          if (iy < 0 || iy >= H) {
            cols.fill(0, dst, dst + Wo);
            continue;
          }
          const src = xOff + (c * H + iy) * W + offX;
          if (lo > 0) cols.fill(0, dst, dst + lo);
          if (sw === 1) cols.set(x.subarray(src + lo, src + hi), dst + lo);
          else for (let ox = lo; ox < hi; ox++) cols[dst + ox] = x[src + ox * sw]!;
          if (hi < Wo) cols.fill(0, dst + hi, dst + Wo);
        }
      }
    }
  }
}

/** The adjoint of im2col: adds each column entry back onto the input pixel it came from. */
function col2imAdd(cols: FloatArray, g: Geometry, dx: FloatArray, xOff: number): void {
  const { Cg, H, W, kh, kw, Ho, Wo, sh, sw, pt, pl, dh, dw } = g;
  const HoWo = Ho * Wo;
  for (let c = 0; c < Cg; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const rowBase = ((c * kh + i) * kw + j) * HoWo;
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

export function conv2d(backend: Backend, x: TensorInfo, w: TensorInfo, p: Conv2dParams): Storage {
  const [N, , H, W] = x.shape as [number, number, number, number];
  const [K, , kh, kw] = w.shape as [number, number, number, number];
  const Ho = convOutputSize(H, kh, p.stride[0], p.padding[0], p.padding[1], p.dilation[0]);
  const Wo = convOutputSize(W, kw, p.stride[1], p.padding[2], p.padding[3], p.dilation[1]);
  const g = geometry(x.shape, w.shape, [N, K, Ho, Wo], p);
  const xd = floats(backend, x);
  const wd = floats(backend, w);
  const depthwise = g.Cg === 1 && g.G > 1;
  // The GEMMs overwrite every output element; the depthwise loops accumulate into zeros.
  const out = alloc(backend, x.dtype, N * K * Ho * Wo, depthwise);
  if (depthwise) {
    depthwiseForward(xd, wd, out.data, g);
    return out.storage;
  }
  const HoWo = Ho * Wo;
  const Ckk = g.Cg * kh * kw;
  const pointwise = isPointwise(g);
  const scratch = pointwise ? null : alloc(backend, x.dtype, Ckk * HoWo, false); // im2col writes every entry
  const cols = scratch?.data ?? null;
  for (let n = 0; n < N; n++) {
    for (let gi = 0; gi < g.G; gi++) {
      const xOff = (n * g.C + gi * g.Cg) * H * W;
      if (cols) im2col(xd, xOff, g, cols);
      gemm({
        M: g.Kg, N: HoWo, K: Ckk, transA: false, transB: false,
        A: wd, aOffset: gi * g.Kg * Ckk, lda: Ckk,
        B: cols ?? xd, bOffset: cols ? 0 : xOff, ldb: HoWo,
        C: out.data, cOffset: (n * K + gi * g.Kg) * HoWo, ldc: HoWo, beta: 0,
      });
    }
  }
  if (scratch) releaseScratch(scratch.storage);
  return out.storage;
}

export function conv2dBackpropInput(backend: Backend, dy: TensorInfo, w: TensorInfo, inputShape: readonly number[], p: Conv2dParams): Storage {
  const g = geometry(inputShape, w.shape, dy.shape, p);
  const { N, C, H, W, K, Ho, Wo, kh, kw } = g;
  const dyd = floats(backend, dy);
  const wd = floats(backend, w);
  const dx = alloc(backend, dy.dtype, N * C * H * W);
  if (g.Cg === 1 && g.G > 1) {
    depthwiseInputGrad(dyd, wd, dx.data, g);
    return dx.storage;
  }
  const HoWo = Ho * Wo;
  const Ckk = g.Cg * kh * kw;
  const pointwise = isPointwise(g);
  const scratch = pointwise ? null : alloc(backend, dy.dtype, Ckk * HoWo, false); // each GEMM overwrites it
  const cols = scratch?.data ?? null;
  for (let n = 0; n < N; n++) {
    for (let gi = 0; gi < g.G; gi++) {
      const xOff = (n * C + gi * g.Cg) * H * W;
      // columns = W_g^T . dy_g, then folded back onto the image (directly for 1x1).
      gemm({
        M: Ckk, N: HoWo, K: g.Kg, transA: true, transB: false,
        A: wd, aOffset: gi * g.Kg * Ckk, lda: Ckk,
        B: dyd, bOffset: (n * K + gi * g.Kg) * HoWo, ldb: HoWo,
        C: cols ?? dx.data, cOffset: cols ? 0 : xOff, ldc: HoWo, beta: 0,
      });
      if (cols) col2imAdd(cols, g, dx.data, xOff);
    }
  }
  if (scratch) releaseScratch(scratch.storage);
  return dx.storage;
}

export function conv2dBackpropFilter(backend: Backend, x: TensorInfo, dy: TensorInfo, filterShape: readonly number[], p: Conv2dParams): Storage {
  const g = geometry(x.shape, filterShape, dy.shape, p);
  const { N, C, H, W, K, Ho, Wo, kh, kw } = g;
  const xd = floats(backend, x);
  const dyd = floats(backend, dy);
  const dw = alloc(backend, x.dtype, K * g.Cg * kh * kw);
  if (g.Cg === 1 && g.G > 1) {
    depthwiseFilterGrad(xd, dyd, dw.data, g);
    return dw.storage;
  }
  const HoWo = Ho * Wo;
  const Ckk = g.Cg * kh * kw;
  const pointwise = isPointwise(g);
  const scratch = pointwise ? null : alloc(backend, x.dtype, Ckk * HoWo, false);
  const cols = scratch?.data ?? null;
  for (let n = 0; n < N; n++) {
    for (let gi = 0; gi < g.G; gi++) {
      const xOff = (n * C + gi * g.Cg) * H * W;
      if (cols) im2col(xd, xOff, g, cols);
      // dW_g += dy_g . columns^T, summed over the batch.
      gemm({
        M: g.Kg, N: Ckk, K: HoWo, transA: false, transB: true,
        A: dyd, aOffset: (n * K + gi * g.Kg) * HoWo, lda: HoWo,
        B: cols ?? xd, bOffset: cols ? 0 : xOff, ldb: HoWo,
        C: dw.data, cOffset: gi * g.Kg * Ckk, ldc: Ckk, beta: 1,
      });
    }
  }
  if (scratch) releaseScratch(scratch.storage);
  return dw.storage;
}

/** Depthwise (one input channel per group): output channel k reads input channel k / multiplier. */
function depthwiseForward(x: FloatArray, w: FloatArray, y: FloatArray, g: Geometry): void {
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

function depthwiseInputGrad(dy: FloatArray, w: FloatArray, dx: FloatArray, g: Geometry): void {
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

function depthwiseFilterGrad(x: FloatArray, dy: FloatArray, dwOut: FloatArray, g: Geometry): void {
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
