/**
 * Runs one generated op case in dynconv and checks it against PyTorch: the outputs, the
 * gradients for PyTorch's random output gradients, and (second-order cases) the gradient of
 * sum(grad_i * v_i), all through dynconv's own `grad` with createGraph.
 */
import { grad, sum, type Tensor, zerosLike } from '@dynconv/core';
import { expect } from 'vitest';
import { FLOAT64_RTOL, type ParitySummary, relativeError } from './compare.js';
import { decode, type EncodedTensor, isEncoded, type OpCase, valuesOf } from './harness.js';

export type OpInput = Tensor | null | number | boolean | string;
/** dynconv's side of an op: from the decoded inputs and the case's options to its output(s). */
export type OpFn = (inputs: Record<string, OpInput>, kwargs: Record<string, any>) => Tensor | Tensor[];

function outputsOf(y: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(y) ? y : [y];
}

/** Asserts an error is within tolerance and returns it (so the summary can record it). */
function check(actual: Tensor, expected: EncodedTensor, what: string, rtol: number): number {
  const err = relativeError(actual, expected, undefined, what);
  expect(err, `${what}: largest relative error ${err} > ${rtol}`).toBeLessThanOrEqual(rtol);
  return err;
}

/** A short name of a case for test titles. */
export function caseTitle(c: OpCase, i: number): string {
  const kw = JSON.stringify(c.kwargs);
  const shapes = Object.entries(c.inputs).filter(([, v]) => isEncoded(v)).map(([k, v]) => `${k}[${(v as EncodedTensor).shape.join(',')}]`).join(' ');
  return `${c.op} #${i} ${shapes}${kw === '{}' ? '' : ` ${kw.length > 90 ? `${kw.slice(0, 90)}…` : kw}`}${c.deviation ? ` (deviation: ${c.deviation})` : ''}`;
}

/** Relative tolerance of cases computed in float32 (sums of products round differently). */
export const FLOAT32_RTOL = 1e-5;

/**
 * Checks one case; float32 cases (any float32 input) to {@link FLOAT32_RTOL}, the others to
 * {@link FLOAT64_RTOL} unless `rtol` says otherwise.
 */
export function runOpCase(c: OpCase, fn: OpFn, summary: ParitySummary, rtol?: number): void {
  const float32 = Object.values(c.inputs).some((v) => isEncoded(v) && v.dtype === 'float32');
  rtol ??= float32 ? FLOAT32_RTOL : FLOAT64_RTOL;
  const diff = new Set(Object.keys(c.grads ?? {}));
  const inputs: Record<string, OpInput> = {};
  for (const [name, v] of Object.entries(c.inputs)) inputs[name] = isEncoded(v) ? decode(v, { requiresGrad: diff.has(name) }) : v;
  const key = `${c.family}/${c.op}`;

  if (c.error !== undefined) {
    // PyTorch refused the input; dynconv must refuse it too, with its own message.
    expect(() => fn(inputs, c.kwargs), `PyTorch refused: ${c.error}`).toThrow();
    summary.record(key, 0);
    return;
  }
  const expected = c.deviation ? (c.expected ?? {}) : {};
  if (expected.error) {
    expect(c.outputs, 'the deviation is stale: PyTorch now refuses this case too').toBeDefined();
    expect(() => fn(inputs, c.kwargs)).toThrow();
    summary.record(key, 0, c.deviation);
    return;
  }

  let worst = 0;
  const outs = outputsOf(fn(inputs, c.kwargs));
  const wantOutputs = (expected.outputs as (EncodedTensor | null)[] | undefined) ?? c.outputs ?? [];
  expect(outs.length, 'number of outputs').toBe(wantOutputs.length);
  wantOutputs.forEach((want, i) => {
    if (want) worst = Math.max(worst, check(outs[i]!, want, `output ${i}`, rtol));
  });

  if (c.gradOutputs && c.grads) {
    const graded = Object.keys(c.gradOutputs).map(Number);
    const names = Object.keys(c.grads);
    const wrt = names.map((n) => inputs[n] as Tensor);
    const seeds = graded.map((i) => decode(c.gradOutputs![String(i)]!));
    const gs = grad(graded.map((i) => outs[i]!), wrt, { gradOutputs: seeds, createGraph: !!c.second, allowUnused: true })
      .map((g, j) => g ?? zerosLike(wrt[j]!));
    const factors = expected.gradFactor as Record<string, EncodedTensor> | undefined;
    names.forEach((n, j) => {
      if (factors) {
        // A deviation's gradient, as a factor of the (single) output's gradient.
        const seed = valuesOf(c.gradOutputs!['0']!);
        const want = valuesOf(factors[n]!).map((f, k) => f * seed[k]!);
        const err = relativeError(gs[j]!, want, wrt[j]!.shape, `grad ${n}`);
        expect(err, `grad ${n} (dynconv's documented behaviour)`).toBeLessThanOrEqual(rtol);
        // The deviation must still be one: PyTorch's gradient differs from dynconv's somewhere.
        expect(relativeError(gs[j]!, c.grads![n]!), `deviation ${c.deviation} is stale: PyTorch now agrees`).toBeGreaterThan(rtol);
      } else worst = Math.max(worst, check(gs[j]!, c.grads![n]!, `grad ${n}`, rtol));
    });

    if (c.second) {
      const terms = gs.map((g, j) => ({ g, v: decode(c.second!.v[names[j]!]!) })).filter(({ g }) => g.requiresGrad);
      expect(terms.length, 'first-order gradients that depend on the inputs').toBeGreaterThan(0);
      const s = terms.map(({ g, v }) => sum(g.mul(v))).reduce((a, b) => a.add(b));
      const hs = grad(s, wrt, { allowUnused: true }).map((h, j) => h ?? zerosLike(wrt[j]!));
      const secondExpected = expected.second as Record<string, EncodedTensor> | undefined;
      names.forEach((n, j) => {
        if (secondExpected) {
          check(hs[j]!, secondExpected[n]!, `second-order grad ${n} (dynconv's documented behaviour)`, rtol);
          expect(relativeError(hs[j]!, c.second!.grads[n]!), `deviation ${c.deviation} is stale: PyTorch now agrees`).toBeGreaterThan(rtol);
        } else worst = Math.max(worst, check(hs[j]!, c.second!.grads[n]!, `second-order grad ${n}`, rtol));
      });
    }
  }
  summary.record(key, worst, c.deviation, !!c.second);
}
