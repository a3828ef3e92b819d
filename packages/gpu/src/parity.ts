/**
 * A small parity check, runnable anywhere the backend runs (Node or a browser page): a fixed set
 * of ops, forward and gradients, computed on a gpu backend and on the CPU backend, compared at
 * float32 tolerance (relative 1e-4, absolute 1e-5 times the reduction length).
 */
import { avgPool2d, batchNorm, conv2d, crossEntropy, Generator, logSoftmax, maxPool2d, type Tensor, tensor, tidy } from '@dynconv/core';

/** One case of {@link runParitySubset}. */
export interface ParityResult {
  /** What the case computes. */
  name: string;
  /** Whether the output and the gradients matched the CPU backend's within tolerance. */
  ok: boolean;
  /** Largest |gpu - cpu| over all compared values. */
  maxAbsDiff: number;
  /** Why it failed (a thrown error or the first mismatch). */
  error?: string;
  /** Wall-clock milliseconds the case took on both backends. */
  ms: number;
}

interface Case {
  name: string;
  /** Input shapes (float32, standard normal values). */
  inputs: number[][];
  /** Reduction length, scaling the absolute tolerance. */
  reduce: number;
  fn: (...xs: Tensor[]) => Tensor;
}

const CASES: Case[] = [
  { name: 'unary exp/tanh/sigmoid/erf/log1p', inputs: [[3, 5]], reduce: 1, fn: (x) => x.exp().add(x.tanh()).add(x.sigmoid()).add(x.erf()).add(x.abs().log1p()) },
  { name: 'binary broadcast (strided, permuted)', inputs: [[4, 3], [3]], reduce: 1, fn: (a, b) => a.t().mul(b.unsqueeze(1)).sub(a.t().div(b.abs().add(1).unsqueeze(1))).pow(2) },
  { name: 'reduce sum/amax over dims', inputs: [[2, 3, 4]], reduce: 12, fn: (x) => x.sum([0, 2]).unsqueeze(1).add(x.amax(1).sum(1)) },
  { name: 'matmul batched', inputs: [[2, 3, 5], [2, 5, 4]], reduce: 5, fn: (a, b) => a.matmul(b) },
  { name: 'softmax / logSoftmax', inputs: [[3, 6]], reduce: 6, fn: (x) => x.softmax(1).add(logSoftmax(x, 0)) },
  { name: 'conv2d stride 2, padding 1', inputs: [[2, 3, 7, 7], [4, 3, 3, 3]], reduce: 27, fn: (x, w) => conv2d(x, w, null, { stride: 2, padding: 1 }) },
  { name: 'conv2d groups 2, dilation 2', inputs: [[1, 4, 8, 8], [6, 2, 3, 3]], reduce: 18, fn: (x, w) => conv2d(x, w, null, { groups: 2, dilation: 2, padding: 2 }) },
  { name: 'maxPool2d / avgPool2d', inputs: [[2, 3, 6, 6]], reduce: 9, fn: (x) => maxPool2d(x, 2).add(avgPool2d(x, 3, { stride: 2, padding: 1 }).sum()) },
  { name: 'batchNorm (training)', inputs: [[4, 3, 2, 2], [3], [3]], reduce: 16, fn: (x, w, b) => batchNorm(x, null, null, w, b, true, 0.1, 1e-5) },
  { name: 'crossEntropy', inputs: [[5, 4]], reduce: 20, fn: (x) => crossEntropy(x, tensor([0, 3, 1, 2, 3], { dtype: 'int32', backend: x.backend.name })) },
];

function close(a: Float32Array | Float64Array, e: Float32Array | Float64Array, atol: number): { ok: boolean; max: number; at: number } {
  let max = 0;
  let at = -1;
  let ok = a.length === e.length;
  for (let i = 0; i < Math.min(a.length, e.length); i++) {
    const d = Math.abs(a[i]! - e[i]!);
    if (Number.isNaN(a[i]!) && Number.isNaN(e[i]!)) continue;
    if (!(d <= atol + 1e-4 * Math.abs(e[i]!))) {
      ok = false;
      if (at < 0) at = i;
    }
    if (d > max) max = d;
  }
  return { ok, max, at };
}

/** Values and gradients (w.r.t. every input, seeded by a fixed random cotangent) of one case on one backend. */
function evaluate(c: Case, backend: string, seed: number): Float32Array[] {
  return tidy(() => {
    const g = new Generator(seed);
    const xs = c.inputs.map((s) => {
      const n = s.reduce((p, q) => p * q, 1);
      return tensor(Float32Array.from({ length: n }, () => g.nextNormal()), { backend }).reshape(s).detach().requiresGrad_();
    });
    const y = c.fn(...xs);
    const cot = tensor(Float32Array.from({ length: y.numel() }, () => g.nextNormal()), { backend }).reshape(y.shape);
    y.mul(cot).sum().backward();
    const out = [Float32Array.from(y.dataSync()), ...xs.map((x) => Float32Array.from(x.grad!.dataSync()))];
    for (const x of xs) x.grad!.dispose();
    return out;
  });
}

/**
 * Runs a fixed set of ops (forward and gradients) on backend `name` and on 'cpu' and compares
 * them. Returns one result per case; nothing throws.
 */
export function runParitySubset(name = 'gpu'): ParityResult[] {
  return CASES.map((c, i) => {
    const t0 = performance.now();
    try {
      const want = evaluate(c, 'cpu', 1000 + i);
      const got = evaluate(c, name, 1000 + i);
      let maxAbs = 0;
      for (let k = 0; k < want.length; k++) {
        const r = close(got[k]!, want[k]!, 1e-5 * Math.max(1, c.reduce));
        maxAbs = Math.max(maxAbs, r.max);
        if (!r.ok) {
          const what = k === 0 ? 'output' : `gradient of input ${k - 1}`;
          return { name: c.name, ok: false, maxAbsDiff: maxAbs, error: `${what} element ${r.at}: got ${got[k]![r.at]}, expected ${want[k]![r.at]}`, ms: performance.now() - t0 };
        }
      }
      return { name: c.name, ok: true, maxAbsDiff: maxAbs, ms: performance.now() - t0 };
    } catch (e) {
      return { name: c.name, ok: false, maxAbsDiff: NaN, error: e instanceof Error ? e.message : String(e), ms: performance.now() - t0 };
    }
  });
}
