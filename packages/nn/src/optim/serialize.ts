/**
 * Optimizer state tensors as plain JSON values, exactly. A finite double prints and parses back
 * to the same bits (JSON uses the shortest round-trip form), and float32 values are doubles
 * exactly; only the values JSON cannot spell (NaN, the infinities, and -0, which
 * `JSON.stringify` prints as `0`) are written as strings, so a resumed run continues bit for bit.
 * (NaN and the infinities can be written, to inspect a run that diverged, but loading refuses
 * them: see {@link adoptStateTensor}.) Checkpoints store these tensors in binary instead.
 */
import { noGrad, Tensor, tensor } from '@dynconv/core';
import { fmtShape, isPlainObject, show } from './check.js';

/** How a value JSON cannot represent is spelled. */
export type SpecialValue = 'NaN' | 'Infinity' | '-Infinity' | '-0';

/** A float tensor as plain JSON: row-major values. */
export interface SerializedTensor {
  /** Size of each dim. */
  shape: number[];
  /** Element type. */
  dtype: 'float32' | 'float64';
  /** The values in row-major order; those JSON cannot spell as {@link SpecialValue} strings. */
  data: Array<number | SpecialValue>;
}

const SPECIAL: Record<SpecialValue, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

function encode(x: number): number | SpecialValue {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  return x;
}

/** The tensor's shape, dtype and values, detached from its storage. */
export function serializeTensor(t: Tensor): SerializedTensor {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new Error(`serializeTensor: expected a float tensor, got ${t.dtype}`);
  return { shape: [...t.shape], dtype: t.dtype, data: Array.from(t.dataSync(), encode) };
}

/**
 * Rebuilds a tensor written by {@link serializeTensor}, checking it as it goes; `where` names it in
 * errors. The result has `like`'s dtype and backend and must have its shape.
 */
export function deserializeTensor(where: string, x: unknown, like: Tensor): Tensor {
  if (!isPlainObject(x)) throw new Error(`${where}: expected a serialized tensor { shape, dtype, data }, got ${show(x)}`);
  const { shape, dtype, data } = x;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new Error(`${where}: shape must be an array of sizes, got ${show(shape)}`);
  }
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`${where}: dtype must be 'float32' or 'float64', got ${show(dtype)}`);
  const dims = shape as number[];
  if (dims.length !== like.shape.length || dims.some((d, i) => d !== like.shape[i])) {
    throw new Error(`${where}: has shape ${fmtShape(dims)} but the parameter has shape ${fmtShape(like.shape)}`);
  }
  const n = dims.reduce((a, b) => a * b, 1);
  if (!Array.isArray(data) || data.length !== n) {
    throw new Error(`${where}: data must be an array of ${n} values, got ${Array.isArray(data) ? `${data.length} values` : show(data)}`);
  }
  const values = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  data.forEach((v, i) => {
    const num = typeof v === 'number' ? v : typeof v === 'string' && v in SPECIAL ? SPECIAL[v as SpecialValue] : undefined;
    if (num === undefined) throw new Error(`${where}: data[${i}] must be a number or one of 'NaN', 'Infinity', '-Infinity', '-0', got ${show(v)}`);
    values[i] = num;
  });
  const t = tensor(values, { dtype, backend: like.backend.name }).reshape(dims);
  // PyTorch casts loaded state to the parameter's dtype; the same dtype round-trips exactly.
  return t.dtype === like.dtype ? t : t.to(like.dtype);
}

/**
 * A loaded state tensor, checked and copied for the optimizer to own: `x` is a Tensor (from a
 * checkpoint's binary data or `stateDict('tensors')`) or its JSON form. It must have `like`'s
 * shape and hold finite values (and none below zero when `nonNegative`: second moments, whose
 * square root the update takes); the copy has `like`'s dtype and backend. `where` names it.
 */
export function adoptStateTensor(where: string, x: unknown, like: Tensor, nonNegative: boolean): Tensor {
  let t: Tensor;
  if (x instanceof Tensor) {
    if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new Error(`${where}: expected a float32 or float64 tensor, got ${x.dtype}`);
    if (x.shape.length !== like.shape.length || x.shape.some((d, i) => d !== like.shape[i])) {
      throw new Error(`${where}: has shape ${fmtShape(x.shape)} but the parameter has shape ${fmtShape(like.shape)}`);
    }
    // A copy, never the caller's tensor: the fused update writes moments in place.
    t = noGrad(() => {
      const moved = x.backend === like.backend ? x : x.to(like.backend.name);
      return moved.dtype === like.dtype ? moved.clone() : moved.to(like.dtype);
    });
  } else {
    t = deserializeTensor(where, x, like);
  }
  const values = t.dataSync();
  const low = nonNegative ? 0 : -Number.MAX_VALUE;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // Written so that NaN fails too (every comparison with NaN is false).
    if (!(v >= low && v <= Number.MAX_VALUE)) {
      throw new Error(`${where}: element ${i} is ${show(v)}; expected ${nonNegative ? 'finite values >= 0 (a running average of squares)' : 'finite values'}`);
    }
  }
  return t;
}
