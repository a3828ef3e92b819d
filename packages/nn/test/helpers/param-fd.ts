/**
 * Parameter gradients against central finite differences: each given entry of a float64
 * parameter is perturbed in place by ±1e-6 (outside the tape), the loss re-evaluated, and the
 * value restored. Used where gradcheck's functional form does not fit (a module's own weights).
 */
import { noGrad, tensor, type Tensor } from '@dynconv/core';
import { expect } from 'vitest';

/** Central difference of `loss` in entry `j` of `p`, leaving `p` as it was. */
function numericEntry(p: Tensor, j: number, loss: () => Tensor): number {
  const base = Float64Array.from(p.dataSync());
  const at = (delta: number) => {
    const d = base.slice();
    d[j]! += delta;
    noGrad(() => p.copy_(tensor(d, { dtype: 'float64' }).reshape(p.shape)));
    return loss().item();
  };
  const numeric = (at(1e-6) - at(-1e-6)) / 2e-6;
  noGrad(() => p.copy_(tensor(base, { dtype: 'float64' }).reshape(p.shape)));
  return numeric;
}

/**
 * Expects `analytic` (the gradient of `loss` in `p`, flat) to match finite differences at the
 * first and last entries of `p`, within 1e-5 + 1e-3 |numeric|.
 */
export function expectParamGradient(p: Tensor, analytic: ArrayLike<number>, loss: () => Tensor, label: string): void {
  for (const j of new Set([0, p.numel() - 1])) {
    const numeric = numericEntry(p, j, loss);
    expect(Math.abs(analytic[j]! - numeric), `${label} entry ${j}`).toBeLessThan(1e-5 + 1e-3 * Math.abs(numeric));
  }
}
