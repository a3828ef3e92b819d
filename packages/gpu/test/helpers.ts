/**
 * What the gpu suites run against: one gpu backend per mode under test, and a parity check of
 * an op (forward and gradients) against the CPU backend at float32 tolerance.
 *
 * Modes: those in DYNCONV_GPU_MODES (comma-separated) are required: an unavailable one is a
 * failure. Without the variable: webasm always, plus headlessgl when it works here (an X display
 * and a loadable `gl`); otherwise the skip is reported.
 */
import { Generator, getBackend, type Tensor, tensor, tidy } from '@dynconv/core';
import { drawValue, expectClose } from '../../core/test/helpers/arbitraries.js';
import { createGpuBackend, type GpuBackendHandle, type GpuMode } from '../src/index.js';

export interface ModeUnderTest {
  mode: GpuMode;
  required: boolean;
  /** The backend's registry name, when the mode is available. */
  name?: string;
  backend?: GpuBackendHandle;
  reason?: string;
}

const created = new Map<string, ModeUnderTest>();

/** The modes to test, each with its backend (created once per test file). */
export function modesUnderTest(): ModeUnderTest[] {
  const listed = process.env.DYNCONV_GPU_MODES?.split(',').map((m) => m.trim()).filter(Boolean) as GpuMode[] | undefined;
  const modes: { mode: GpuMode; required: boolean }[] = listed?.length ? listed.map((mode) => ({ mode, required: true })) : [{ mode: 'webasm', required: false }, { mode: 'headlessgl', required: false }];
  return modes.map(({ mode, required }) => {
    const known = created.get(mode);
    if (known) return known;
    const name = `gpu-test-${mode}`;
    let m: ModeUnderTest;
    try {
      m = { mode, required, name, backend: createGpuBackend({ name, mode }) };
    } catch (e) {
      m = { mode, required, reason: e instanceof Error ? e.message : String(e) };
    }
    if (!m.backend && !required) console.warn(`[gpu tests] mode ${mode} skipped: ${m.reason}`);
    created.set(mode, m);
    return m;
  });
}

/** Property-run scale per mode: GL modes compile each kernel in ~0.1 s, so they get fewer cases. */
export function runScale(mode: GpuMode): number {
  return mode === 'webasm' || mode === 'cpu' ? 0.5 : 0.25;
}

/** An input of a parity case: float32 values for the leaf, and how the op's input views it. */
export interface ParityInput {
  values: Float32Array;
  baseShape: readonly number[];
  view?: (leaf: Tensor) => Tensor;
  /** Differentiate with respect to it (float inputs only); default true. */
  grad?: boolean;
  dtype?: 'float32' | 'int32';
}

/** Standard normal float32 values (or `domain`-shaped) for `shape`. */
export function randomValues(shape: readonly number[], seed: number, domain: 'real' | 'positive' | 'nonzero' | 'unit' = 'real'): Float32Array {
  const g = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => drawValue(g, domain));
}

function run(backend: string, inputs: readonly ParityInput[], fn: (...xs: Tensor[]) => Tensor | Tensor[], seed: number, backward: boolean): Float32Array[] {
  return tidy(() => {
    const leaves = inputs.map((inp) => {
      const t = tensor(inp.dtype === 'int32' ? Int32Array.from(inp.values) : inp.values, { backend, dtype: inp.dtype ?? 'float32' }).reshape([...inp.baseShape]).detach();
      return inp.dtype !== 'int32' && inp.grad !== false && backward ? t.requiresGrad_() : t;
    });
    const ys = fn(...leaves.map((l, i) => (inputs[i]!.view ? inputs[i]!.view!(l) : l)));
    const outs = Array.isArray(ys) ? ys : [ys];
    const result = outs.map((y) => Float32Array.from(y.dataSync(), Number));
    const diff = outs.filter((y) => y.requiresGrad);
    if (backward && diff.length) {
      const g = new Generator(seed);
      const loss = diff.map((y) => y.mul(tensor(Float32Array.from({ length: y.numel() }, () => g.nextNormal()), { backend }).reshape(y.shape)).sum()).reduce((a, b) => a.add(b));
      loss.backward();
      for (const l of leaves) {
        if (!l.requiresGrad) continue;
        result.push(l.grad ? Float32Array.from(l.grad.dataSync()) : new Float32Array(0));
        l.grad?.dispose();
      }
    }
    return result;
  });
}

/** Options of {@link expectParity}. */
export interface ParityOptions {
  /** Longest reduction behind any compared value: scales the absolute tolerance. */
  reduce?: number;
  /** Compare gradients too (default true). */
  backward?: boolean;
  rtol?: number;
}

/**
 * Runs `fn` on the gpu backend `name` and on the CPU backend from the same float32 inputs, and
 * checks outputs and input gradients agree: |gpu - cpu| <= 1e-5 * reduce + 1e-4 * |cpu|.
 */
export function expectParity(name: string, inputs: readonly ParityInput[], fn: (...xs: Tensor[]) => Tensor | Tensor[], opts: ParityOptions = {}): void {
  const backward = opts.backward ?? true;
  const seed = 12345;
  const want = run('cpu', inputs, fn, seed, backward);
  const got = run(name, inputs, fn, seed, backward);
  const atol = 1e-5 * Math.max(1, opts.reduce ?? 1);
  const rtol = opts.rtol ?? 1e-4;
  if (got.length !== want.length) throw new Error(`gpu gave ${got.length} results, cpu ${want.length}`);
  want.forEach((w, k) => {
    const g = got[k]!;
    const what = k === 0 ? 'output' : `result ${k}`;
    try {
      expectClose(g, w, rtol, atol);
    } catch (e) {
      throw new Error(`${what}, gpu vs cpu: ${(e as Error).message} (atol ${atol}, rtol ${rtol})`);
    }
  });
}

export { getBackend };
