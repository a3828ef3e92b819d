/** Helpers shared by the gpu backend's kernels. */
import type { Backend, DType, TensorInfo } from '@dynconv/core';
import { coalesce, convertTo, dot, unravel } from '../codegen.js';
import type { DeviceData, GpuContext } from '../context.js';
import { GpuStorage, storageOf } from '../storage.js';

/** The gpu backend as its kernels see it. */
export interface GpuBackend extends Backend {
  /**
   * The gpu.js context the kernels launch on (compiled-kernel cache, uploads, read-backs).
   * @internal
   */
  readonly ctx: GpuContext;
  /**
   * A new storage over device data of `size` elements.
   * @internal
   */
  wrap(dtype: DType, size: number, data: DeviceData): GpuStorage;
}

/** Refuses dtypes the device cannot hold, naming the op. */
export function checkDType(op: string, dtype: DType): void {
  if (dtype === 'float64') {
    throw new Error(`gpu backend: ${op} needs float64, but the gpu backend computes in float32 only; cast with .float() first (or run this part on the 'cpu' backend)`);
  }
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A compact, unambiguous description of views for cache keys. */
export function viewKey(views: readonly TensorInfo[]): string {
  return views.map((v) => `${v.shape.join('x')}/${v.strides.join(',')}/${v.storage.size}`).join('|');
}

/**
 * An elementwise kernel over same-shaped views: output element i reads element i of every view
 * (any strides, stride 0 for broadcast dims) and `body(values)` returns the lines that define
 * `out`; the result is converted to `outDtype`.
 */
export function elementwise(
  b: GpuBackend,
  op: string,
  keyOp: string,
  views: readonly TensorInfo[],
  outDtype: DType,
  body: (values: string[]) => string,
): GpuStorage {
  checkDType(op, outDtype);
  for (const v of views) checkDType(op, v.dtype);
  const shape = views[0]!.shape;
  const n = sizeOf(shape);
  if (n === 0) return b.wrap(outDtype, 0, new Float32Array(0));
  const { dims, strides } = coalesce(shape, views.map((v) => v.strides));
  const storages = views.map((v) => storageOf(b, v, op));
  const key = `${keyOp}|${outDtype}|${dims.join('x')}|${strides.map((s) => s.join(',')).join('|')}|${storages.map((s) => s.size).join(',')}`;
  const args: (DeviceData | number)[] = [];
  views.forEach((v, k) => args.push(storages[k]!.data, v.offset));
  const data = b.ctx.launch(op, key, n, () => {
    const params = views.map((_, k) => `x${k}, o${k}`).join(', ');
    const reads = views.map((_, k) => `const v${k} = x${k}[${dot(`o${k}`, 'c', strides[k]!)}];`).join('\n');
    return `function(${params}) {
${unravel('this.thread.x', dims, 'c')}
${reads}
${body(views.map((_, k) => `v${k}`))}
return ${convertTo(outDtype, 'out')};
}`;
  }, args);
  return b.wrap(outDtype, n, data);
}
