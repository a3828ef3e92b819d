/**
 * Gradient checks: core's gradcheck and gradgradcheck with the full Jacobian for small inputs
 * and random projections for larger ones, and a finite-difference check of a parameter's
 * gradient (a module's own weights, which gradcheck's functional form does not reach).
 */
import { gradcheck, gradgradcheck, noGrad, tensor, type Tensor } from '@dynconv/core';

/** Inputs larger than this (in total elements) are checked by random projections vᵀJu (gradcheck's fast mode). */
export const FULL_JACOBIAN_LIMIT = 48;

/** Options of {@link checkGradients}. */
export interface CheckOptions {
  /** Also run gradgradcheck, for ops smooth where they are tested (default false). */
  second?: boolean;
  /** Absolute tolerance (gradcheck's default 1e-5). */
  atol?: number;
  /** Relative tolerance, against the numeric value (gradcheck's default 1e-3). */
  rtol?: number;
  /** Finite-difference step (gradcheck's default 1e-6). */
  eps?: number;
  /** Compare random projections instead of the full Jacobian (default: when the inputs hold more than {@link FULL_JACOBIAN_LIMIT} elements). */
  fastMode?: boolean;
}

/**
 * gradcheck (and with `second: true` gradgradcheck) of `fn` at `inputs`, float64 leaves that
 * require grad: the full Jacobian for small inputs, random projections vᵀJu for larger ones, so
 * a property stays fast. Throws gradcheck's Error, which names the input, the element and both
 * derivatives, when they disagree.
 */
export function checkGradients(fn: (...xs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], opts: CheckOptions = {}): void {
  const total = inputs.reduce((n, x) => n + x.numel(), 0);
  const o = { atol: opts.atol, rtol: opts.rtol, eps: opts.eps, fastMode: opts.fastMode ?? total > FULL_JACOBIAN_LIMIT };
  gradcheck(fn, inputs, o);
  if (opts.second) gradgradcheck(fn, inputs, null, o);
}

/** Options of {@link checkParamGradient}. */
export interface ParamGradientOptions {
  /** Names the parameter in the error message. */
  label?: string;
  /** Flat entries of the parameter to check (default: the first and the last). */
  entries?: readonly number[];
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance, against the numeric derivative (default 1e-3). */
  rtol?: number;
}

/**
 * Checks `analytic`, the gradient of `loss()` in the float64 parameter `p` (for example
 * `p.grad` after `loss().backward()`), against central finite differences at a few entries:
 * each entry is moved by ±eps in place, outside the tape, the loss re-evaluated, and the
 * parameter restored. Throws an Error naming the parameter, the entry and both derivatives
 * when |analytic - numeric| > atol + rtol * |numeric|.
 */
export function checkParamGradient(p: Tensor, analytic: Tensor | ArrayLike<number>, loss: () => Tensor, opts: ParamGradientOptions = {}): void {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  const label = opts.label ?? `parameter of shape [${p.shape.join(', ')}]`;
  if (p.dtype !== 'float64') throw new Error(`checkParamGradient: ${label} is ${p.dtype}; finite differences need float64 (use .double())`);
  const grad = 'dataSync' in analytic && typeof analytic.dataSync === 'function' ? (analytic as Tensor).dataSync() : (analytic as ArrayLike<number>);
  if (grad.length !== p.numel()) throw new Error(`checkParamGradient: ${label} has ${p.numel()} entries but the analytic gradient has ${grad.length}`);
  const base = Float64Array.from(p.dataSync());
  const set = (d: Float64Array) => noGrad(() => p.copy_(tensor(d, { dtype: 'float64' }).reshape(p.shape)));
  const at = (j: number, delta: number): number => {
    const d = base.slice();
    d[j]! += delta;
    set(d);
    return loss().item();
  };
  const entries = opts.entries ?? [...new Set([0, p.numel() - 1])];
  try {
    for (const j of entries) {
      if (!(Number.isInteger(j) && j >= 0 && j < p.numel())) throw new Error(`checkParamGradient: entry ${j} is outside ${label} (${p.numel()} entries)`);
      const numeric = (at(j, eps) - at(j, -eps)) / (2 * eps);
      set(base);
      const a = grad[j]!;
      if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
        throw new Error(`checkParamGradient: ${label} entry ${j}: analytic ${a}, numeric ${numeric} (|diff| ${Math.abs(a - numeric)} > atol ${atol} + rtol ${rtol} * |numeric|)`);
      }
    }
  } finally {
    set(base);
  }
}
