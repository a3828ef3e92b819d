/**
 * Backend parity: the same op, from the same float32 inputs, on a backend under test and on a
 * reference backend, outputs and input gradients compared at float32 tolerance.
 */
import { Generator, type Tensor, tensor, tidy } from '@dynconv/core';
import { expectClose } from './close.js';

/** One input of a parity case: the leaf's values, and how the op's input views the leaf. */
export interface ParityInput {
  /** The leaf's values, row-major (converted to `dtype`). */
  values: ArrayLike<number>;
  /** The leaf's shape. */
  baseShape: readonly number[];
  /** Turns the leaf into the op's input (a {@link Layout}'s `view`); default: the leaf itself. */
  view?: (leaf: Tensor) => Tensor;
  /** Differentiate with respect to it (float inputs only; default true). */
  grad?: boolean;
  /** The leaf's dtype (default `'float32'`). */
  dtype?: 'float32' | 'int32';
}

/** Options of {@link expectParity}. */
export interface ParityOptions {
  /** The backend to compare against (default `'cpu'`). */
  reference?: string;
  /** The longest reduction behind any compared value: the absolute tolerance is `atol * reduce`. */
  reduce?: number;
  /** Compare the inputs' gradients too, for a random output gradient (default true). */
  backward?: boolean;
  /** Relative tolerance (default 1e-4). */
  rtol?: number;
  /** Absolute tolerance per reduced element (default 1e-5). */
  atol?: number;
  /** Seed of the random output gradient (default 12345). */
  seed?: number;
}

/** A result read back: its values and shape (what expectClose needs of a tensor). */
interface Read {
  shape: number[];
  dataSync: () => Float64Array;
}

interface Results {
  outputs: Read[];
  /** The gradient of each differentiable input, by input position. */
  grads: { input: number; values: Read }[];
}

const read = (t: Tensor): Read => {
  const data = Float64Array.from(t.dataSync() as ArrayLike<number>, Number);
  return { shape: [...t.shape], dataSync: () => data };
};

function run(backend: string, inputs: readonly ParityInput[], fn: (...xs: Tensor[]) => Tensor | Tensor[], seed: number, backward: boolean): Results {
  return tidy(() => {
    const leaves = inputs.map((inp) => {
      const data = inp.dtype === 'int32' ? Int32Array.from(inp.values) : Float32Array.from(inp.values);
      const t = tensor(data, { backend, dtype: inp.dtype ?? 'float32' }).reshape([...inp.baseShape]).detach();
      return inp.dtype !== 'int32' && inp.grad !== false && backward ? t.requiresGrad_() : t;
    });
    const ys = fn(...leaves.map((l, i) => (inputs[i]!.view ? inputs[i]!.view!(l) : l)));
    const outs = Array.isArray(ys) ? ys : [ys];
    const outputs = outs.map(read);
    const grads: Results['grads'] = [];
    const diff = outs.filter((y) => y.requiresGrad);
    if (backward && diff.length) {
      const g = new Generator(seed);
      const loss = diff
        .map((y) => y.mul(tensor(Float32Array.from({ length: y.numel() }, () => g.nextNormal()), { backend }).reshape(y.shape)).sum())
        .reduce((a, b) => a.add(b));
      loss.backward();
      leaves.forEach((l, input) => {
        if (!l.requiresGrad) return;
        grads.push({ input, values: l.grad ? read(l.grad) : { shape: [0], dataSync: () => new Float64Array(0) } });
        l.grad?.dispose();
      });
    }
    return { outputs, grads };
  });
}

/**
 * Runs `fn` on `backend` and on the reference backend (default `'cpu'`) from the same inputs,
 * and throws unless every output, then every differentiable input's gradient (for one random
 * output gradient), agrees: |got - want| <= atol * reduce + rtol * |want|. The error names
 * the result (output k or the gradient of input k) and its worst element.
 */
export function expectParity(backend: string, inputs: readonly ParityInput[], fn: (...xs: Tensor[]) => Tensor | Tensor[], opts: ParityOptions = {}): void {
  const reference = opts.reference ?? 'cpu';
  const backward = opts.backward ?? true;
  const seed = opts.seed ?? 12345;
  const want = run(reference, inputs, fn, seed, backward);
  const got = run(backend, inputs, fn, seed, backward);
  const atol = (opts.atol ?? 1e-5) * Math.max(1, opts.reduce ?? 1);
  const rtol = opts.rtol ?? 1e-4;
  if (got.outputs.length !== want.outputs.length) throw new Error(`expectParity: ${backend} gave ${got.outputs.length} outputs, ${reference} ${want.outputs.length}`);
  want.outputs.forEach((w, k) => expectClose(got.outputs[k] as unknown as Tensor, w as unknown as Tensor, { rtol, atol, label: `output ${k}, ${backend} vs ${reference}` }));
  if (got.grads.length !== want.grads.length) throw new Error(`expectParity: ${backend} gave ${got.grads.length} input gradients, ${reference} ${want.grads.length}`);
  want.grads.forEach((w, k) => expectClose(got.grads[k]!.values as unknown as Tensor, w.values as unknown as Tensor, { rtol, atol, label: `gradient of input ${w.input}, ${backend} vs ${reference}` }));
}
