/**
 * Fused optimizer steps. One Adam/AdamW step of one parameter in a single pass, in place: the fused path of the
 * optimizer (packages/nn optim/adam.ts has the rule written with tensor ops, which makes
 * about twelve passes and as many temporaries per parameter). Arithmetic in float64,
 * stored in the parameter's dtype.
 */
import type { AdamScalars, Backend, SgdScalars, TensorInfo } from '../backend/backend.js';
import { contiguousFloats } from './contiguous.js';
import { simdAdam } from './simd-adam.js';
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
  // The same loop in WebAssembly (simd-adam.ts) for float32 in wasm memory, bit for bit.
  if (!maximize && !vmax && simdAdam(p, po, g, go, m, mo, v, vo, n, { decay, l2, beta1, beta2, stepSize, bc2Sqrt, eps })) return;
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

/**
 * One SGD step of one parameter in a single pass, in place (the rule is `SGD.updateParam` in
 * @dynconv/nn, which makes up to eight passes). Every product and sum is rounded to the
 * parameter's dtype where the tensor-op rule rounds it, with the scalars rounded first as a
 * number operand is, so both agree bit for bit.
 */
export function sgdStep(backend: Backend, param: TensorInfo, grad: TensorInfo, momentumBuffer: TensorInfo | null, s: SgdScalars): void {
  const p = dataOf(param);
  const g = contiguousFloats(backend, grad);
  const b = momentumBuffer ? dataOf(momentumBuffer) : null;
  const [po, bo] = [param.offset, momentumBuffer?.offset ?? 0];
  const f32 = param.dtype === 'float32';
  // Math.fround written out at each use: called through a variable it is not inlined, and
  // the loop measured several times slower.
  const R = (x: number) => (f32 ? Math.fround(x) : x);
  const { momentum, dampening, weightDecay, nesterov, maximize, firstStep } = s;
  const [wd, mu, keep, step] = [R(weightDecay), R(momentum), R(1 - dampening), R(-s.lr)];
  const n = param.shape.reduce((a, c) => a * c, 1);
  for (let i = 0; i < n; i++) {
    let gi = maximize ? -g[i]! : g[i]!;
    if (weightDecay !== 0) {
      const t = f32 ? Math.fround(wd * p[po + i]!) : wd * p[po + i]!;
      gi = f32 ? Math.fround(gi + t) : gi + t;
    }
    if (b) {
      const t = f32 ? Math.fround(mu * b[bo + i]!) : mu * b[bo + i]!;
      const u = dampening === 0 ? gi : f32 ? Math.fround(keep * gi) : keep * gi;
      const bi = firstStep ? gi : f32 ? Math.fround(t + u) : t + u;
      b[bo + i] = bi;
      if (nesterov) {
        const v = f32 ? Math.fround(mu * bi) : mu * bi;
        gi = f32 ? Math.fround(gi + v) : gi + v;
      } else gi = bi;
    }
    const d = f32 ? Math.fround(step * gi) : step * gi;
    p[po + i] = f32 ? Math.fround(p[po + i]! + d) : p[po + i]! + d;
  }
}
