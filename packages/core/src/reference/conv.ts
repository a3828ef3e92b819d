/**
 * The three convolution kernels of the reference backend as direct loops, NCHW, in double.
 *
 * Everything follows from one relation between an output pixel (oh, ow) of output channel k
 * and the input pixel that kernel tap (i, j) of input channel c looks at:
 *
 *   ih = oh * strideH - padTop  + i * dilationH
 *   iw = ow * strideW - padLeft + j * dilationW
 *
 * where a tap that lands in the padding (outside 0..H-1, 0..W-1) reads zero. With groups G,
 * output channel k sees only the Cg = C / G input channels of its group g = floor(k / Kg),
 * Kg = K / G, i.e. input channel g * Cg + c for c in 0..Cg-1 (depthwise: Cg = 1, Kg = K / C).
 *
 * The two gradients walk the very same seven loops (n, k, oh, ow, c, i, j) and scatter
 * (accumulate) into dx or dw what the forward pass gathers, so all three agree by construction
 * and are easy to check against each other.
 */
import type { Backend, Conv2dParams, Storage, TensorInfo } from '../backend/backend.js';
import { read, storageFrom } from './storage.js';

interface Geometry {
  N: number; C: number; H: number; W: number;
  K: number; Cg: number; kh: number; kw: number;
  Ho: number; Wo: number; Kg: number;
}

function geometry(xShape: readonly number[], wShape: readonly number[], p: Conv2dParams): Geometry {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [K, Cg, kh, kw] = wShape as [number, number, number, number];
  return { N, C, H, W, K, Cg, kh, kw, Ho: p.outHeight, Wo: p.outWidth, Kg: K / p.groups };
}

/** Refuses a dy whose spatial size disagrees with the params (a bug in the caller, not data). */
function checkOutput(op: string, dy: TensorInfo, p: Conv2dParams): void {
  if (dy.shape[2] !== p.outHeight || dy.shape[3] !== p.outWidth) {
    throw new Error(`${op}: dy is ${dy.shape[2]}x${dy.shape[3]} but the params say the output is ${p.outHeight}x${p.outWidth}`);
  }
}

/**
 * Calls `visit` for every (n, k, oh, ow, c, i, j) whose tap lands inside the input, with the
 * input position (ch, ih, iw) it reads: the seven loops of a direct convolution.
 */
function forEachTap(
  g: Geometry,
  p: Conv2dParams,
  visit: (n: number, k: number, oh: number, ow: number, c: number, i: number, j: number, ch: number, ih: number, iw: number) => void,
): void {
  const [sh, sw] = p.stride;
  const [padTop, , padLeft] = p.padding;
  const [dh, dw] = p.dilation;
  for (let n = 0; n < g.N; n++) {
    for (let k = 0; k < g.K; k++) {
      const group = Math.floor(k / g.Kg);
      for (let oh = 0; oh < g.Ho; oh++) {
        for (let ow = 0; ow < g.Wo; ow++) {
          for (let c = 0; c < g.Cg; c++) {
            for (let i = 0; i < g.kh; i++) {
              const ih = oh * sh - padTop + i * dh;
              if (ih < 0 || ih >= g.H) continue; // zero padding contributes nothing
              for (let j = 0; j < g.kw; j++) {
                const iw = ow * sw - padLeft + j * dw;
                if (iw < 0 || iw >= g.W) continue;
                visit(n, k, oh, ow, c, i, j, group * g.Cg + c, ih, iw);
              }
            }
          }
        }
      }
    }
  }
}

/** y[n, k, oh, ow] = Σ_{c, i, j} x[n, ch, ih, iw] * w[k, c, i, j]; y is [N, K, outHeight, outWidth] of x's dtype. */
export function conv2d(backend: Backend, x: TensorInfo, w: TensorInfo, p: Conv2dParams): Storage {
  const g = geometry(x.shape, w.shape, p);
  const y = new Float64Array(g.N * g.K * g.Ho * g.Wo);
  forEachTap(g, p, (n, k, oh, ow, c, i, j, ch, ih, iw) => {
    y[((n * g.K + k) * g.Ho + oh) * g.Wo + ow] += read(x, [n, ch, ih, iw]) * read(w, [k, c, i, j]);
  });
  return storageFrom(backend, x.dtype, y);
}

/**
 * dx, the adjoint of conv2d in x (the transposed convolution): every product the forward pass
 * forms, x[n, ch, ih, iw] * w[k, c, i, j], contributes dy[n, k, oh, ow] * w[k, c, i, j] to
 * dx[n, ch, ih, iw]. dx has `inputShape` and dy's dtype.
 */
export function conv2dBackpropInput(backend: Backend, dy: TensorInfo, w: TensorInfo, inputShape: readonly number[], p: Conv2dParams): Storage {
  checkOutput('Conv2dBackpropInput', dy, p);
  const g = geometry(inputShape, w.shape, p);
  const dx = new Float64Array(g.N * g.C * g.H * g.W);
  forEachTap(g, p, (n, k, oh, ow, c, i, j, ch, ih, iw) => {
    dx[((n * g.C + ch) * g.H + ih) * g.W + iw] += read(dy, [n, k, oh, ow]) * read(w, [k, c, i, j]);
  });
  return storageFrom(backend, dy.dtype, dx);
}

/**
 * dw, the adjoint of conv2d in the weight: each product contributes
 * x[n, ch, ih, iw] * dy[n, k, oh, ow] to dw[k, c, i, j]. dw has `filterShape` and x's dtype.
 */
export function conv2dBackpropFilter(backend: Backend, x: TensorInfo, dy: TensorInfo, filterShape: readonly number[], p: Conv2dParams): Storage {
  checkOutput('Conv2dBackpropFilter', dy, p);
  const g = geometry(x.shape, filterShape, p);
  const dw = new Float64Array(g.K * g.Cg * g.kh * g.kw);
  forEachTap(g, p, (n, k, oh, ow, c, i, j, ch, ih, iw) => {
    dw[((k * g.Cg + c) * g.kh + i) * g.kw + j] += read(x, [n, ch, ih, iw]) * read(dy, [n, k, oh, ow]);
  });
  return storageFrom(backend, x.dtype, dw);
}
