/**
 * Elementwise closeness of tensors, typed arrays, nested arrays and numbers, with a message
 * that names the worst element. Throws a plain Error, so it works under any test runner.
 */
import type { Tensor } from '@dynconv/core';

/** A nested array of numbers, as `tensor([[1, 2], [3, 4]])` takes. */
export type NestedNumbers = number | readonly NestedNumbers[];

/** What {@link expectClose} compares: a Tensor, a typed or plain array (nested or flat), or a number. */
export type Numeric = Tensor | ArrayLike<number> | NestedNumbers;

/** Tolerances of {@link expectClose}. */
export interface CloseOptions {
  /** Relative tolerance, against |expected| (default 1e-12). */
  rtol?: number;
  /** Absolute tolerance (default 1e-12). */
  atol?: number;
  /** A prefix for the error message, such as the name of what is compared. */
  label?: string;
}

interface Flat {
  values: ArrayLike<number>;
  /** Known for tensors, numbers and nested arrays; null for flat (typed or 1-D plain) arrays. */
  shape: number[] | null;
}

const isTensorLike = (x: unknown): x is Tensor =>
  typeof x === 'object' && x !== null && typeof (x as Tensor).dataSync === 'function' && Array.isArray((x as Tensor).shape);

function flatten(x: Numeric, what: string): Flat {
  if (typeof x === 'number') return { values: [x], shape: [] };
  if (isTensorLike(x)) return { values: Array.from(x.dataSync() as ArrayLike<number>, Number), shape: [...x.shape] };
  if (ArrayBuffer.isView(x)) return { values: x as ArrayLike<number>, shape: null };
  if (!Array.isArray(x)) {
    if (x !== null && typeof x === 'object' && typeof (x as ArrayLike<number>).length === 'number') return { values: x as ArrayLike<number>, shape: null };
    throw new Error(`expectClose: ${what} must be a Tensor, an array or a number, got ${x === null ? 'null' : typeof x}`);
  }
  if (!x.some((e) => Array.isArray(e))) return { values: x as number[], shape: null };
  const shape: number[] = [];
  for (let level: unknown = x; Array.isArray(level); level = level[0]) shape.push(level.length);
  const out: number[] = [];
  const walk = (v: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw new Error(`expectClose: ${what} is ragged or not numeric at [${path.join(', ')}]`);
      out.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) throw new Error(`expectClose: ${what} is ragged at [${path.join(', ')}] (expected ${shape[depth]} entries)`);
    v.forEach((e, i) => walk(e, depth + 1, [...path, i]));
  };
  walk(x, 0, []);
  return { values: out, shape };
}

const fmtShape = (s: readonly number[]): string => `[${s.join(', ')}]`;

function position(i: number, shape: readonly number[] | null): string {
  if (!shape || shape.length <= 1) return `element ${i}`;
  const idx: number[] = [];
  let r = i;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(r % shape[d]!);
    r = Math.floor(r / shape[d]!);
  }
  return `element [${idx.join(', ')}] (flat ${i})`;
}

/**
 * Throws unless `actual` and `expected` agree elementwise: |a - e| <= atol + rtol * |e| for
 * every element, NaN where the other is NaN, and infinities equal. Shapes must be equal
 * where both sides have one (tensors, numbers, nested arrays); a flat array (typed, or a plain
 * array of numbers) only needs the same number of elements.
 *
 * The error names the worst element (the largest |a - e| / (atol + rtol * |e|)) by index,
 * with both values, the difference, the tolerance and how many elements fail.
 */
export function expectClose(actual: Numeric, expected: Numeric, opts: CloseOptions = {}): void {
  const rtol = opts.rtol ?? 1e-12;
  const atol = opts.atol ?? 1e-12;
  const prefix = opts.label ? `${opts.label}: ` : '';
  if (!(rtol >= 0 && atol >= 0)) throw new Error(`expectClose: rtol and atol must be >= 0, got rtol=${rtol}, atol=${atol}`);
  const a = flatten(actual, 'actual');
  const e = flatten(expected, 'expected');
  if (a.shape && e.shape && (a.shape.length !== e.shape.length || a.shape.some((d, i) => d !== e.shape![i]))) {
    throw new Error(`${prefix}shape mismatch: got ${fmtShape(a.shape)}, expected ${fmtShape(e.shape)}`);
  }
  if (a.values.length !== e.values.length) {
    const show = (f: Flat) => (f.shape ? `shape ${fmtShape(f.shape)} (${f.values.length} elements)` : `${f.values.length} elements`);
    throw new Error(`${prefix}size mismatch: got ${show(a)}, expected ${show(e)}`);
  }
  const shape = a.shape ?? e.shape;
  let worst = -1;
  let worstRatio = 0;
  let failures = 0;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i]!;
    const y = e.values[i]!;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    const tol = atol + rtol * Math.abs(y);
    const diff = Math.abs(x - y);
    // NaN against a number, or an infinity against anything else, fails and is the worst.
    const finite = Number.isFinite(x) && Number.isFinite(y);
    if (finite && diff <= tol) continue;
    failures++;
    const ratio = !finite || tol === 0 ? Infinity : diff / tol;
    if (worst < 0 || ratio > worstRatio) {
      worst = i;
      worstRatio = ratio;
    }
  }
  if (worst < 0) return;
  const x = a.values[worst]!;
  const y = e.values[worst]!;
  const tol = atol + rtol * Math.abs(y);
  throw new Error(
    `${prefix}${failures} of ${a.values.length} elements differ; worst is ${position(worst, shape)}: got ${x}, expected ${y}, ` +
      `|diff| ${Math.abs(x - y)} > tolerance ${tol} (atol ${atol} + rtol ${rtol} * |expected|)`,
  );
}
