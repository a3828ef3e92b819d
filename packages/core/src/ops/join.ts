/** Joining and splitting along a dim, and constant padding. All built on views plus one Assign kernel. */
import { runKernel } from '../backend/registry.js';
import { record } from '../autograd/record.js';
import { noGrad } from '../autograd/grad-mode.js';
import { promoteTypes } from '../dtype.js';
import { fmt, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cast } from './cast.js';
import { full, tensor } from './creation.js';
import { indexSelect } from './indexing.js';
import { narrow, unsqueeze } from './views.js';
import { checkTensor, commonBackend } from './util.js';

/** Concatenates along `dim`; all other dims must agree. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error('cat: expects a non-empty list of tensors');
  tensors.forEach((t, i) => checkTensor('cat', `tensors[${i}]`, t));
  const first = tensors[0]!;
  const d = normalizeDim('cat', dim, first.ndim);
  commonBackend('cat', tensors);
  tensors.forEach((t, i) => {
    if (t.ndim !== first.ndim || t.shape.some((s: number, j: number) => j !== d && s !== first.shape[j])) {
      throw new Error(`cat: tensors[${i}] has shape ${fmt(t.shape)}, which does not match tensors[0] ${fmt(first.shape)} outside dim ${dim}`);
    }
  });
  const dtype = tensors.map((t) => t.dtype).reduce(promoteTypes);
  const inputs = tensors.map((t) => cast(t, dtype));
  const starts: number[] = [];
  let total = 0;
  for (const t of inputs) {
    starts.push(total);
    total += t.shape[d]!;
  }
  const shape = [...first.shape];
  shape[d] = total;
  const out = full(shape, 0, { dtype, backend: first.backend.name });
  inputs.forEach((t, i) => {
    const dst = noGrad(() => narrow(out, d, starts[i]!, t.shape[d]!));
    runKernel(out.backend, 'Assign', dst, t);
  });
  return record('cat', out, inputs, (g) => inputs.map((t, i) => narrow(g, d, starts[i]!, t.shape[d]!)));
}

/** Stacks equal-shaped tensors along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error('stack: expects a non-empty list of tensors');
  tensors.forEach((t, i) => {
    checkTensor('stack', `tensors[${i}]`, t);
    if (t.ndim !== tensors[0]!.ndim || t.shape.some((s: number, j: number) => s !== tensors[0]!.shape[j])) {
      throw new Error(`stack: all tensors must have the same shape, got ${fmt(tensors[0]!.shape)} and ${fmt(t.shape)} at index ${i}`);
    }
  });
  const d = normalizeDim('stack', dim, tensors[0]!.ndim + 1);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

/** Splits into pieces of `splitSize` (the last may be smaller) or of the listed sizes. Views. */
export function split(x: Tensor, splitSize: number | readonly number[], dim = 0): Tensor[] {
  checkTensor('split', 'x', x);
  const d = normalizeDim('split', dim, x.ndim);
  const n = x.shape[d]!;
  let sizes: number[];
  if (typeof splitSize === 'number') {
    if (!Number.isInteger(splitSize) || splitSize <= 0) throw new Error(`split: splitSize must be a positive integer, got ${splitSize}`);
    sizes = [];
    for (let s = 0; s < n; s += splitSize) sizes.push(Math.min(splitSize, n - s));
    if (n === 0) sizes = [0];
  } else {
    sizes = [...splitSize];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (sizes.some((s) => !Number.isInteger(s) || s < 0) || total !== n) {
      throw new Error(`split: sizes ${fmt(sizes)} must be non-negative integers summing to ${n} (dim ${dim} of shape ${fmt(x.shape)})`);
    }
  }
  let start = 0;
  return sizes.map((s) => {
    const piece = narrow(x, d, start, s);
    start += s;
    return piece;
  });
}

/** Splits into `chunks` nearly equal views (fewer if the dim is too small), as `torch.chunk`. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor('chunk', 'x', x);
  if (!Number.isInteger(chunks) || chunks <= 0) throw new Error(`chunk: chunks must be a positive integer, got ${chunks}`);
  const d = normalizeDim('chunk', dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d]! / chunks)), d);
}

/** How {@link pad} fills the new border, as `torch.nn.functional.pad`'s `mode`. */
export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

const PAD_MODES: readonly PadMode[] = ['constant', 'reflect', 'replicate', 'circular'];

/**
 * Padding, `torch.nn.functional.pad` style: `pad` lists (before, after) pairs starting from the
 * last dim. The third argument is the mode ('constant' by default) or, for constant padding,
 * the fill value: `pad(x, [1, 1])`, `pad(x, [1, 1], 2.5)`, `pad(x, [1, 1], 'constant', 2.5)`,
 * `pad(x, [1, 1, 2, 0], 'reflect')`.
 *
 * - 'constant' fills with `value`; negative amounts crop.
 * - 'reflect' mirrors without repeating the edge ([a b c] -> [c b | a b c | b a]; each amount
 *   must be smaller than the dim), 'replicate' repeats the edge, 'circular' wraps around (each
 *   amount at most the dim). These pad at most the last 3 dims, and the input needs one more
 *   dim than is padded (a batch or channel dim), as in PyTorch. Their gradients add up the
 *   border's gradient into the elements it copies.
 */
export function pad(x: Tensor, pad: readonly number[], modeOrValue: PadMode | number = 'constant', value = 0): Tensor {
  checkTensor('pad', 'x', x);
  if (!Array.isArray(pad) || pad.length % 2 !== 0 || pad.length / 2 > x.ndim || !pad.every(Number.isInteger)) {
    throw new Error(`pad: pad must list an even number of integers, at most 2 per dim, got ${JSON.stringify(pad)} for shape ${fmt(x.shape)}`);
  }
  if (typeof modeOrValue === 'number') return padConstant(x, pad, modeOrValue);
  if (!PAD_MODES.includes(modeOrValue)) {
    throw new Error(`pad: mode must be one of ${PAD_MODES.map((m) => `'${m}'`).join(', ')} (or a fill value), got ${JSON.stringify(modeOrValue)}`);
  }
  if (typeof value !== 'number') throw new Error(`pad: value must be a number, got ${JSON.stringify(value)}`);
  if (modeOrValue === 'constant') return padConstant(x, pad, value);
  if (value !== 0) throw new Error(`pad: value is only used by mode 'constant', got value=${value} with mode '${modeOrValue}'`);
  return padByIndex(x, pad, modeOrValue);
}

function padConstant(x: Tensor, pad: readonly number[], value: number): Tensor {
  const before = new Array<number>(x.ndim).fill(0);
  const after = new Array<number>(x.ndim).fill(0);
  for (let i = 0; i < pad.length / 2; i++) {
    before[x.ndim - 1 - i] = pad[2 * i]!;
    after[x.ndim - 1 - i] = pad[2 * i + 1]!;
  }
  let y = x;
  for (let d = 0; d < x.ndim; d++) {
    const lo = Math.max(0, -before[d]!);
    const hi = Math.max(0, -after[d]!);
    if (lo + hi > y.shape[d]!) throw new Error(`pad: cropping ${lo + hi} from dim ${d} of size ${y.shape[d]} (shape ${fmt(x.shape)}, pad ${JSON.stringify(pad)})`);
    if (lo || hi) y = narrow(y, d, lo, y.shape[d]! - lo - hi);
  }
  const lead = before.map((b) => Math.max(0, b));
  const shape = y.shape.map((s, d) => s + lead[d]! + Math.max(0, after[d]!));
  const inner = (t: Tensor): Tensor => y.shape.reduce((acc, s, d) => narrow(acc, d, lead[d]!, s), t);
  const out = full(shape, value, { dtype: y.dtype, backend: y.backend.name });
  runKernel(out.backend, 'Assign', noGrad(() => inner(out)), y);
  return record('pad', out, [y], (g) => [inner(g)]);
}

/** The source position of output position `i` (in [-before, n + after)) along one dim. */
function sourceIndex(mode: Exclude<PadMode, 'constant'>, i: number, n: number): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'replicate') return i < 0 ? 0 : n - 1;
  if (mode === 'circular') return ((i % n) + n) % n;
  return i < 0 ? -i : 2 * (n - 1) - i; // reflect
}

/**
 * reflect / replicate / circular: along each padded dim, an indexSelect of the source positions,
 * so the gradient (indexSelect's, a scatter-add) sums the copies back and stays an op.
 */
function padByIndex(x: Tensor, pad: readonly number[], mode: Exclude<PadMode, 'constant'>): Tensor {
  const dims = pad.length / 2;
  if (dims > 3 || x.ndim < dims + 1) {
    throw new Error(`pad: mode '${mode}' pads the last 1 to 3 dims of an input with one more dim (batch or channel), got pad ${JSON.stringify(pad)} for shape ${fmt(x.shape)}`);
  }
  let y = x;
  for (let i = 0; i < dims; i++) {
    const d = x.ndim - 1 - i;
    const [lo, hi] = [pad[2 * i]!, pad[2 * i + 1]!];
    const n = x.shape[d]!;
    const limit = mode === 'reflect' ? n - 1 : mode === 'circular' ? n : Infinity;
    if (lo < 0 || hi < 0 || lo > limit || hi > limit || n === 0) {
      const rule = mode === 'reflect' ? `smaller than the dim (${n})` : mode === 'circular' ? `at most the dim (${n})` : 'non-negative';
      throw new Error(`pad: mode '${mode}' needs each amount ${rule}, got ${lo} and ${hi} for dim ${d} of shape ${fmt(x.shape)}`);
    }
    if (lo === 0 && hi === 0) continue;
    const index = Array.from({ length: lo + n + hi }, (_, j) => sourceIndex(mode, j - lo, n));
    y = indexSelect(y, d, tensor(Int32Array.from(index), { backend: x.backend.name }));
  }
  return y;
}
