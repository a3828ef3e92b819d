/** The numbers every CPU convolution loop needs, unpacked once per call from shapes and params. */
import type { Conv2dParams } from '../backend/backend.js';

export interface Geometry {
  N: number; C: number; H: number; W: number;
  K: number; kh: number; kw: number; Ho: number; Wo: number;
  G: number; Cg: number; Kg: number;
  sh: number; sw: number; pt: number; pl: number; dh: number; dw: number;
}

export function geometry(xShape: readonly number[], wShape: readonly number[], yShape: readonly number[], p: Conv2dParams): Geometry {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [K, Cg, kh, kw] = wShape as [number, number, number, number];
  const [, , Ho, Wo] = yShape as [number, number, number, number];
  return {
    N, C, H, W, K, kh, kw, Ho, Wo, G: p.groups, Cg, Kg: K / p.groups,
    sh: p.stride[0], sw: p.stride[1], pt: p.padding[0], pl: p.padding[2], dh: p.dilation[0], dw: p.dilation[1],
  };
}

/** Output columns ox whose input column ox*sw + off lies inside [0, W). */
export function validRange(off: number, sw: number, W: number, Wo: number): [number, number] {
  const lo = Math.min(Wo, Math.max(0, Math.ceil(-off / sw)));
  const hi = Math.min(Wo, Math.floor((W - 1 - off) / sw) + 1);
  return [lo, Math.max(lo, hi)];
}

/** A 1x1, stride-1, unpadded convolution: the input image already is its own column matrix. */
export const isPointwise = (g: Geometry): boolean =>
  g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.pt === 0 && g.pl === 0 && g.Ho === g.H && g.Wo === g.W;
