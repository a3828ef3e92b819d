/**
 * How a tensor prints (`toString`, and `console.log` / `util.inspect` through Node's
 * `nodejs.util.inspect.custom` hook), laid out as PyTorch's `repr`:
 *
 *   tensor([[  1, 2.5],
 *           [-10, nan]], dtype=float32)
 *
 * - Layout: each row of the last dim on its own line, aligned after `tensor([`; between the
 *   blocks of an n-D tensor n-2 blank lines (one for 3-D), as PyTorch; a row wider than 80
 *   characters wraps (PyTorch's `linewidth`). Every shown value is right-aligned to the widest.
 * - Values: the shortest decimal that reads back as the exact value of the tensor's dtype, not
 *   PyTorch's fixed 4 decimals, so that what is printed is the value. float32: the first
 *   `toPrecision(p)`, p = 1..9, with `Math.fround(Number(s)) === v` (3.14159 in float32 prints
 *   `3.14159`, not the double `3.141590118408203`); float64: `String(v)`. Both are then written
 *   as JS writes numbers: integral values without decimals (`2`, where PyTorch writes `2.`),
 *   exponent notation per value below 1e-6 and from 1e21 (`1e-7`). `-0` keeps its sign.
 *   NaN and the infinities print `nan`, `inf`, `-inf`; bool `true` / `false`.
 * - Past 1000 elements the middle of each long dim is elided as `...`, keeping 3 values at each
 *   end (PyTorch's `threshold=1000, edgeitems=3`), and the shape is shown. Only the shown values
 *   are read, so printing a tensor of billions of elements costs microseconds.
 * - Shape is also shown for empty tensors (except 1-D `[]`, as PyTorch); a disposed tensor prints
 *   `tensor(<disposed>, shape=[2, 3], dtype=float32)` rather than throwing.
 */
import type { DType } from './dtype.js';
import type { NestedArray, Tensor } from './tensor.js';

/** PyTorch's defaults (torch.set_printoptions). */
export const PRINT_THRESHOLD = 1000;
export const PRINT_EDGE_ITEMS = 3;
export const PRINT_LINE_WIDTH = 80;

/** The key Node's `util.inspect` (so `console.log`) calls; global, so no node:util import. */
export const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom');

/** The indices shown along a dim of `size`: all, or the edges with null for the elision. */
function shownIndices(size: number, summarize: boolean): (number | null)[] {
  if (!summarize || size <= 2 * PRINT_EDGE_ITEMS) return Array.from({ length: size }, (_, i) => i);
  const head = Array.from({ length: PRINT_EDGE_ITEMS }, (_, i) => i);
  const tail = Array.from({ length: PRINT_EDGE_ITEMS }, (_, i) => size - PRINT_EDGE_ITEMS + i);
  return [...head, null, ...tail];
}

/** nan, inf, -inf, -0: what both float formats share. */
function special(v: number): string | null {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return null;
}

/** The shortest decimal that `Math.fround` maps back to the float32 value `v`. */
export function formatFloat32(v: number): string {
  const s = special(v);
  if (s !== null) return s;
  for (let p = 1; p < 9; p++) {
    const digits = v.toPrecision(p);
    if (Math.fround(Number(digits)) === v) return String(Number(digits));
  }
  return String(Number(v.toPrecision(9))); // 9 significant digits always round-trip a float32
}

/** One element as printed, for its dtype. */
export function formatValue(v: number, dtype: DType): string {
  if (dtype === 'bool') return v !== 0 ? 'true' : 'false';
  if (dtype === 'float32') return formatFloat32(v);
  return special(v) ?? String(v);
}

/** PyTorch's grad_fn style: `mul` -> `MulBackward`. */
export function gradFnName(opName: string): string {
  return `${opName.charAt(0).toUpperCase()}${opName.slice(1)}Backward`;
}

/**
 * The nested values of `t` as PyTorch lays them out, the first line starting at column
 * `indent` (after `tensor(`).
 */
export function formatValues(t: Tensor, indent = 'tensor('.length): string {
  if (t.numel() === 0) return '[]';
  const summarize = t.numel() > PRINT_THRESHOLD;
  // The storage itself, read at the shown elements' offsets: no copy of the whole tensor.
  const data = t.backend.readSync(t.storage);
  if (t.ndim === 0) return formatValue(data[t.offset]!, t.dtype);
  const shown = t.shape.map((size) => shownIndices(size, summarize));
  // First pass: the shown values' text, in print order, for the common width.
  const texts: string[] = [];
  const collect = (d: number, at: number): void => {
    for (const i of shown[d]!) {
      if (i === null) continue;
      if (d === t.ndim - 1) texts.push(formatValue(data[at + i * t.strides[d]!]!, t.dtype));
      else collect(d + 1, at + i * t.strides[d]!);
    }
  };
  collect(0, t.offset);
  let width = 0;
  for (const s of texts) width = Math.max(width, s.length); // a loop: a spread could overflow the stack
  let next = 0;
  const render = (d: number, at: number, col: number): string => {
    const pad = ' '.repeat(col + 1);
    if (d === t.ndim - 1) {
      const items = shown[d]!.map((i) => (i === null ? '...' : texts[next++]!.padStart(width)));
      const perLine = Math.max(1, Math.floor((PRINT_LINE_WIDTH - col) / (width + 2)));
      const lines: string[] = [];
      for (let k = 0; k < items.length; k += perLine) lines.push(items.slice(k, k + perLine).join(', '));
      return `[${lines.join(`,\n${pad}`)}]`;
    }
    const blocks = shown[d]!.map((i) => (i === null ? '...' : render(d + 1, at + i * t.strides[d]!, col + 1)));
    return `[${blocks.join(`,${'\n'.repeat(t.ndim - d - 1)}${pad}`)}]`;
  };
  return render(0, t.offset, indent);
}

/** `tensor(values, shape=..., dtype=..., gradFn=<...>)`, see the header of this file. */
export function formatTensor(t: Tensor): string {
  const shape = `shape=[${t.shape.join(', ')}]`;
  const extras = [`dtype=${t.dtype}`];
  if (t.gradFn) extras.push(`gradFn=<${gradFnName(t.gradFn.name)}>`);
  else if (t.requiresGrad) extras.push('requiresGrad=true');
  if (t.isDisposed) return `tensor(<disposed>, ${shape}, ${extras.join(', ')})`;
  if (t.numel() > PRINT_THRESHOLD || (t.numel() === 0 && t.ndim !== 1)) extras.unshift(shape);
  return `tensor(${formatValues(t)}, ${extras.join(', ')})`;
}

/** The most elements {@link Tensor.toArray} builds nested arrays for (about 1 GiB of JS numbers). */
export const MAX_TO_ARRAY_ELEMENTS = 2 ** 27;

/** Refuses a `toArray` whose nested arrays would exhaust the JS heap, before building any. */
export function checkToArraySize(t: Tensor): void {
  const n = t.numel();
  if (n > MAX_TO_ARRAY_ELEMENTS) {
    throw new Error(
      `toArray: the tensor of shape [${t.shape.join(', ')}] has ${n.toLocaleString('en-US')} elements; nested arrays of more than ${MAX_TO_ARRAY_ELEMENTS.toLocaleString('en-US')} (2^27) numbers would exhaust the JS heap. Read it with dataSync() (one typed array), or slice it first`,
    );
  }
}

export type { NestedArray };
