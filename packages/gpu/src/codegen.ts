/**
 * Source generation for gpu.js kernels. Every kernel is generated per shape: sizes, strides and
 * loop bounds are literals in the source (gpu.js caps loops whose bounds come from arguments
 * at 1000 iterations, and GLSL wants constant loop bounds), so one compiled kernel serves one
 * shape and is cached by a key. Storage offsets are passed as arguments instead, so views at
 * different offsets (narrow, split, select) share a kernel.
 *
 * Index arithmetic is done in float32, which is exact for integers below 2^24: outputs and
 * storages are limited to that size. Division is never trusted to be exact (GLSL's is not):
 * each quotient is floored, then corrected by one using an exact remainder.
 */

/** A literal float for kernel source: always with a decimal point or exponent. */
export function lit(x: number): string {
  if (Number.isNaN(x)) return '(0.0 / 0.0)';
  if (x === Infinity) return '(1.0 / 0.0)';
  if (x === -Infinity) return '(-1.0 / 0.0)';
  const s = String(Math.fround(x) === x ? x : Math.fround(x));
  return /[.eE]/.test(s) ? (x < 0 ? `(${s})` : s) : x < 0 ? `(${s}.0)` : `${s}.0`;
}

/** Dims after dropping size-1 dims and merging neighbours every view walks evenly. */
export interface Coalesced {
  dims: number[];
  /** strides[v][d]: view v's stride along merged dim d. */
  strides: number[][];
}

/** Merges adjacent dims that every view (same logical shape) walks as one run; drops size-1 dims. */
export function coalesce(shape: readonly number[], strideLists: readonly (readonly number[])[]): Coalesced {
  const dims: number[] = [];
  const strides: number[][] = strideLists.map(() => []);
  shape.forEach((d, i) => {
    if (d === 1) return;
    const last = dims.length - 1;
    if (last >= 0 && strideLists.every((s, k) => strides[k]![last] === s[i]! * d)) {
      dims[last] = dims[last]! * d;
      strideLists.forEach((s, k) => (strides[k]![last] = s[i]!));
      return;
    }
    dims.push(d);
    strideLists.forEach((s, k) => strides[k]!.push(s[i]!));
  });
  return { dims, strides };
}

/**
 * Code that splits the flat row-major index held in `flat` (a float expression) over `dims`,
 * defining `${name}0 ... ${name}{k-1}` (one coordinate per dim, outermost first).
 */
export function unravel(flat: string, dims: readonly number[], name: string): string {
  const lines: string[] = [];
  let rest = flat;
  for (let d = dims.length - 1; d >= 0; d--) {
    const c = `${name}${d}`;
    if (d === 0) {
      lines.push(`const ${c} = ${rest};`);
      break;
    }
    const D = lit(dims[d]!);
    const q0 = `${name}q${d}`;
    const r0 = `${name}r${d}`;
    const q = `${name}Q${d}`;
    lines.push(`const ${q0} = Math.floor((${rest} + 0.5) / ${D});`);
    lines.push(`const ${r0} = ${rest} - ${q0} * ${D};`);
    lines.push(`const ${q} = ${r0} < 0.0 ? ${q0} - 1.0 : (${r0} >= ${D} ? ${q0} + 1.0 : ${q0});`);
    lines.push(`const ${c} = ${rest} - ${q} * ${D};`);
    rest = q;
  }
  return lines.join('\n');
}

/** `base + Σ coord_d * stride_d` for coordinates named `${name}d`, skipping zero strides. */
export function dot(base: string, name: string, strides: readonly number[]): string {
  const terms = strides.flatMap((s, d) => (s === 0 ? [] : [s === 1 ? `${name}${d}` : `${name}${d} * ${lit(s)}`]));
  return terms.length ? `${base} + ${terms.join(' + ')}` : base;
}

/** Rounds toward zero (what storing into an Int32Array does). */
export const trunc = (v: string): string => `(${v} < 0.0 ? Math.ceil(${v}) : Math.floor(${v}))`;

/** Converts a float32 value to what a tensor of `dtype` stores (ints truncated, bools 0/1). */
export function convertTo(dtype: string, v: string): string {
  if (dtype === 'int32') return trunc(v);
  if (dtype === 'bool') return `(${v} != 0.0 ? 1.0 : 0.0)`;
  return v;
}
