import type { Backend, Storage, TensorInfo } from './backend/backend.js';
import { runKernel } from './backend/registry.js';
import { runBackward } from './autograd/engine.js';
import { TENSOR_BRAND, THIS_COPY } from './copies.js';
import { seedGradients } from './autograd/grad.js';
import type { Node } from './autograd/node.js';
import { type DType, isFloating, type TypedArray } from './dtype.js';
import { contiguousStrides, fmt, isContiguous, sizeOf } from './shape.js';
import { releaseStorage, trackTensor } from './memory.js';
import { checkToArraySize, formatTensor, inspectCustom } from './print.js';
import * as act from './ops/activation.js';
import * as bin from './ops/binary.js';
import { cast, toBackend } from './ops/cast.js';
import * as idx from './ops/indexing.js';
import { copyInto } from './ops/inplace.js';
import * as join from './ops/join.js';
import * as mm from './ops/matmul.js';
import * as red from './ops/reduce.js';
import * as sm from './ops/softmax.js';
import * as un from './ops/unary.js';
import * as v from './ops/views.js';

/** What a tensor hook may do: observe the gradient, or return a replacement. */
export type TensorHook = (grad: Tensor) => Tensor | void | undefined;

/** Options of {@link Tensor.backward}. */
export interface BackwardOptions {
  /** Keep the graph (its saved tensors) for another backward; defaults to `createGraph`. */
  retainGraph?: boolean;
  /**
   * Record the backward pass itself, so the gradients are differentiable (higher-order gradients).
   */
  createGraph?: boolean;
}

/** Nested arrays of numbers (or booleans for bool tensors), as {@link Tensor.toArray} returns. */
export type NestedArray = number | boolean | NestedArray[];

/**
 * An n-dimensional array: a view (shape, strides, offset) over storage owned by a backend,
 * plus its place on the autograd tape.
 */
export class Tensor implements TensorInfo {
  /** Sizes of each dimension; `[]` for a scalar. */
  readonly shape: number[];
  /** Storage elements to step over per index of each dimension (0 for broadcast dims). */
  readonly strides: number[];
  /** Where element `[0, ..., 0]` lives in storage. */
  readonly offset: number;
  /** Element type (float32, float64, int32 or bool). */
  readonly dtype: DType;
  /** Accumulated gradient of a leaf (or of a tensor that called {@link retainGrad}). */
  grad: Tensor | null = null;
  /** Hooks run on this tensor's gradient during backward. */
  readonly hooks: TensorHook[] = [];
  /** Whether a non-leaf keeps its gradient in `.grad`. */
  retainsGrad = false;
  private gradFnNode: Node | null = null;
  private requiresGradFlag = false;
  private storageRef: Storage;
  private disposedFlag = false;

  /** Low-level constructor; use `tensor()`, `zeros()` and friends instead. */
  constructor(
    storage: Storage,
    shape: readonly number[],
    strides: readonly number[] = contiguousStrides(shape),
    offset = 0,
  ) {
    this.storageRef = storage;
    this.shape = [...shape];
    this.strides = [...strides];
    this.offset = offset;
    this.dtype = storage.dtype;
    trackTensor(this, storage);
  }

  /** The storage this tensor views; throws once the tensor has been disposed. */
  get storage(): Storage {
    if (this.disposedFlag) {
      throw new Error(`tensor was disposed (shape ${fmt(this.shape)}, ${this.dtype}): it cannot be used after dispose() or after the end of the tidy() scope that created it; return it from the scope or keep() it`);
    }
    return this.storageRef;
  }

  /** True once {@link dispose} has run (directly or at the end of a `tidy` scope). */
  get isDisposed(): boolean {
    return this.disposedFlag;
  }

  /**
   * Releases this tensor: the storage is freed once every tensor viewing it is disposed (views
   * share storage, counted per view). Idempotent. Using the tensor afterwards throws
   * ("tensor was disposed"). Its `.grad` is not disposed.
   */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    releaseStorage(this.storageRef);
  }

  /** The recorded op that produced this tensor, or null for a leaf. */
  get gradFn(): Node | null {
    return this.gradFnNode;
  }

  /** @internal Called by `record` when an op puts this tensor on the tape. */
  _setGradFn(node: Node): void {
    this.gradFnNode = node;
    this.requiresGradFlag = true;
  }

  /** Whether gradients flow to (or through) this tensor. */
  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }

  /**
   * Turns gradient tracking on or off for a leaf; only float tensors can require grad, and a
   * non-leaf cannot turn it off.
   */
  set requiresGrad(on: boolean) {
    if (this.gradFnNode && !on) {
      throw new Error('requiresGrad: cannot turn off requiresGrad on a non-leaf tensor; use detach()');
    }
    if (on && !isFloating(this.dtype)) {
      throw new Error(`requiresGrad: only float32 and float64 tensors can require gradients, got ${this.dtype}`);
    }
    this.requiresGradFlag = on;
  }

  /** Sets {@link requiresGrad} and returns this tensor, for chaining. */
  requiresGrad_(on = true): this {
    this.requiresGrad = on;
    return this;
  }

  /** True for tensors created by the user rather than by a recorded op. */
  get isLeaf(): boolean {
    return this.gradFnNode === null;
  }

  /** The backend that owns this tensor's storage and runs its ops. */
  get backend(): Backend {
    return this.storage.backend;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of dimensions (as {@link Tensor.ndim}). */
  dim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  numel(): number {
    return sizeOf(this.shape);
  }

  /** The whole shape, or the size of one (possibly negative) dim. */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return [...this.shape];
    return this.shape[v.dimIndex('size', dim, this.ndim)]!;
  }

  /** Whether the view is laid out row-major with no gaps (size-1 dims' strides are ignored). */
  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  // ---- reading values --------------------------------------------------------------------

  /** The elements in row-major order, as a fresh typed array (synchronous readback). */
  dataSync(): TypedArray {
    const n = this.numel();
    if (this.isContiguous()) return this.backend.readSync(this.storage).slice(this.offset, this.offset + n);
    // A strided view is copied contiguous first; the temporary storage is released at once.
    const tmp = runKernel(this.backend, 'Copy', this, this.dtype);
    const out = this.backend.readSync(tmp).slice(0, n);
    this.backend.dispose?.(tmp);
    return out;
  }

  /** The elements in row-major order; a device backend may read back asynchronously. */
  async data(): Promise<TypedArray> {
    const n = this.numel();
    const contiguous = this.isContiguous();
    const s = contiguous ? this.storage : runKernel(this.backend, 'Copy', this, this.dtype);
    const offset = contiguous ? this.offset : 0;
    const out = (await this.backend.read(s)).slice(offset, offset + n);
    if (!contiguous) this.backend.dispose?.(s);
    return out;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.numel() !== 1) throw new Error(`item: only one-element tensors can be converted to a number, got shape ${fmt(this.shape)}`);
    return this.dataSync()[0]!;
  }

  /**
   * Nested arrays of the values (booleans for bool tensors). Refused, at once, for more than
   * 2^27 elements, whose arrays would not fit in the JS heap (use {@link dataSync}).
   */
  toArray(): NestedArray {
    checkToArraySize(this);
    const flat = this.dataSync();
    const asValue = this.dtype === 'bool' ? (x: number) => x !== 0 : (x: number) => x;
    const build = (d: number, start: number): NestedArray => {
      if (d === this.ndim) return asValue(flat[start]!);
      const step = sizeOf(this.shape.slice(d + 1));
      return Array.from({ length: this.shape[d]! }, (_, i) => build(d + 1, start + i * step));
    };
    return build(0, 0);
  }

  /**
   * PyTorch-style text: `tensor([[1, 2.5],\n        [3, 4]], dtype=float32)`, one row per line,
   * each value the shortest decimal that reads back exactly (float32 at float32 precision);
   * `nan`, `inf`; the shape for empty, summarised (past 1000 elements: `a, b, c, ..., x, y, z`
   * per long dim) and disposed tensors; `gradFn=<MulBackward>` or `requiresGrad=true`. See print.ts.
   */
  toString(): string {
    return formatTensor(this);
  }

  /** What `console.log` and Node's `util.inspect` show: {@link toString}. */
  [inspectCustom](): string {
    return this.toString();
  }

  /** {@link toArray}, so `JSON.stringify(t)` writes the nested values (and is refused past 2^27 elements). */
  toJSON(): NestedArray {
    return this.toArray();
  }

  // ---- autograd ---------------------------------------------------------------------------

  /** Back-propagates from this tensor into the `.grad` of every leaf that requires grad. */
  backward(gradOutput?: Tensor, opts: BackwardOptions = {}): void {
    if (!this.requiresGrad) {
      throw new Error(`backward: tensor of shape ${fmt(this.shape)} does not require grad and has no gradFn`);
    }
    const [seed] = seedGradients('backward', [this], gradOutput ? [gradOutput] : undefined);
    const createGraph = opts.createGraph ?? false;
    runBackward([this], [seed!], { createGraph, retainGraph: opts.retainGraph ?? createGraph });
  }

  /** A tensor sharing this one's storage but cut off from the tape. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.strides, this.offset);
  }

  /** Keeps this non-leaf tensor's gradient in `.grad` after backward. */
  retainGrad(): this {
    if (!this.requiresGrad) throw new Error('retainGrad: tensor does not require grad');
    if (this.gradFnNode) this.retainsGrad = true;
    return this;
  }

  /** Adds a hook run with this tensor's gradient; returns a handle that removes it. */
  registerHook(hook: TensorHook): {
    /** Unregisters the hook. */
    remove(): void;
  } {
    if (!this.requiresGrad) throw new Error('registerHook: cannot register a hook on a tensor that does not require grad');
    this.hooks.push(hook);
    return { remove: () => void this.hooks.splice(this.hooks.indexOf(hook) >>> 0, 1) };
  }

  // ---- conversion -------------------------------------------------------------------------

  /** Casts to a dtype, or moves to another backend by name (differentiable either way). */
  to(target: DType | string): Tensor {
    if (target === 'float32' || target === 'float64' || target === 'int32' || target === 'bool') return cast(this, target);
    return toBackend(this, target);
  }
  /** Cast to float64. */
  double(): Tensor { return cast(this, 'float64'); }
  /** Cast to float32. */
  float(): Tensor { return cast(this, 'float32'); }
  /** Cast to int32 (truncating toward zero). */
  int(): Tensor { return cast(this, 'int32'); }
  /** Cast to bool (non-zero is true). */
  bool(): Tensor { return cast(this, 'bool'); }

  // ---- in place (not recorded; refused on tensors that require grad while grad mode is on) --

  /** Writes `src` (broadcast and cast) into this tensor's storage. */
  copy_(src: Tensor | number): this { copyInto(this, src); return this; }
  /** Sets every element to `value`. */
  fill_(value: number): this { return this.copy_(value); }
  /** Sets every element to 0. */
  zero_(): this { return this.copy_(0); }

  // ---- views ------------------------------------------------------------------------------

  /** Same elements, new shape: a view when the strides allow, else a copy. One dim may be -1. */
  reshape(shape: readonly number[]): Tensor { return v.reshape(this, shape); }
  /** Like {@link Tensor.reshape} but never copies: fails when the strides do not allow a view. */
  view(shape: readonly number[]): Tensor { return v.view(this, shape); }
  /** Reorders dimensions: output dim i is input dim `dims[i]` (a view). */
  permute(dims: readonly number[]): Tensor { return v.permute(this, dims); }
  /** Swaps two dimensions (a view). */
  transpose(dim0: number, dim1: number): Tensor { return v.transpose(this, dim0, dim1); }
  /** Transpose of a tensor with at most 2 dims. */
  t(): Tensor { return v.t(this); }
  /**
   * Broadcasts size-1 dims to `shape` (stride 0, no copy); -1 keeps a size; new dims go in front.
   */
  expand(shape: readonly number[]): Tensor { return v.expand(this, shape); }
  /** Expands to `other`'s shape. */
  expandAs(other: Tensor): Tensor { return v.expand(this, other.shape); }
  /** Elements `start .. start+length-1` of `dim` (a view). */
  narrow(dim: number, start: number, length: number): Tensor { return v.narrow(this, dim, start, length); }
  /**
   * Python-style slice `start:end:step` along `dim` (negative indices wrap; bounds clamp; a view).
   */
  slice(dim: number, start?: number, end?: number, step?: number): Tensor { return v.slice(this, dim, start, end, step); }
  /** The slice at `index` of `dim`, with that dim removed (a view). */
  select(dim: number, index: number): Tensor { return v.select(this, dim, index); }
  /** Removes size-1 dims (all of them, or those listed that have size 1). */
  squeeze(dim?: number | readonly number[]): Tensor { return v.squeeze(this, dim); }
  /** Inserts a size-1 dim at `dim` (which may be `ndim`, or negative counting from the end). */
  unsqueeze(dim: number): Tensor { return v.unsqueeze(this, dim); }
  /** Merges dims `startDim..endDim` (default all) into one. */
  flatten(startDim?: number, endDim?: number): Tensor { return v.flatten(this, startDim, endDim); }
  /** This tensor if already contiguous, else a contiguous copy. */
  contiguous(): Tensor { return v.contiguous(this); }
  /** A contiguous copy with its own storage; gradients pass straight through. */
  clone(): Tensor { return v.clone(this); }
  /**
   * Splits along `dim` (default 0) into pieces of `splitSize` (the last may be smaller) or of the
   * listed sizes. Views.
   */
  split(splitSize: number | readonly number[], dim?: number): Tensor[] { return join.split(this, splitSize, dim); }
  /**
   * Splits along `dim` (default 0) into `chunks` nearly equal views (fewer if the dim is too
   * small).
   */
  chunk(chunks: number, dim?: number): Tensor[] { return join.chunk(this, chunks, dim); }

  // ---- elementwise ------------------------------------------------------------------------

  /** this + alpha * other (broadcast; dtypes promoted). */
  add(other: Tensor | number, alpha?: number): Tensor { return bin.add(this, other, alpha); }
  /** this - alpha * other (broadcast; dtypes promoted). */
  sub(other: Tensor | number, alpha?: number): Tensor { return bin.sub(this, other, alpha); }
  /** Elementwise product (broadcast). */
  mul(other: Tensor | number): Tensor { return bin.mul(this, other); }
  /** True division (broadcast): integer inputs give float32. */
  div(other: Tensor | number): Tensor { return bin.div(this, other); }
  /** this ** exponent, elementwise (broadcast). */
  pow(exponent: Tensor | number): Tensor { return bin.pow(this, exponent); }
  /** Elementwise maximum; on ties the gradient is split half to each. */
  maximum(other: Tensor | number): Tensor { return bin.maximum(this, other); }
  /** Elementwise minimum; on ties the gradient is split half to each. */
  minimum(other: Tensor | number): Tensor { return bin.minimum(this, other); }
  /** Elementwise == as a bool tensor (not differentiable). */
  eq(other: Tensor | number): Tensor { return bin.eq(this, other); }
  /** Elementwise != as a bool tensor (not differentiable). */
  ne(other: Tensor | number): Tensor { return bin.ne(this, other); }
  /** Elementwise > as a bool tensor (not differentiable). */
  gt(other: Tensor | number): Tensor { return bin.gt(this, other); }
  /** Elementwise >= as a bool tensor (not differentiable). */
  ge(other: Tensor | number): Tensor { return bin.ge(this, other); }
  /** Elementwise < as a bool tensor (not differentiable). */
  lt(other: Tensor | number): Tensor { return bin.lt(this, other); }
  /** Elementwise <= as a bool tensor (not differentiable). */
  le(other: Tensor | number): Tensor { return bin.le(this, other); }
  /** `where(condition, this, other)`, as PyTorch's `Tensor.where`. */
  where(condition: Tensor, other: Tensor | number): Tensor { return bin.where(condition, this, other); }
  /** -x (refused for bool). */
  neg(): Tensor { return un.neg(this); }
  /** e^x. */
  exp(): Tensor { return un.exp(this); }
  /** Natural logarithm. */
  log(): Tensor { return un.log(this); }
  /** Square root. */
  sqrt(): Tensor { return un.sqrt(this); }
  /** 1 / sqrt(x). */
  rsqrt(): Tensor { return un.rsqrt(this); }
  /** |x|; the gradient at 0 is 0. */
  abs(): Tensor { return un.abs(this); }
  /** Sine (radians). */
  sin(): Tensor { return un.sin(this); }
  /** Cosine (radians). */
  cos(): Tensor { return un.cos(this); }
  /** Hyperbolic tangent. */
  tanh(): Tensor { return un.tanh(this); }
  /** The logistic function 1 / (1 + e^-x). */
  sigmoid(): Tensor { return un.sigmoid(this); }
  /** max(x, 0); the gradient at 0 is 0. */
  relu(): Tensor { return un.relu(this); }
  /** -1, 0 or 1 (not differentiable: its gradient is 0). */
  sign(): Tensor { return un.sign(this); }
  /** The Gauss error function. */
  erf(): Tensor { return un.erf(this); }
  /** log(1 + x), accurate for small x. */
  log1p(): Tensor { return un.log1p(this); }
  /** e^x - 1, accurate for small x. */
  expm1(): Tensor { return un.expm1(this); }
  /** 1 / x. */
  reciprocal(): Tensor { return un.reciprocal(this); }
  /** x * x. */
  square(): Tensor { return bin.mul(this, this); }
  /** Rounds down (gradient 0). */
  floor(): Tensor { return un.floor(this); }
  /** Rounds up (gradient 0). */
  ceil(): Tensor { return un.ceil(this); }
  /** Rounds half to even (gradient 0). */
  round(): Tensor { return un.round(this); }
  /**
   * Limits values to [min, max] (null or undefined: no bound on that side); the gradient passes
   * where min <= x <= max.
   */
  clamp(min?: number | Tensor | null, max?: number | Tensor | null): Tensor { return act.clamp(this, min, max); }

  // ---- reductions -------------------------------------------------------------------------

  /** Sum over `dim` (default: all dims); bool counts as int32. */
  sum(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor { return red.sum(this, dim, keepdim); }
  /** Mean over `dim` (default: all dims); integer inputs give float32. */
  mean(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor { return red.mean(this, dim, keepdim); }
  /** Variance over `dim` (default: all dims), unbiased unless `opts` says otherwise. */
  var(dim?: number | readonly number[] | null, opts?: red.VarOptions): Tensor { return red.variance(this, dim, opts); }
  /** Standard deviation over `dim` (default: all dims), unbiased unless `opts` says otherwise. */
  std(dim?: number | readonly number[] | null, opts?: red.VarOptions): Tensor { return red.std(this, dim, opts); }
  /** Largest value over `dim` (default: all dims). */
  amax(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor { return red.amax(this, dim, keepdim); }
  /** Smallest value over `dim` (default: all dims). */
  amin(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor { return red.amin(this, dim, keepdim); }
  /** The largest value (a 0-d tensor). */
  max(): Tensor;
  /** The largest values along `dim`, with their int32 indices. */
  max(dim: number, keepdim?: boolean): red.ValuesIndices;
  max(dim?: number, keepdim?: boolean): Tensor | red.ValuesIndices {
    return dim === undefined ? red.max(this) : red.max(this, dim, keepdim);
  }
  /** The smallest value (a 0-d tensor). */
  min(): Tensor;
  /** The smallest values along `dim`, with their int32 indices. */
  min(dim: number, keepdim?: boolean): red.ValuesIndices;
  min(dim?: number, keepdim?: boolean): Tensor | red.ValuesIndices {
    return dim === undefined ? red.min(this) : red.min(this, dim, keepdim);
  }
  /**
   * Index (int32) of the largest value over `dim`, or into the flattened tensor. Not
   * differentiable.
   */
  argmax(dim?: number, keepdim?: boolean): Tensor { return red.argmax(this, dim, keepdim); }
  /**
   * Index (int32) of the smallest value over `dim`, or into the flattened tensor. Not
   * differentiable.
   */
  argmin(dim?: number, keepdim?: boolean): Tensor { return red.argmin(this, dim, keepdim); }
  /** log(sum(exp(x))) over `dim`, stable for large values. */
  logsumexp(dim: number | readonly number[], keepdim?: boolean): Tensor { return red.logsumexp(this, dim, keepdim); }

  // ---- linear algebra, softmax, indexing ------------------------------------------------

  /** `torch.matmul`: dot, matrix or batched product (batch dims broadcast). */
  matmul(other: Tensor): Tensor { return mm.matmul(this, other); }
  /** Batched product of [B, M, K] and [B, K, N] (no broadcasting). */
  bmm(other: Tensor): Tensor { return mm.bmm(this, other); }
  /** exp(x) / sum(exp(x)) along `dim`, computed stably. */
  softmax(dim: number): Tensor { return sm.softmax(this, dim); }
  /** log(softmax(x)) along `dim`, computed stably. */
  logSoftmax(dim: number): Tensor { return sm.logSoftmax(this, dim); }
  /** Values picked along `dim` at the positions in `index`; the output has index's shape. */
  gather(dim: number, index: Tensor): Tensor { return idx.gather(this, dim, index); }
  /** The entries at the positions in the 1-D `index` along `dim`. */
  indexSelect(dim: number, index: Tensor): Tensor { return idx.indexSelect(this, dim, index); }
}

// Every tensor says which copy of core made it, so another copy can tell "a Tensor from a second
// copy" from "not a Tensor" (copies.ts). On the prototype: no cost per tensor.
Object.defineProperty(Tensor.prototype, TENSOR_BRAND, { value: THIS_COPY });
