import type { Backend, Storage, TensorInfo } from '../backend/backend.js';
import { allocFor, dataOf } from './storage.js';

/** Position (h * W + w) of each window's maximum; windows are given as row and column lists. */
export function poolArgMax(backend: Backend, x: TensorInfo, rows: readonly (readonly number[])[], cols: readonly (readonly number[])[]): Storage {
  const [N, C, , W] = x.shape as [number, number, number, number];
  const [sN, sC, sH, sW] = x.strides as [number, number, number, number];
  const Ho = rows.length;
  const Wo = cols.length;
  const out = allocFor(backend, 'int32', N * C * Ho * Wo, false);
  const o = out.data;
  const xd = dataOf(x);
  let p = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = x.offset + n * sN + c * sC;
      for (let i = 0; i < Ho; i++) {
        const rs = rows[i]!;
        for (let j = 0; j < Wo; j++) {
          const cs = cols[j]!;
          let best = -Infinity;
          let at = rs[0]! * W + cs[0]!;
          scan: for (const r of rs) {
            for (const q of cs) {
              const v = xd[base + r * sH + q * sW]!;
              if (v > best) {
                best = v;
                at = r * W + q;
              } else if (v !== v) {
                at = r * W + q; // NaN propagates, as in PyTorch
                break scan;
              }
            }
          }
          o[p++] = at;
        }
      }
    }
  }
  return out;
}
