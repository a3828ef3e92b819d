import { allocationError, checkAllocation } from './allocation.js';

/**
 * Element types. Floating types carry gradients; `int32` holds indices and `bool` holds
 * comparison results (stored as bytes).
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** The typed array that stores each dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

const ORDER: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/**
 * A zero-filled typed array of `size` elements for `dtype`. A size no typed array can have is
 * refused first, and a failed allocation (out of memory) reported, naming `op` and `shape`
 * when the caller gives them (allocation.ts).
 */
export function allocArray(dtype: DType, size: number, op = 'allocate', shape?: readonly number[]): TypedArray {
  checkAllocation(op, dtype, size, shape);
  try {
    switch (dtype) {
      case 'float32':
        return new Float32Array(size);
      case 'float64':
        return new Float64Array(size);
      case 'int32':
        return new Int32Array(size);
      case 'bool':
        return new Uint8Array(size);
    }
  } catch (e) {
    if (e instanceof RangeError) throw allocationError(op, dtype, size, `out of memory (${e.message})`, shape);
    throw e;
  }
}

/** True for the dtypes that can require gradients. */
export function isFloating(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** The dtype two operands are computed in: the wider of the two (bool < int32 < float32 < float64). */
export function promoteTypes(a: DType, b: DType): DType {
  return ORDER[a] >= ORDER[b] ? a : b;
}

/** Checks a user-given dtype string, so a typo fails with a message instead of a silent default. */
export function checkDType(op: string, dtype: unknown): DType {
  if (dtype === 'float32' || dtype === 'float64' || dtype === 'int32' || dtype === 'bool') return dtype;
  throw new Error(`${op}: unknown dtype ${JSON.stringify(dtype)}; expected 'float32', 'float64', 'int32' or 'bool'`);
}

/** Converts a JS number to what storing it in `dtype` keeps, so scalars behave like stored values. */
export function castScalar(value: number, dtype: DType): number {
  switch (dtype) {
    case 'float32':
      return Math.fround(value);
    case 'float64':
      return value;
    case 'int32':
      return value | 0;
    case 'bool':
      return value !== 0 ? 1 : 0;
  }
}
