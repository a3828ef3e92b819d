/** PoolArgMax of the reference backend: each window scanned for its largest element. */
import type { Backend, Storage, TensorInfo } from '../backend/backend.js';
import { read, storageFrom } from './storage.js';

/**
 * For x [N, C, H, W], output (n, c, i, j) is the flat position h * W + w of the largest element
 * of the window made of rows `rows[i]` and columns `cols[j]`, scanned row by row: the first NaN
 * if there is one (NaN wins, as in PyTorch), else the first of the equal maxima. int32
 * [N, C, rows.length, cols.length].
 */
export function poolArgMax(backend: Backend, x: TensorInfo, rows: readonly (readonly number[])[], cols: readonly (readonly number[])[]): Storage {
  const [N, C, , W] = x.shape as [number, number, number, number];
  const values: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (const windowRows of rows) {
        for (const windowCols of cols) values.push(argMaxOfWindow(x, n, c, windowRows, windowCols, W));
      }
    }
  }
  return storageFrom(backend, 'int32', values);
}

function argMaxOfWindow(x: TensorInfo, n: number, c: number, rows: readonly number[], cols: readonly number[], W: number): number {
  let best = NaN;
  let at = -1;
  for (const h of rows) {
    for (const w of cols) {
      const v = read(x, [n, c, h, w]);
      if (Number.isNaN(v)) return h * W + w;
      if (at < 0 || v > best) {
        best = v;
        at = h * W + w;
      }
    }
  }
  return at;
}
