/**
 * Storage of the gpu backend: device data (a texture, or a typed array on webasm/cpu) plus the
 * bookkeeping that frees it deterministically. float32, int32 and bool tensors are all stored as
 * float32 (int32 values are exact up to 2^24 in magnitude, bools are 0/1); float64 is refused.
 */
import type { Backend, DType, Storage, TensorInfo } from '@dynconv/core';
import type { DeviceData, GpuContext } from './context.js';

/** What the FinalizationRegistry holds for a storage: enough to free it, nothing that points back. */
interface Cell {
  ctx: GpuContext;
  data: DeviceData;
  size: number;
  freed: boolean;
}

const registry = new FinalizationRegistry<Cell>((cell) => {
  if (cell.freed) return;
  cell.freed = true;
  try {
    cell.ctx.free(cell.data, cell.size);
  } catch {
    // the context may be gone
  }
});

export class GpuStorage implements Storage {
  private readonly cell: Cell;
  /** Known bounds of the values (int32 storages from trusted kernels or uploads), for index checks. */
  range: [number, number] | null = null;

  constructor(
    readonly backend: Backend,
    readonly dtype: DType,
    readonly size: number,
    data: DeviceData,
    ctx: GpuContext,
  ) {
    this.cell = { ctx, data, size, freed: false };
    registry.register(this, this.cell, this);
  }

  /** The device data; throws if the storage was released. */
  get data(): DeviceData {
    if (this.cell.freed) throw new Error('gpu backend: storage was released (its tensors were disposed)');
    return this.cell.data;
  }

  /** Replaces the contents (an in-place write computed out of place); frees the old data. */
  replace(data: DeviceData): void {
    const old = this.cell.data;
    this.cell.data = data;
    this.range = null;
    if (old !== data) this.cell.ctx.free(old, this.size);
  }

  get released(): boolean {
    return this.cell.freed;
  }

  /** Frees the device data now (once). */
  release(): void {
    if (this.cell.freed) return;
    this.cell.freed = true;
    registry.unregister(this);
    this.cell.ctx.free(this.cell.data, this.size);
  }
}

/** The GpuStorage behind a kernel argument, checked to belong to `backend`. */
export function storageOf(backend: Backend, info: TensorInfo, op: string): GpuStorage {
  const s = info.storage;
  if (!(s instanceof GpuStorage) || s.backend !== backend) {
    throw new Error(`gpu backend '${backend.name}': ${op} got storage from backend '${s.backend.name}'`);
  }
  return s;
}
