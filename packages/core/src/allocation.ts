/**
 * Refusing allocations that cannot succeed, before they are attempted. A typed array holds at
 * most 2^32 elements (V8's limit), and a large one may still not fit in memory; either way
 * JavaScript throws a bare `RangeError: Invalid typed array length` that names neither the op
 * nor the shape. Here the size is checked first, and a failed allocation is reported with the
 * op, the shape (where known) and the bytes.
 */
import type { DType } from './dtype.js';

/** The most elements a typed array may hold (V8, so Node and Chrome). */
export const MAX_ELEMENTS = 2 ** 32;

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

/** Errors made here, so runKernel can add the kernel's name and input shapes to them. */
const allocationErrors = new WeakSet<Error>();

/** True for an error from {@link checkAllocation} or a failed allocation. */
export function isAllocationError(e: unknown): e is Error {
  return e instanceof Error && allocationErrors.has(e);
}

/** Marks `e` as an allocation error (runKernel re-raises one under the kernel's name). */
export function markAllocationError(e: Error): Error {
  allocationErrors.add(e);
  return e;
}

/** `12.5 GiB`, `800 MiB`, `1.2 KiB`, `42 bytes`. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return i === 0 ? `${n} bytes` : `${n.toFixed(1)} ${units[i]}`;
}

/** The Error for an allocation of `size` elements that cannot succeed; `why` says why. */
export function allocationError(op: string, dtype: DType, size: number, why: string, shape?: readonly number[]): Error {
  const what = shape ? `a ${dtype} tensor of shape [${shape.join(', ')}]` : `${dtype} storage`;
  return markAllocationError(new Error(`${op}: cannot allocate ${what} (${size.toLocaleString('en-US')} elements, ${formatBytes(size * BYTES[dtype])}): ${why}`));
}

/**
 * Throws (an Error naming the op, the shape and the bytes) when `size` elements of `dtype`
 * can never be allocated: more than {@link MAX_ELEMENTS}, or not a whole number.
 */
export function checkAllocation(op: string, dtype: DType, size: number, shape?: readonly number[]): void {
  if (size > MAX_ELEMENTS) throw allocationError(op, dtype, size, `more than the ${MAX_ELEMENTS.toLocaleString('en-US')} elements (2^32) a typed array can hold`, shape);
  if (!Number.isInteger(size) || size < 0) throw allocationError(op, dtype, size, 'the size is not a whole number of elements', shape);
}
