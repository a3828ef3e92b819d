/**
 * One Adam/AdamW step of one parameter in a single pass, in place: the fused path of the
 * optimizer (packages/nn optim/adam.ts has the rule written with tensor ops, which makes
 * about twelve passes and as many temporaries per parameter). Arithmetic in float64,
 * stored in the parameter's dtype.
 */
import type { AdamScalars, Backend, TensorInfo } from '../backend/backend.js';
import { contiguousFloats } from './contiguous.js';
import { dataOf } from './storage.js';

/** The state tensors are dense (the op checks); grad may have any layout (copied if strided). */
export function adamStep(backend: Backend, param: TensorInfo, grad: TensorInfo, expAvg: TensorInfo, expAvgSq: TensorInfo, maxExpAvgSq: TensorInfo | null, s: AdamScalars): void {
  const p = dataOf(param);
  const g = contiguousFloats(backend, grad);
  const m = dataOf(expAvg);
  const v = dataOf(expAvgSq);
  const vmax = maxExpAvgSq ? dataOf(maxExpAvgSq) : null;
  const [po, go, mo, vo] = [param.offset, 0, expAvg.offset, expAvgSq.offset];
  const xo = maxExpAvgSq?.offset ?? 0;
  const { lr, beta1, beta2, eps, weightDecay, decoupled, maximize, step } = s;
  const decay = decoupled ? 1 - lr * weightDecay : 1;
  const l2 = decoupled ? 0 : weightDecay;
  const stepSize = lr / (1 - beta1 ** step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  const n = param.shape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) {
    const theta = p[po + i]! * decay;
    let gi = maximize ? -g[go + i]! : g[go + i]!;
    if (l2 !== 0) gi += l2 * p[po + i]!;
    const mi = beta1 * m[mo + i]! + (1 - beta1) * gi;
    const vi = beta2 * v[vo + i]! + (1 - beta2) * gi * gi;
    m[mo + i] = mi;
    v[vo + i] = vi;
    let second = v[vo + i]!; // the stored (rounded) moment, as the unfused rule reads it
    if (vmax) {
      second = Math.max(vmax[xo + i]!, second);
      vmax[xo + i] = second;
      second = vmax[xo + i]!;
    }
    p[po + i] = theta - (stepSize * m[mo + i]!) / (Math.sqrt(second) / bc2Sqrt + eps);
  }
}
