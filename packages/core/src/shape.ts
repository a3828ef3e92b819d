/** Shape arithmetic shared by ops and backends: sizes, strides, broadcasting, dim checks. */

/** Formats a shape the way error messages print it: `[2, 3]`. */
export function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Number of elements in a tensor of this shape (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides for a contiguous tensor of this shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** True when `strides` walk `shape` in row-major order without gaps (size-1 dims are ignored). */
export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/** Whether two shapes have the same dims. */
export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** NumPy broadcasting of several shapes; throws naming `op` and every shape when they clash. */
export function broadcastShapes(op: string, ...shapes: (readonly number[])[]): number[] {
  const ndim = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(ndim).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = ndim - s.length + i;
      const d = s[i]!;
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else throw new Error(`${op}: shapes ${shapes.map(fmt).join(' and ')} cannot be broadcast together (dim ${o - ndim}: ${out[o]} vs ${d})`);
    }
  }
  return out;
}

/** Turns a possibly negative dim into an index in `[0, ndim)`. */
export function normalizeDim(op: string, dim: number, ndim: number, arg = 'dim'): number {
  const lo = -Math.max(ndim, 1);
  const hi = Math.max(ndim, 1) - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new Error(`${op}: ${arg}=${dim} is out of range for a tensor with ${ndim} dimension(s) (expected an integer in [${lo}, ${hi}])`);
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/** Normalises `dim` (a number, a list, or undefined meaning all dims) to sorted unique indices. */
export function normalizeDims(op: string, dim: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (dim === undefined || dim === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dim === 'number' ? [dim] : [...dim];
  const out = list.map((d) => normalizeDim(op, d, ndim));
  if (new Set(out).size !== out.length) throw new Error(`${op}: dim ${JSON.stringify(list)} lists a dimension twice`);
  // A 0-d tensor reduced over dim 0/-1 behaves like PyTorch: nothing to reduce.
  return out.filter((d) => d < ndim).sort((a, b) => a - b);
}

/** Validates a user-given shape: a list of non-negative integers. */
export function checkShape(op: string, shape: readonly number[], arg = 'shape'): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: ${arg} must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return [...shape];
}

/**
 * Storage offsets of every element of a strided view, in row-major order of `shape`.
 * Backends use it to turn any layout into a flat loop.
 */
export function stridedOffsets(shape: readonly number[], strides: readonly number[], offset: number): Int32Array {
  const n = sizeOf(shape);
  const out = new Int32Array(n);
  const nd = shape.length;
  if (n === 0) return out;
  if (nd === 0) {
    out[0] = offset;
    return out;
  }
  // Innermost dim written as a tight loop; outer dims advanced like an odometer.
  const inner = shape[nd - 1]!;
  const innerStride = strides[nd - 1]!;
  const idx = new Array<number>(nd).fill(0);
  let base = offset;
  let p = 0;
  while (p < n) {
    for (let j = 0, o = base; j < inner; j++, o += innerStride) out[p++] = o;
    let d = nd - 2;
    for (; d >= 0; d--) {
      idx[d]!++;
      base += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      base -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}
