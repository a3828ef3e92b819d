/**
 * One Adam/AdamW step of the reference backend, element by element, in place, written as
 * PyTorch's rule reads (torch.optim.Adam / AdamW; see `adamUpdate` in @dynconv/nn):
 *
 *     g ← maximize ? -grad : grad
 *     AdamW: θ ← θ (1 - lr λ)          Adam with λ ≠ 0: g ← g + λ θ
 *     m ← β1 m + (1 - β1) g            v ← β2 v + (1 - β2) g²
 *     amsgrad: vmax ← max(vmax, v), used in place of v
 *     θ ← θ - lr / (1 - β1^t) · m / (√v / √(1 - β2^t) + ε)
 *
 * Each stored moment is rounded to its dtype before it is used, as the unfused rule does.
 */
import type { AdamScalars, SgdScalars, TensorInfo } from '../backend/backend.js';
import { dataOf, indicesOf, positionOf, toDType } from './storage.js';

export function adamStep(param: TensorInfo, grad: TensorInfo, expAvg: TensorInfo, expAvgSq: TensorInfo, maxExpAvgSq: TensorInfo | null, s: AdamScalars): void {
  const { lr, beta1, beta2, eps, weightDecay, decoupled, amsgrad, maximize, step } = s;
  const P = dataOf(param);
  const M = dataOf(expAvg);
  const V = dataOf(expAvgSq);
  const dt = param.dtype;
  for (const idx of indicesOf(param.shape)) {
    const p = positionOf(param, idx);
    const m = positionOf(expAvg, idx);
    const v = positionOf(expAvgSq, idx);
    const gRaw = dataOf(grad)[positionOf(grad, idx)]!;
    let g = maximize ? -gRaw : gRaw;
    let theta = P[p]!;
    if (decoupled) theta *= 1 - lr * weightDecay;
    else if (weightDecay !== 0) g += weightDecay * P[p]!;
    M[m] = toDType(beta1 * M[m]! + (1 - beta1) * g, dt);
    V[v] = toDType(beta2 * V[v]! + (1 - beta2) * g * g, dt);
    let second = V[v]!;
    if (amsgrad && maxExpAvgSq) {
      const x = positionOf(maxExpAvgSq, idx);
      const VM = dataOf(maxExpAvgSq);
      VM[x] = Number.isNaN(second) || Number.isNaN(VM[x]!) ? NaN : Math.max(VM[x]!, second);
      second = VM[x]!;
    }
    const stepSize = lr / (1 - beta1 ** step);
    P[p] = toDType(theta - (stepSize * M[m]!) / (Math.sqrt(second) / Math.sqrt(1 - beta2 ** step) + eps), dt);
  }
}

/**
 * One SGD step, element by element, in place, as torch.optim.SGD's rule reads (see `SGD` in
 * @dynconv/nn), each intermediate rounded to the dtype as the tensor ops round it:
 *
 *     g ← maximize ? -grad : grad;   λ ≠ 0: g ← g + λθ
 *     μ ≠ 0: b ← first ? g : μb + (1 - τ)g;   g ← nesterov ? g + μb : b
 *     θ ← θ - γg
 */
export function sgdStep(param: TensorInfo, grad: TensorInfo, momentumBuffer: TensorInfo | null, s: SgdScalars): void {
  const dt = param.dtype;
  const r = (x: number) => toDType(x, dt);
  const P = dataOf(param);
  for (const idx of indicesOf(param.shape)) {
    const p = positionOf(param, idx);
    const gRaw = dataOf(grad)[positionOf(grad, idx)]!;
    let g = s.maximize ? -gRaw : gRaw;
    if (s.weightDecay !== 0) g = r(g + r(r(s.weightDecay) * P[p]!));
    if (momentumBuffer) {
      const B = dataOf(momentumBuffer);
      const at = positionOf(momentumBuffer, idx);
      B[at] = s.firstStep ? g : r(r(r(s.momentum) * B[at]!) + (s.dampening === 0 ? g : r(r(1 - s.dampening) * g)));
      g = s.nesterov ? r(g + r(r(s.momentum) * B[at]!)) : B[at]!;
    }
    P[p] = r(P[p]! + r(r(-s.lr) * g));
  }
}
