import type { Backend, Storage, TensorInfo } from '../backend/backend.js';
import { simdPoolArgMax } from './simd-pool.js';
import { allocFor, dataOf } from './storage.js';

/** Window lists flattened: window i's taps are `taps[start[i] .. start[i + 1])`. */
function flatten(lists: readonly (readonly number[])[]): { start: Int32Array; taps: Int32Array } {
  const start = new Int32Array(lists.length + 1);
  lists.forEach((l, i) => (start[i + 1] = start[i]! + l.length));
  const taps = new Int32Array(start[lists.length]!);
  lists.forEach((l, i) => taps.set(l, start[i]!));
  return { start, taps };
}

/**
 * Position (h * W + w) of each window's maximum; windows are given as row and column lists.
 * The lists are flattened into typed arrays first: iterating arrays of arrays in the inner loop
 * cost about 8 ns per tap (a ResNet stem's max pool took 20 ms).
 */
export function poolArgMax(backend: Backend, x: TensorInfo, rows: readonly (readonly number[])[], cols: readonly (readonly number[])[]): Storage {
  const [N, C, , W] = x.shape as [number, number, number, number];
  const [sN, sC, sH, sW] = x.strides as [number, number, number, number];
  const Ho = rows.length;
  const Wo = cols.length;
  const out = allocFor(backend, 'int32', N * C * Ho * Wo, false);
  const o = out.data;
  const xd = dataOf(x);
  const R = flatten(rows);
  const Q = flatten(cols);
  const H = x.shape[2]!;
  // Contiguous float32 in wasm memory: the same scan in WebAssembly (simd-pool.ts).
  if (sW === 1 && sH === W && sC === H * W && (sN === C * H * W || N === 1) && simdPoolArgMax(xd, x.offset, N * C, H, W, R, Q, o as Int32Array)) return out;
  let p = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = x.offset + n * sN + c * sC;
      for (let i = 0; i < Ho; i++) {
        const r0 = R.start[i]!;
        const r1 = R.start[i + 1]!;
        for (let j = 0; j < Wo; j++) {
          const q0 = Q.start[j]!;
          const q1 = Q.start[j + 1]!;
          let best = -Infinity;
          let at = R.taps[r0]! * W + Q.taps[q0]!;
          scan: for (let ri = r0; ri < r1; ri++) {
            const r = R.taps[ri]!;
            const rowAt = base + r * sH;
            for (let qi = q0; qi < q1; qi++) {
              const q = Q.taps[qi]!;
              const v = xd[rowAt + q * sW]!;
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
