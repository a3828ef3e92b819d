/**
 * Finite-difference checks of gradients, with PyTorch's semantics: central differences in
 * float64 over the full Jacobian (or random projections vᵀJu in fast mode).
 */
import { grad } from './autograd/grad.js';
import { enableGrad } from './autograd/grad-mode.js';
import { isFloating } from './dtype.js';
import { fromTypedArray, zerosLike } from './ops/creation.js';
import { Generator } from './random.js';
import { contiguousStrides, fmt } from './shape.js';
import { Tensor } from './tensor.js';

/** Options of {@link gradcheck} and {@link gradgradcheck}. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance, against the numeric value (default 1e-3). */
  rtol?: number;
  /** Compare random projections vᵀJu instead of the whole Jacobian: one backward per input. */
  fastMode?: boolean;
  /** Throw an Error with a report on failure (default); false returns false instead. */
  raiseException?: boolean;
  /** Accept float32 inputs (their finite differences are rarely meaningful). */
  allowFloat32?: boolean;
  /** Source of the random vectors of fast mode and of gradgradcheck's output gradients. */
  generator?: Generator;
}

/**
 * The function checked: tensors in, a tensor or a list of tensors out.
 * @inline
 */
type Fn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

function asList(y: Tensor | readonly Tensor[]): Tensor[] {
  return y instanceof Tensor ? [y] : [...y];
}

function indexOf(shape: readonly number[], flat: number): number[] {
  const strides = contiguousStrides(shape);
  return shape.map((_, i) => Math.floor(flat / strides[i]!) % shape[i]!);
}

/** A fresh leaf with `values`, the shape/dtype/backend of `like`, and its requiresGrad flag. */
function leafWith(like: Tensor, values: Float64Array): Tensor {
  const data = like.dtype === 'float64' ? values.slice() : Float32Array.from(values);
  return fromTypedArray(data, like.shape, like.dtype, { backend: like.backend.name, requiresGrad: like.requiresGrad });
}

/** Evaluates `fn` and concatenates all floating outputs into one float64 vector. */
function evaluate(fn: Fn, inputs: readonly Tensor[]): Float64Array {
  const outs = asList(enableGrad(() => fn(...inputs)));
  const parts = outs.map((o) => Float64Array.from(o.dataSync()));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Float64Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

class Mismatch extends Error {}

function check(analytic: number, numeric: number, atol: number, rtol: number, where: () => string): void {
  const diff = Math.abs(analytic - numeric);
  const bound = atol + rtol * Math.abs(numeric);
  if (!(diff <= bound)) {
    throw new Mismatch(`${where()}\n  analytic = ${analytic}\n  numeric  = ${numeric}\n  |difference| = ${diff} > atol + rtol * |numeric| = ${bound}`);
  }
}

/**
 * Checks the gradients `fn` computes with respect to every input that requires grad against
 * central finite differences. Returns true, or throws (returns false with
 * `raiseException: false`) with a report naming the input, the index and both values.
 */
export function gradcheck(fn: Fn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): boolean {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  const fastMode = opts.fastMode ?? false;
  const raiseException = opts.raiseException ?? true;
  const diffIdx = inputs.flatMap((x, i) => (x.requiresGrad ? [i] : []));
  if (diffIdx.length === 0) throw new Error('gradcheck: no input requires grad; set requiresGrad on the inputs to check');
  for (const i of diffIdx) {
    const x = inputs[i]!;
    if (!isFloating(x.dtype)) throw new Error(`gradcheck: input ${i} has dtype ${x.dtype}`);
    if (x.dtype === 'float32' && !opts.allowFloat32) {
      throw new Error(`gradcheck: input ${i} (shape ${fmt(x.shape)}) is float32; finite differences with eps=${eps} need float64. Use .double(), or pass { allowFloat32: true } to insist`);
    }
    if (!x.isLeaf) throw new Error(`gradcheck: input ${i} must be a leaf tensor (use .detach().requiresGrad_())`);
  }
  try {
    (fastMode ? checkProjected : checkFull)(fn, inputs, diffIdx, eps, atol, rtol, opts.generator ?? new Generator(0));
    return true;
  } catch (e) {
    if (!(e instanceof Mismatch)) throw e;
    if (raiseException) throw new Error(`gradcheck: ${e.message}`);
    return false;
  }
}

/** Numeric d(outputs)/d(input i element j), by central differences. */
function numericColumn(fn: Fn, inputs: readonly Tensor[], i: number, direction: (base: Float64Array, sign: number) => Float64Array, eps: number): Float64Array {
  const base = Float64Array.from(inputs[i]!.dataSync());
  const run = (sign: number): Float64Array => {
    const args = inputs.slice();
    args[i] = leafWith(inputs[i]!, direction(base, sign));
    return evaluate(fn, args);
  };
  const plus = run(1);
  const minus = run(-1);
  return plus.map((p, k) => (p - minus[k]!) / (2 * eps));
}

function analyticOutputs(fn: Fn, inputs: readonly Tensor[]): Tensor[] {
  return asList(enableGrad(() => fn(...inputs)));
}

/** Vector-Jacobian products with a chosen output seed, zeros for unused inputs. */
function vjp(outs: Tensor[], inputs: Tensor[], seeds: Tensor[]): Float64Array[] {
  const live = outs.flatMap((o, k) => (o.requiresGrad ? [k] : []));
  if (live.length === 0) return inputs.map((x) => new Float64Array(x.numel()));
  const gs = grad(live.map((k) => outs[k]!), inputs, { gradOutputs: live.map((k) => seeds[k]!), retainGraph: true, allowUnused: true });
  return gs.map((g, j) => (g ? Float64Array.from(g.dataSync()) : new Float64Array(inputs[j]!.numel())));
}

function checkFull(fn: Fn, inputs: readonly Tensor[], diffIdx: number[], eps: number, atol: number, rtol: number): void {
  const outs = analyticOutputs(fn, inputs);
  const sizes = outs.map((o) => o.numel());
  const diffInputs = diffIdx.map((i) => inputs[i]!);
  // numeric[i][j] = column j of d(all outputs)/d(input i)
  const numeric = diffIdx.map((i) =>
    Array.from({ length: inputs[i]!.numel() }, (_, j) =>
      numericColumn(fn, inputs, i, (b, s) => {
        const v = b.slice();
        v[j]! += s * eps;
        return v;
      }, eps),
    ),
  );
  let row = 0;
  outs.forEach((o, k) => {
    for (let m = 0; m < sizes[k]!; m++, row++) {
      const seeds = outs.map((oo, kk) => {
        const v = new Float64Array(oo.numel());
        if (kk === k) v[m] = 1;
        return leafWith(oo.detach(), v);
      });
      const rows = vjp(outs, diffInputs, seeds);
      diffIdx.forEach((i, a) => {
        for (let j = 0; j < inputs[i]!.numel(); j++) {
          check(rows[a]![j]!, numeric[a]![j]![row]!, atol, rtol, () =>
            `Jacobian mismatch for output ${k} with respect to input ${i}: input index ${fmt(indexOf(inputs[i]!.shape, j))}, output index ${fmt(indexOf(o.shape, m))}`);
        }
      });
    }
  });
}

function checkProjected(fn: Fn, inputs: readonly Tensor[], diffIdx: number[], eps: number, atol: number, rtol: number, gen: Generator): void {
  const outs = analyticOutputs(fn, inputs);
  const v = outs.map((o) => Float64Array.from({ length: o.numel() }, () => gen.nextNormal()));
  const seeds = outs.map((o, k) => leafWith(o.detach(), v[k]!));
  const vFlat = Float64Array.from(v.flatMap((a) => [...a]));
  const rows = vjp(outs, diffIdx.map((i) => inputs[i]!), seeds);
  diffIdx.forEach((i, a) => {
    const u = Float64Array.from({ length: inputs[i]!.numel() }, () => gen.nextNormal());
    const ju = numericColumn(fn, inputs, i, (b, s) => b.map((x, j) => x + s * eps * u[j]!), eps);
    const numeric = ju.reduce((acc, x, k) => acc + x * vFlat[k]!, 0);
    const analytic = rows[a]!.reduce((acc, x, j) => acc + x * u[j]!, 0);
    check(analytic, numeric, atol, rtol, () => `projected gradient vᵀJu mismatch (fast mode) with respect to input ${i} of shape ${fmt(inputs[i]!.shape)}`);
  });
}

/**
 * Checks second derivatives: gradcheck of the map (inputs, gradOutputs) -> vector-Jacobian
 * product, so both the inputs and the output gradients are perturbed. `gradOutputs` are
 * random float64 normals unless given.
 */
export function gradgradcheck(fn: Fn, inputs: readonly Tensor[], gradOutputs?: readonly Tensor[] | null, opts: GradcheckOptions = {}): boolean {
  const gen = opts.generator ?? new Generator(1);
  const outs = analyticOutputs(fn, inputs);
  const gos =
    gradOutputs?.map((g) => (g.requiresGrad ? g : g.detach().requiresGrad_())) ??
    outs.map((o) => leafWith(o.detach().requiresGrad_(), Float64Array.from({ length: o.numel() }, () => gen.nextNormal())));
  const n = inputs.length;
  const diff = inputs.flatMap((x, i) => (x.requiresGrad ? [i] : []));
  const vjpFn: Fn = (...args) => {
    const xs = args.slice(0, n);
    const ys = asList(fn(...xs));
    const live = ys.flatMap((y, k) => (y.requiresGrad ? [k] : []));
    if (live.length === 0) return diff.map((i) => zerosLike(xs[i]!));
    const gs = grad(live.map((k) => ys[k]!), diff.map((i) => xs[i]!), {
      gradOutputs: live.map((k) => args[n + k]!),
      createGraph: true,
      allowUnused: true,
    });
    return gs.map((g, j) => g ?? zerosLike(xs[diff[j]!]!));
  };
  return gradcheck(vjpFn, [...inputs, ...gos], { ...opts, generator: gen });
}
