import { getBackend, runKernel } from '../backend/registry.js';
import { checkAllocation } from '../allocation.js';
import { allocArray, castScalar, checkDType, type DType, type TypedArray } from '../dtype.js';
import { defaultGenerator, type Generator, permutation } from '../random.js';
import { checkShape, sizeOf } from '../shape.js';
import type { NestedArray, Tensor } from '../tensor.js';
import { wrap } from './util.js';

/** Options shared by creation functions. */
export interface CreateOptions {
  /** Element type; float32 unless stated. */
  dtype?: DType;
  /** Make the new tensor a leaf that requires grad. */
  requiresGrad?: boolean;
  /** Backend name; the current default backend unless stated. */
  backend?: string;
}

/** Options for random creation functions. */
export interface RandomOptions extends CreateOptions {
  /** Source of randomness; the default generator (see `manualSeed`) unless stated. */
  generator?: Generator;
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

const ARRAY_OF: Record<DType, new (n: number) => TypedArray> = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array };

/**
 * A tensor over host values already of `dtype`'s array type, which it takes ownership of (no
 * copy: do not modify `data` afterwards). Use {@link tensor} to copy and convert instead.
 */
export function fromTypedArray(data: TypedArray, shape: readonly number[], dtype: DType, opts: CreateOptions = {}): Tensor {
  const s = checkShape('fromTypedArray', shape);
  if (!(data instanceof ARRAY_OF[checkDType('fromTypedArray', dtype)])) {
    throw new Error(`fromTypedArray: dtype ${dtype} needs a ${ARRAY_OF[dtype].name}, got a ${data.constructor.name}`);
  }
  if (data.length !== sizeOf(s)) throw new Error(`fromTypedArray: ${data.length} values cannot fill shape [${s.join(', ')}] (${sizeOf(s)} elements)`);
  const backend = getBackend(opts.backend);
  return finish(wrap(backend.fromArray(dtype, data), s), opts);
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as NestedArray;
    if (cur === undefined) break;
  }
  return shape;
}

function flattenInto(op: string, data: NestedArray, shape: number[], d: number, path: number[], out: number[]): void {
  if (d === shape.length) {
    if (typeof data === 'boolean') out.push(data ? 1 : 0);
    else if (typeof data === 'number') out.push(data);
    else throw new Error(`${op}: expected a number at [${path.join(', ')}], got ${Array.isArray(data) ? 'an array' : typeof data}`);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[d]) {
    const len = Array.isArray(data) ? `length ${data.length}` : typeof data;
    throw new Error(`${op}: ragged nested array: expected length ${shape[d]} at [${path.join(', ')}], got ${len}`);
  }
  data.forEach((x, i) => flattenInto(op, x, shape, d + 1, [...path, i], out));
}

/** True for a boolean, or a non-empty nested array whose elements are all booleans. */
function allBooleans(data: NestedArray): boolean {
  return typeof data === 'boolean' || (Array.isArray(data) && data.length > 0 && data.every(allBooleans));
}

/**
 * A tensor from nested arrays, a number, or a typed array (1-D). float32 unless `dtype` says
 * otherwise, or the data is booleans (bool), a Float64Array (float64) or an Int32Array (int32).
 */
export function tensor(data: NestedArray | TypedArray, opts: CreateOptions = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    const inferred: DType = data instanceof Float64Array ? 'float64' : data instanceof Int32Array ? 'int32' : 'float32';
    const dtype = opts.dtype ? checkDType('tensor', opts.dtype) : inferred;
    const arr = allocArray(dtype, data.length);
    // Typed-array conversion would wrap 256 to 0 in a Uint8Array; bool means "non-zero".
    if (dtype === 'bool') data.forEach((x, i) => (arr[i] = x !== 0 ? 1 : 0));
    else arr.set(data);
    return fromTypedArray(arr, [data.length], dtype, opts);
  }
  const dtype = opts.dtype ? checkDType('tensor', opts.dtype) : allBooleans(data) ? 'bool' : 'float32';
  const shape = inferShape(data);
  const flat: number[] = [];
  flattenInto('tensor', data, shape, 0, [], flat);
  const arr = allocArray(dtype, flat.length);
  if (dtype === 'bool') flat.forEach((x, i) => (arr[i] = x !== 0 ? 1 : 0));
  else arr.set(flat);
  return fromTypedArray(arr, shape, dtype, opts);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: readonly number[], value: number, opts: CreateOptions = {}): Tensor {
  const s = checkShape('full', shape);
  const dtype = checkDType('full', opts.dtype ?? 'float32');
  const backend = getBackend(opts.backend);
  checkAllocation('full', dtype, sizeOf(s), s);
  return finish(wrap(runKernel(backend, 'Fill', sizeOf(s), castScalar(value, dtype), dtype), s), opts);
}

/** A tensor of `shape` filled with 0 (float32 unless `opts.dtype` says otherwise). */
export function zeros(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}

/** A tensor of `shape` filled with 1 (float32 unless `opts.dtype` says otherwise). */
export function ones(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

/** `full` with the shape, dtype and backend of `like` (each overridable). */
export function fullLike(like: Tensor, value: number, opts: CreateOptions = {}): Tensor {
  return full(like.shape, value, { dtype: like.dtype, backend: like.backend.name, ...opts });
}

/** Zeros with the shape, dtype and backend of `like` (each overridable). */
export function zerosLike(like: Tensor, opts: CreateOptions = {}): Tensor {
  return fullLike(like, 0, opts);
}

/** Ones with the shape, dtype and backend of `like` (each overridable). */
export function onesLike(like: Tensor, opts: CreateOptions = {}): Tensor {
  return fullLike(like, 1, opts);
}

/**
 * Values from `start` (inclusive) to `end` (exclusive) in steps of `step`;
 * `arange(n)` is `arange(0, n)`.
 */
export function arange(end: number): Tensor;
export function arange(start: number, end: number, step?: number, opts?: CreateOptions): Tensor;
export function arange(a: number, b?: number, step = 1, opts: CreateOptions = {}): Tensor {
  const [start, end] = b === undefined ? [0, a] : [a, b];
  if (![start, end, step].every(Number.isFinite)) throw new Error(`arange: start, end and step must be finite, got ${start}, ${end}, ${step}`);
  if (step === 0) throw new Error('arange: step must be non-zero');
  if ((end - start) * step < 0) throw new Error(`arange: step ${step} has the wrong sign to go from ${start} to ${end}`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = checkDType('arange', opts.dtype ?? 'float32');
  const arr = allocArray(dtype, n);
  for (let i = 0; i < n; i++) arr[i] = start + i * step;
  return fromTypedArray(arr, [n], dtype, opts);
}

/** `steps` evenly spaced values from `start` to `end`, both included. */
export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: steps must be a non-negative integer, got ${steps}`);
  const dtype = checkDType('linspace', opts.dtype ?? 'float32');
  const arr = allocArray(dtype, steps);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill from both ends so the last value is exactly `end`, as PyTorch does (one step gives `start`).
  const half = Math.max(1, Math.floor(steps / 2));
  for (let i = 0; i < steps; i++) arr[i] = i < half ? start + i * delta : end - (steps - 1 - i) * delta;
  return fromTypedArray(arr, [steps], dtype, opts);
}

/** A 2-D tensor with ones on the diagonal. */
export function eye(n: number, m: number = n, opts: CreateOptions = {}): Tensor {
  checkShape('eye', [n, m], 'size');
  const dtype = checkDType('eye', opts.dtype ?? 'float32');
  const arr = allocArray(dtype, n * m, 'eye', [n, m]);
  for (let i = 0; i < Math.min(n, m); i++) arr[i * m + i] = 1;
  return fromTypedArray(arr, [n, m], dtype, opts);
}

function randomTensor(op: string, shape: readonly number[], opts: RandomOptions, draw: (g: Generator) => number): Tensor {
  const s = checkShape(op, shape);
  const dtype = checkDType(op, opts.dtype ?? 'float32');
  const g = opts.generator ?? defaultGenerator;
  const arr = allocArray(dtype, sizeOf(s), op, s);
  for (let i = 0; i < arr.length; i++) arr[i] = draw(g);
  return fromTypedArray(arr, s, dtype, opts);
}

/** Uniform samples in [0, 1). */
export function rand(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  // Doubles in [1 - 2^-25, 1) round to 1 in float32; cap them at the largest float32 below 1.
  const top = (opts.dtype ?? 'float32') === 'float32' ? 1 - 2 ** -24 : 1;
  return randomTensor('rand', shape, opts, (g) => Math.min(g.nextDouble(), top));
}

/** Standard normal samples. */
export function randn(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return randomTensor('randn', shape, opts, (g) => g.nextNormal());
}

/** Uniform integers in [low, high); int32 unless `dtype` says otherwise. */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new Error(`randint: need integers low < high, got low=${low}, high=${high}`);
  }
  return randomTensor('randint', shape, { ...opts, dtype: opts.dtype ?? 'int32' }, (g) => g.nextInt(low, high));
}

/** A random permutation of 0..n-1 (int32), by Fisher-Yates. */
export function randperm(n: number, opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new Error(`randperm: n must be a non-negative integer, got ${n}`);
  const dtype = checkDType('randperm', opts.dtype ?? 'int32');
  const arr = allocArray(dtype, n);
  arr.set(permutation(n, opts.generator ?? defaultGenerator));
  return fromTypedArray(arr, [n], dtype, opts);
}
