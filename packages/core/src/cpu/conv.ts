/**
 * 2-D convolution on the CPU: im2col + GEMM for the general case, and direct loops for
 * depthwise convolutions (depthwise.ts). The input and filter gradients reuse the same
 * machinery, so each costs about what the forward costs.
 *
 * Small feature maps make thin GEMMs (a 4x4 map gives 16 columns), where packing and call
 * overhead outweigh the arithmetic. So the column matrices of several images are laid side
 * by side and multiplied in one GEMM per chunk of images; the results are then copied back
 * to NCHW. A 1x1 stride-1 convolution of one image at a time needs no im2col at all: the image
 * already is its column matrix.
 */
import type { Backend, Conv2dParams, Storage, TensorInfo } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { type Geometry, geometry, isPointwise } from './conv-geometry.js';
import { depthwiseFilterGrad, depthwiseForward, depthwiseInputGrad } from './depthwise.js';
import { depthwise3x3FilterGrad, depthwise3x3Forward, depthwise3x3InputGrad, inputGradIs3x3, isDepthwise3x3 } from './depthwise3x3.js';
import { contiguousFloats } from './contiguous.js';
import { type FloatArray, gemm } from './gemm.js';
import { col2imAdd, type ColumnLoops, copyRows, im2col, paddedPlane } from './im2col.js';
import { wasmColumns } from './simd-im2col.js';
import { wasmHeap } from './wasm-heap.js';
import { allocFor, type CpuStorage, releaseScratch } from './storage.js';


/** Most column-matrix elements one chunk of images may use (16 MiB of float32). */
const COLS_CAP = 1 << 22;

/** Maps of fewer output pixels than this are batched: their per-image GEMMs are too thin. */
const BATCH_BELOW = 1024;

/** How many images share one GEMM. */
function imagesPerGemm(g: Geometry): number {
  const HoWo = g.Ho * g.Wo;
  if (g.N === 1 || HoWo >= BATCH_BELOW) return 1;
  const Ckk = g.Cg * g.kh * g.kw;
  return Math.max(1, Math.min(g.N, Math.floor(COLS_CAP / (Math.max(Ckk, g.Kg) * HoWo))));
}

function alloc(backend: Backend, dtype: DType, size: number, zero = true): { storage: CpuStorage; data: FloatArray } {
  const storage = allocFor(backend, dtype, size, zero);
  return { storage, data: storage.data as FloatArray };
}

/** Scratch arrays of one call, returned to the pool at its end. */
class Scratch {
  private held: CpuStorage[] = [];
  constructor(private backend: Backend, private dtype: DType) {}
  /** A scratch array the caller writes fully before reading (not zeroed). */
  take(size: number): FloatArray {
    const s = allocFor(this.backend, this.dtype, size, false);
    this.held.push(s);
    return s.data as FloatArray;
  }
  /** A zeroed scratch array. */
  takeZeroed(size: number): FloatArray {
    const a = this.take(size);
    a.fill(0);
    return a;
  }
  release(): void {
    for (const s of this.held) releaseScratch(s);
    this.held = [];
  }
}

/**
 * The column loops of one call over `images` (x for im2col, dx for col2im) and `cols`: the
 * WebAssembly ones (simd-im2col.ts) where they run, else the JavaScript ones of im2col.ts, with
 * the padded plane they share (zeroed once for im2col, which writes only its interior; col2im
 * clears it per channel). For im2col, float32 images outside wasm memory (made outside `tidy`)
 * are first copied into scratch there: one native copy costs far less than the JavaScript loops.
 * (col2im's images are the call's own output, allocated where its scratch is.)
 */
function columnLoops(g: Geometry, images: FloatArray, cols: FloatArray, scratch: Scratch, dir: 'im2col' | 'col2im'): ColumnLoops {
  const pp = paddedPlane(g);
  const plane = dir === 'im2col' ? scratch.takeZeroed(pp.Hp * pp.Wp) : scratch.take(pp.Hp * pp.Wp);
  const table = scratch.take(g.Ho * g.Wo);
  const fast = wasmColumns(g, pp, images, cols, plane, table) ?? (dir === 'im2col' ? staged() : null);
  return fast ?? {
    im2col: (xOff, colOff, ld) => im2col(images, xOff, g, cols, colOff, ld, plane, pp),
    col2imAdd: (colOff, ld, xOff) => col2imAdd(cols, colOff, ld, g, images, xOff, plane, pp),
  };

  function staged(): ColumnLoops | null {
    const heap = wasmHeap();
    if (!(images instanceof Float32Array) || !heap || heap.addressOf(images) >= 0) return null;
    const copy = scratch.take(images.length);
    copy.set(images);
    return wasmColumns(g, pp, copy, cols, plane, table);
  }
}

export function conv2d(backend: Backend, x: TensorInfo, w: TensorInfo, p: Conv2dParams): Storage {
  const [N, , H, W] = x.shape as [number, number, number, number];
  const [K, , kh, kw] = w.shape as [number, number, number, number];
  const Ho = p.outHeight;
  const Wo = p.outWidth;
  const g = geometry(x.shape, w.shape, [N, K, Ho, Wo], p);
  const xd = contiguousFloats(backend, x);
  const wd = contiguousFloats(backend, w);
  const depthwise = g.Cg === 1 && g.G > 1;
  // The GEMMs overwrite every output element; the depthwise loops accumulate into zeros.
  const outS = alloc(backend, x.dtype, N * K * Ho * Wo, depthwise);
  const out = outS.data;
  if (depthwise) {
    if (isDepthwise3x3(g)) depthwise3x3Forward(xd, wd, out, g);
    else depthwiseForward(xd, wd, out, g);
    return outS.storage;
  }
  const HoWo = Ho * Wo;
  const Ckk = g.Cg * kh * kw;
  const { C, G, Kg, Cg } = g;
  const nb = imagesPerGemm(g);
  const scratch = new Scratch(backend, x.dtype);
  const cols = nb === 1 && isPointwise(g) ? null : scratch.take(Ckk * nb * HoWo);
  const wide = nb > 1 ? scratch.take(Kg * nb * HoWo) : null; // the chunk's [Kg, images x pixels] result
  const loops = cols && columnLoops(g, xd, cols, scratch, 'im2col');
  for (let n0 = 0; n0 < N; n0 += nb) {
    const m = Math.min(nb, N - n0);
    const ld = m * HoWo;
    for (let gi = 0; gi < G; gi++) {
      const xOff = (n0 * C + gi * Cg) * H * W;
      if (loops) for (let t = 0; t < m; t++) loops.im2col(xOff + t * C * H * W, t * HoWo, ld);
      const yOff = (n0 * K + gi * Kg) * HoWo;
      gemm({
        M: Kg, N: ld, K: Ckk, transA: false, transB: false,
        A: wd, aOffset: gi * Kg * Ckk, lda: Ckk,
        B: cols ?? xd, bOffset: cols ? 0 : xOff, ldb: ld,
        C: wide ?? out, cOffset: wide ? 0 : yOff, ldc: ld, beta: 0,
      });
      if (wide) for (let t = 0; t < m; t++) copyRows(wide, t * HoWo, ld, out, yOff + t * K * HoWo, HoWo, Kg, HoWo);
    }
  }
  scratch.release();
  return outS.storage;
}

export function conv2dBackpropInput(backend: Backend, dy: TensorInfo, w: TensorInfo, inputShape: readonly number[], p: Conv2dParams): Storage {
  const g = geometry(inputShape, w.shape, dy.shape, p);
  const { N, C, H, W, K, Ho, Wo, kh, kw, G, Kg, Cg } = g;
  const dyd = contiguousFloats(backend, dy);
  const wd = contiguousFloats(backend, w);
  const dxS = alloc(backend, dy.dtype, N * C * H * W);
  const dx = dxS.data;
  if (Cg === 1 && G > 1) {
    if (inputGradIs3x3(g)) depthwise3x3InputGrad(dyd, wd, dx, g);
    else depthwiseInputGrad(dyd, wd, dx, g);
    return dxS.storage;
  }
  const HoWo = Ho * Wo;
  const Ckk = Cg * kh * kw;
  const nb = imagesPerGemm(g);
  const scratch = new Scratch(backend, dy.dtype);
  const cols = nb === 1 && isPointwise(g) ? null : scratch.take(Ckk * nb * HoWo); // each GEMM overwrites it
  const wide = nb > 1 ? scratch.take(Kg * nb * HoWo) : null; // dy of the chunk as [Kg, images x pixels]
  const loops = cols && columnLoops(g, dx, cols, scratch, 'col2im');
  for (let n0 = 0; n0 < N; n0 += nb) {
    const m = Math.min(nb, N - n0);
    const ld = m * HoWo;
    for (let gi = 0; gi < G; gi++) {
      const xOff = (n0 * C + gi * Cg) * H * W;
      const yOff = (n0 * K + gi * Kg) * HoWo;
      if (wide) for (let t = 0; t < m; t++) copyRows(dyd, yOff + t * K * HoWo, HoWo, wide, t * HoWo, ld, Kg, HoWo);
      // columns = W_g^T . dy_g, then folded back onto the images (written directly for 1x1).
      gemm({
        M: Ckk, N: ld, K: Kg, transA: true, transB: false,
        A: wd, aOffset: gi * Kg * Ckk, lda: Ckk,
        B: wide ?? dyd, bOffset: wide ? 0 : yOff, ldb: ld,
        C: cols ?? dx, cOffset: cols ? 0 : xOff, ldc: ld, beta: 0,
      });
      if (loops) for (let t = 0; t < m; t++) loops.col2imAdd(t * HoWo, ld, xOff + t * C * H * W);
    }
  }
  scratch.release();
  return dxS.storage;
}

export function conv2dBackpropFilter(backend: Backend, x: TensorInfo, dy: TensorInfo, filterShape: readonly number[], p: Conv2dParams): Storage {
  const g = geometry(x.shape, filterShape, dy.shape, p);
  const { N, C, H, W, K, Ho, Wo, kh, kw, G, Kg, Cg } = g;
  const xd = contiguousFloats(backend, x);
  const dyd = contiguousFloats(backend, dy);
  const depthwise = Cg === 1 && G > 1;
  // The GEMMs of the first chunk of images overwrite every element; the depthwise loops add.
  const dwS = alloc(backend, x.dtype, K * Cg * kh * kw, depthwise || N === 0);
  const dw = dwS.data;
  if (depthwise) {
    if (isDepthwise3x3(g)) depthwise3x3FilterGrad(xd, dyd, dw, g);
    else depthwiseFilterGrad(xd, dyd, dw, g);
    return dwS.storage;
  }
  const HoWo = Ho * Wo;
  const Ckk = Cg * kh * kw;
  const nb = imagesPerGemm(g);
  const scratch = new Scratch(backend, x.dtype);
  const cols = nb === 1 && isPointwise(g) ? null : scratch.take(Ckk * nb * HoWo);
  const wide = nb > 1 ? scratch.take(Kg * nb * HoWo) : null;
  const loops = cols && columnLoops(g, xd, cols, scratch, 'im2col');
  for (let n0 = 0; n0 < N; n0 += nb) {
    const m = Math.min(nb, N - n0);
    const ld = m * HoWo;
    for (let gi = 0; gi < G; gi++) {
      const xOff = (n0 * C + gi * Cg) * H * W;
      const yOff = (n0 * K + gi * Kg) * HoWo;
      if (loops) for (let t = 0; t < m; t++) loops.im2col(xOff + t * C * H * W, t * HoWo, ld);
      if (wide) for (let t = 0; t < m; t++) copyRows(dyd, yOff + t * K * HoWo, HoWo, wide, t * HoWo, ld, Kg, HoWo);
      // dW_g (+)= dy_g . columns^T, summed over the images of the chunk by the GEMM itself.
      gemm({
        M: Kg, N: Ckk, K: ld, transA: false, transB: true,
        A: wide ?? dyd, aOffset: wide ? 0 : yOff, lda: ld,
        B: cols ?? xd, bOffset: cols ? 0 : xOff, ldb: ld,
        C: dw, cOffset: gi * Kg * Ckk, ldc: Ckk, beta: n0 === 0 ? 0 : 1,
      });
    }
  }
  scratch.release();
  return dwS.storage;
}
