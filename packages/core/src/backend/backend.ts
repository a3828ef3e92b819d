import type { DType, TypedArray } from '../dtype.js';

/**
 * A block of elements owned by a backend. Tensors never touch it directly: they hand it
 * back to the backend that made it, inside a {@link TensorInfo}.
 */
export interface Storage {
  readonly backend: Backend;
  readonly dtype: DType;
  readonly size: number;
}

/** What a kernel receives for each tensor argument: storage plus the view laid over it. */
export interface TensorInfo {
  readonly storage: Storage;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** Elementwise one-input kernels. Each maps a strided input to a contiguous output. */
export type UnaryKernelName =
  | 'Neg' | 'Exp' | 'Log' | 'Sqrt' | 'Rsqrt' | 'Abs' | 'Sin' | 'Cos' | 'Tanh' | 'Sigmoid'
  | 'Relu' | 'Sign' | 'Erf' | 'Log1p' | 'Expm1' | 'Reciprocal' | 'Floor' | 'Ceil' | 'Round';

/** Elementwise two-input kernels; both inputs already have the output's shape (broadcast by views). */
export type BinaryKernelName =
  | 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow' | 'Maximum' | 'Minimum'
  | 'Eq' | 'Ne' | 'Gt' | 'Ge' | 'Lt' | 'Le';

export type ReduceKernelName = 'Sum' | 'Max' | 'Min' | 'Prod';

/**
 * Geometry of a 2-D convolution, NCHW, as the conv kernels receive it. The op layer computes it
 * once (`computeConv2dInfo` in ops/conv.ts, which also passes the full shapes); kernels read the
 * output size from here instead of recomputing it.
 */
export interface Conv2dParams {
  readonly stride: readonly [number, number];
  /** Zero padding: top, bottom, left, right (asymmetric for 'same' with even kernels). */
  readonly padding: readonly [number, number, number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
  /**
   * Output height Ho: the conv's output, and dy's height in the two backprop kernels. Normally
   * floor((H + pt + pb - dh * (kh - 1) - 1) / sh) + 1; for a transposed convolution whose
   * outputPadding is at least the stride it is smaller (the rows the formula adds are cut off).
   */
  readonly outHeight: number;
  /** Output width Wo, as {@link Conv2dParams.outHeight}. */
  readonly outWidth: number;
}
export type ArgReduceKernelName = 'ArgMax' | 'ArgMin';

/**
 * The primitive kernels every backend implements. Ops validate arguments, then call these
 * by name; everything else (softmax, losses, pooling...) is composed from them.
 * Outputs are freshly allocated contiguous storages unless the kernel says otherwise.
 */
export interface KernelSignatures {
  /** Elementwise map; `outDtype` is the input's dtype except for casts done by the op. */
  Unary: (name: UnaryKernelName, x: TensorInfo, outDtype: DType) => Storage;
  /** Elementwise a ∘ b; a and b share the output shape (stride 0 where broadcast). */
  Binary: (name: BinaryKernelName, a: TensorInfo, b: TensorInfo, outDtype: DType) => Storage;
  /** cond ? a : b, all three already of the output shape. */
  Where: (cond: TensorInfo, a: TensorInfo, b: TensorInfo, outDtype: DType) => Storage;
  /** Reduces over `axes` (sorted); the output drops those axes. */
  Reduce: (name: ReduceKernelName, x: TensorInfo, axes: readonly number[], outDtype: DType) => Storage;
  /** Index (int32) of the largest/smallest element along `axis`; the first one on ties. */
  ArgReduce: (name: ArgReduceKernelName, x: TensorInfo, axis: number) => Storage;
  /** Batched matmul: a [...B, M, K] and b [...B, K, N] with equal batch dims give [...B, M, N]. */
  MatMul: (a: TensorInfo, b: TensorInfo, outDtype: DType) => Storage;
  /** A contiguous copy of a strided view, converted to `outDtype`. */
  Copy: (x: TensorInfo, outDtype: DType) => Storage;
  /** Writes `src` (already of dst's shape) into the view `dst`, in place. */
  Assign: (dst: TensorInfo, src: TensorInfo) => void;
  /** A new storage of `size` elements all equal to `value`. */
  Fill: (size: number, value: number, dtype: DType) => Storage;
  /** out[p] = x[p with dim replaced by index[p]]; the output has index's shape. */
  Gather: (x: TensorInfo, dim: number, index: TensorInfo) => Storage;
  /** A copy of `base` with src[p] added at (p with dim replaced by index[p]), for p over index's shape. */
  ScatterAdd: (base: TensorInfo, dim: number, index: TensorInfo, src: TensorInfo) => Storage;
  /** Convolution: x [N, C, H, W] and weight [K, C/groups, kh, kw] give [N, K, Ho, Wo]. */
  Conv2d: (x: TensorInfo, weight: TensorInfo, p: Conv2dParams) => Storage;
  /** The adjoint of Conv2d in x (transposed convolution): dy [N, K, Ho, Wo] gives dx of `inputShape`. */
  Conv2dBackpropInput: (dy: TensorInfo, weight: TensorInfo, inputShape: readonly number[], p: Conv2dParams) => Storage;
  /** The adjoint of Conv2d in the weight: x and dy give dw of `filterShape`. */
  Conv2dBackpropFilter: (x: TensorInfo, dy: TensorInfo, filterShape: readonly number[], p: Conv2dParams) => Storage;
  /**
   * Max-pooling windows: for x [N, C, H, W], output (i, j) looks at rows `rows[i]` and columns
   * `cols[j]` (in-range input positions). Returns int32 [N, C, rows.length, cols.length] holding
   * the flat position h * W + w of each window's maximum (the first one on ties; NaN wins).
   */
  PoolArgMax: (x: TensorInfo, rows: readonly (readonly number[])[], cols: readonly (readonly number[])[]) => Storage;
}

export type KernelName = keyof KernelSignatures;

/**
 * One implementation of every kernel of {@link KernelSignatures}: what `defineBackend` takes.
 * Being a mapped type over `KernelName`, a table that lacks a kernel (or has one with the wrong
 * signature) does not compile, so a backend cannot be defined half-finished.
 */
export type KernelTable = { readonly [K in KernelName]: KernelSignatures[K] };

/**
 * A backend owns storage and runs kernels on it. The CPU backend is the reference; a device
 * backend may keep data elsewhere and read it back asynchronously.
 */
export interface Backend {
  readonly name: string;
  /** Uploads host data (already of the storage's dtype) into a new storage. */
  fromArray(dtype: DType, data: TypedArray): Storage;
  /** Reads a whole storage back synchronously. The returned array must not be mutated. */
  readSync(storage: Storage): TypedArray;
  /** Reads a whole storage back; a device backend may wait for its queue here. */
  read(storage: Storage): Promise<TypedArray>;
  /**
   * Releases device memory early; optional because garbage collection handles host memory.
   * Called once per storage, when the last tensor viewing it is disposed (see `memory.ts`).
   */
  dispose?(storage: Storage): void;
  /** Live-memory counters (bytes, storages, textures...), reported by `memory()`. */
  memory?(): Record<string, number | string>;
  /** Applies the options of `setBackend(name, options)` to an existing backend. */
  configure?(options: Record<string, unknown>): void;
}
