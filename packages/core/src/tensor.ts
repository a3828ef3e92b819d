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
  retainGraph?: boolean;
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

  get backend(): Backend {
    return this.storage.backend;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

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
  registerHook(hook: TensorHook): { remove(): void } {
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
  double(): Tensor { return cast(this, 'float64'); }
  float(): Tensor { return cast(this, 'float32'); }
  int(): Tensor { return cast(this, 'int32'); }
  bool(): Tensor { return cast(this, 'bool'); }

  // ---- in place (not recorded; refused on tensors that require grad while grad mode is on) --

  /** Writes `src` (broadcast and cast) into this tensor's storage. */
  copy_(src: Tensor | number): this { copyInto(this, src); return this; }
  /** Sets every element to `value`. */
  fill_(value: number): this { return this.copy_(value); }
  zero_(): this { return this.copy_(0); }

  // ---- views ------------------------------------------------------------------------------

  reshape(shape: readonly number[]): Tensor { return v.reshape(this, shape); }
  view(shape: readonly number[]): Tensor { return v.view(this, shape); }
  permute(dims: readonly number[]): Tensor { return v.permute(this, dims); }
  transpose(dim0: number, dim1: number): Tensor { return v.transpose(this, dim0, dim1); }
  /** Transpose of a tensor with at most 2 dims. */
  t(): Tensor { return v.t(this); }
  expand(shape: readonly number[]): Tensor { return v.expand(this, shape); }
  expandAs(other: Tensor): Tensor { return v.expand(this, other.shape); }
  narrow(dim: number, start: number, length: number): Tensor { return v.narrow(this, dim, start, length); }
  slice(dim: number, start?: number, end?: number, step?: number): Tensor { return v.slice(this, dim, start, end, step); }
  select(dim: number, index: number): Tensor { return v.select(this, dim, index); }
  squeeze(dim?: number | readonly number[]): Tensor { return v.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return v.unsqueeze(this, dim); }
  flatten(startDim?: number, endDim?: number): Tensor { return v.flatten(this, startDim, endDim); }
  contiguous(): Tensor { return v.contiguous(this); }
  clone(): Tensor { return v.clone(this); }
  split(splitSize: number | readonly number[], dim?: number): Tensor[] { return join.split(this, splitSize, dim); }
  chunk(chunks: number, dim?: number): Tensor[] { return join.chunk(this, chunks, dim); }

  // ---- elementwise ------------------------------------------------------------------------

  add(other: Tensor | number, alpha?: number): Tensor { return bin.add(this, other, alpha); }
  sub(other: Tensor | number, alpha?: number): Tensor { return bin.sub(this, other, alpha); }
  mul(other: Tensor | number): Tensor { return bin.mul(this, other); }
  div(other: Tensor | number): Tensor { return bin.div(this, other); }
  pow(exponent: Tensor | number): Tensor { return bin.pow(this, exponent); }
  maximum(other: Tensor | number): Tensor { return bin.maximum(this, other); }
  minimum(other: Tensor | number): Tensor { return bin.minimum(this, other); }
  eq(other: Tensor | number): Tensor { return bin.eq(this, other); }
  ne(other: Tensor | number): Tensor { return bin.ne(this, other); }
  gt(other: Tensor | number): Tensor { return bin.gt(this, other); }
  ge(other: Tensor | number): Tensor { return bin.ge(this, other); }
  lt(other: Tensor | number): Tensor { return bin.lt(this, other); }
  le(other: Tensor | number): Tensor { return bin.le(this, other); }
  /** `where(condition, this, other)`, as PyTorch's `Tensor.where`. */
  where(condition: Tensor, other: Tensor | number): Tensor { return bin.where(condition, this, other); }
  neg(): Tensor { return un.neg(this); }
  exp(): Tensor { return un.exp(this); }
  log(): Tensor { return un.log(this); }
  sqrt(): Tensor { return un.sqrt(this); }
  rsqrt(): Tensor { return un.rsqrt(this); }
  abs(): Tensor { return un.abs(this); }
  sin(): Tensor { return un.sin(this); }
  cos(): Tensor { return un.cos(this); }
  tanh(): Tensor { return un.tanh(this); }
  sigmoid(): Tensor { return un.sigmoid(this); }
  relu(): Tensor { return un.relu(this); }
  sign(): Tensor { return un.sign(this); }
  erf(): Tensor { return un.erf(this); }
  log1p(): Tensor { return un.log1p(this); }
  expm1(): Tensor { return un.expm1(this); }
  reciprocal(): Tensor { return un.reciprocal(this); }
  square(): Tensor { return bin.mul(this, this); }
  floor(): Tensor { return un.floor(this); }
  ceil(): Tensor { return un.ceil(this); }
  round(): Tensor { return un.round(this); }
  clamp(min?: number | Tensor | null, max?: number | Tensor | null): Tensor { return act.clamp(this, min, max); }

  // ---- reductions -------------------------------------------------------------------------

  sum(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor { return red.sum(this, dim, keepdim); }
  mean(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor { return red.mean(this, dim, keepdim); }
  var(dim?: number | readonly number[] | null, opts?: red.VarOptions): Tensor { return red.variance(this, dim, opts); }
  std(dim?: number | readonly number[] | null, opts?: red.VarOptions): Tensor { return red.std(this, dim, opts); }
  amax(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor { return red.amax(this, dim, keepdim); }
  amin(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor { return red.amin(this, dim, keepdim); }
  max(): Tensor;
  max(dim: number, keepdim?: boolean): red.ValuesIndices;
  max(dim?: number, keepdim?: boolean): Tensor | red.ValuesIndices {
    return dim === undefined ? red.max(this) : red.max(this, dim, keepdim);
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): red.ValuesIndices;
  min(dim?: number, keepdim?: boolean): Tensor | red.ValuesIndices {
    return dim === undefined ? red.min(this) : red.min(this, dim, keepdim);
  }
  argmax(dim?: number, keepdim?: boolean): Tensor { return red.argmax(this, dim, keepdim); }
  argmin(dim?: number, keepdim?: boolean): Tensor { return red.argmin(this, dim, keepdim); }
  logsumexp(dim: number | readonly number[], keepdim?: boolean): Tensor { return red.logsumexp(this, dim, keepdim); }

  // ---- linear algebra, softmax, indexing ------------------------------------------------

  matmul(other: Tensor): Tensor { return mm.matmul(this, other); }
  bmm(other: Tensor): Tensor { return mm.bmm(this, other); }
  softmax(dim: number): Tensor { return sm.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return sm.logSoftmax(this, dim); }
  gather(dim: number, index: Tensor): Tensor { return idx.gather(this, dim, index); }
  indexSelect(dim: number, index: Tensor): Tensor { return idx.indexSelect(this, dim, index); }
}

// Every tensor says which copy of core made it, so another copy can tell "a Tensor from a second
// copy" from "not a Tensor" (copies.ts). On the prototype: no cost per tensor.
Object.defineProperty(Tensor.prototype, TENSOR_BRAND, { value: THIS_COPY });
