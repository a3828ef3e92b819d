import type { Backend, Storage } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { type DType, isFloating } from '../dtype.js';
import { notATensorError } from '../copies.js';
import { fmt } from '../shape.js';
import { Tensor } from '../tensor.js';

/** A new contiguous tensor over `storage`. */
export function wrap(storage: Storage, shape: readonly number[]): Tensor {
  return new Tensor(storage, shape);
}

/** Fails clearly when an argument that must be a tensor is something else. */
export function checkTensor(op: string, arg: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw notATensorError(op, `argument '${arg}'`, x);
  return x;
}

/** The one backend all tensor arguments live on; mixing backends is an error. */
export function commonBackend(op: string, tensors: readonly Tensor[]): Backend {
  const first = tensors[0];
  if (!first) return getBackend();
  for (const t of tensors) {
    if (t.backend !== first.backend) {
      throw new Error(
        `${op}: tensors are on different backends ('${first.backend.name}' with shape ${fmt(first.shape)} and '${t.backend.name}' with shape ${fmt(t.shape)}); move one with .to('${first.backend.name}')`,
      );
    }
  }
  return first.backend;
}

/** Requires a floating dtype, for ops that only make sense on real numbers with gradients. */
export function checkFloating(op: string, arg: string, x: Tensor): void {
  if (!isFloating(x.dtype)) throw new Error(`${op}: argument '${arg}' must be float32 or float64, got ${x.dtype}`);
}

/** The dtype a plain JS number takes next to a tensor: the tensor's, or float32 for a fraction beside integers. */
export function scalarDType(value: number, like: DType): DType {
  if ((like === 'int32' || like === 'bool') && !Number.isInteger(value)) return 'float32';
  if (like === 'bool' && typeof value === 'number') return 'int32';
  return like;
}
