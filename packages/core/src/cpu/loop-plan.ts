import type { TensorInfo } from '../backend/backend.js';
import { stridedOffsets } from '../shape.js';

/**
 * How to walk several same-shaped strided views in row-major order with two loops: an outer
 * list of starting offsets (one per view) and an inner run of `inner` elements stepping by each
 * view's stride. Adjacent dims that every view walks evenly are merged first, so a contiguous
 * or broadcast-by-channel tensor becomes one long inner run instead of one offset per element.
 */
export interface LoopPlan {
  outer: Int32Array[];
  inner: number;
  strides: number[];
}

export function loopPlan(shape: readonly number[], views: readonly TensorInfo[]): LoopPlan {
  // Drop size-1 dims (their strides never matter), then merge mergeable neighbours.
  const dims: number[] = [];
  const strides: number[][] = views.map(() => []);
  shape.forEach((d, i) => {
    if (d === 1) return;
    const last = dims.length - 1;
    if (last >= 0 && views.every((v, k) => strides[k]![last] === v.strides[i]! * d)) {
      dims[last] = dims[last]! * d;
      views.forEach((v, k) => (strides[k]![last] = v.strides[i]!));
      return;
    }
    dims.push(d);
    views.forEach((v, k) => strides[k]!.push(v.strides[i]!));
  });
  if (dims.length === 0) return { outer: views.map((v) => Int32Array.of(v.offset)), inner: shape.includes(0) ? 0 : 1, strides: views.map(() => 0) };
  const nd = dims.length;
  const outerShape = dims.slice(0, nd - 1);
  return {
    outer: views.map((v, k) => stridedOffsets(outerShape, strides[k]!.slice(0, nd - 1), v.offset)),
    inner: dims[nd - 1]!,
    strides: strides.map((s) => s[nd - 1]!),
  };
}
