/**
 * How a tensor prints (`toString`). Small tensors print every value; past a threshold of
 * elements the middle of each long dim is elided as `...`, keeping `edgeItems` values at each
 * end, as PyTorch's printing does by default (`threshold=1000, edgeitems=3`). Only the shown
 * values are read, so printing a tensor of billions of elements costs microseconds.
 */
import type { NestedArray, Tensor } from './tensor.js';

/** PyTorch's defaults (torch.set_printoptions). */
export const PRINT_THRESHOLD = 1000;
export const PRINT_EDGE_ITEMS = 3;

/** The indices shown along a dim of `size`: all, or the edges with null for the elision. */
function shownIndices(size: number, summarize: boolean): (number | null)[] {
  if (!summarize || size <= 2 * PRINT_EDGE_ITEMS) return Array.from({ length: size }, (_, i) => i);
  const head = Array.from({ length: PRINT_EDGE_ITEMS }, (_, i) => i);
  const tail = Array.from({ length: PRINT_EDGE_ITEMS }, (_, i) => size - PRINT_EDGE_ITEMS + i);
  return [...head, null, ...tail];
}

/** The values of `t` as nested text: `[1, 2, ..., 9]`, rows of rows for more dims. */
export function formatValues(t: Tensor): string {
  const summarize = t.numel() > PRINT_THRESHOLD;
  // The storage itself, read at the shown elements' offsets: no copy of the whole tensor.
  const data = t.backend.readSync(t.storage);
  const asText = t.dtype === 'bool' ? (x: number) => String(x !== 0) : (x: number) => String(x);
  const build = (d: number, at: number): string => {
    if (d === t.ndim) return asText(data[at]!);
    const parts = shownIndices(t.shape[d]!, summarize).map((i) => (i === null ? '...' : build(d + 1, at + i * t.strides[d]!)));
    return `[${parts.join(', ')}]`;
  };
  return build(0, t.offset);
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
