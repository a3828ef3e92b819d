import type { DType, TypedArray } from '../dtype.js';

/**
 * A block of elements owned by a backend. Tensors never touch it directly: they hand it
 * back to the backend that made it, inside a {@link TensorInfo}.
 */
export interface Storage {
  /** The backend that allocated it and runs kernels on it. */
  readonly backend: Backend;
  /** Element type of the data. */
  readonly dtype: DType;
  /** Number of elements (not bytes). */
  readonly size: number;
}

/** What a kernel receives for each tensor argument: storage plus the view laid over it. */
export interface TensorInfo {
  /** The storage the view reads. */
  readonly storage: Storage;
  /** Element type (the storage's). */
  readonly dtype: DType;
  /** Size of each dim of the view. */
  readonly shape: readonly number[];
  /** Elements to step in the storage per index of each dim (0 where broadcast). */
  readonly strides: readonly number[];
  /** Storage index of the view's first element. */
  readonly offset: number;
}

/** Elementwise one-input kernels. Each maps a strided input to a contiguous output. */
export type UnaryKernelName =
  | 'Neg' | 'Exp' | 'Log' | 'Sqrt' | 'Rsqrt' | 'Abs' | 'Sin' | 'Cos' | 'Tanh' | 'Sigmoid'
  | 'Relu' | 'Relu6' | 'Sign' | 'Erf' | 'Log1p' | 'Expm1' | 'Reciprocal' | 'Floor' | 'Ceil' | 'Round';

/** Elementwise two-input kernels; both inputs already have the output's shape (broadcast by views). */
export type BinaryKernelName =
  | 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow' | 'Maximum' | 'Minimum'
  | 'Eq' | 'Ne' | 'Gt' | 'Ge' | 'Lt' | 'Le';

/** Reductions over a set of axes (the `Reduce` kernel). */
export type ReduceKernelName = 'Sum' | 'Max' | 'Min' | 'Prod';

/**
 * Geometry of a 2-D convolution, NCHW, as the conv kernels receive it. The op layer computes it
 * once (`computeConv2dInfo` in ops/conv.ts, which also passes the full shapes); kernels read the
 * output size from here instead of recomputing it.
 */
export interface Conv2dParams {
  /** Stride: rows, columns. */
  readonly stride: readonly [number, number];
  /** Zero padding: top, bottom, left, right (asymmetric for 'same' with even kernels). */
  readonly padding: readonly [number, number, number, number];
  /** Spacing between kernel taps: rows, columns. */
  readonly dilation: readonly [number, number];
  /**
   * Channel groups: input and output channels are split into this many independent convolutions.
   */
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
/** Index-of-extremum reductions along one axis (the `ArgReduce` kernel). */
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

/** The name of a primitive kernel: every backend implements all of them. */
export type KernelName = keyof KernelSignatures;

/** The scalar settings of one Adam/AdamW step (PyTorch's rule; `step` counts from 1). */
export interface AdamScalars {
  /** Learning rate. */
  readonly lr: number;
  /** Decay of the first-moment (mean) estimate. */
  readonly beta1: number;
  /** Decay of the second-moment (uncentered variance) estimate. */
  readonly beta2: number;
  /** Added to the denominator for numerical stability. */
  readonly eps: number;
  /** Weight decay factor (L2 penalty, or decoupled decay with `decoupled`). */
  readonly weightDecay: number;
  /** AdamW: decay θ by (1 - lr·weightDecay) instead of adding weightDecay·θ to the gradient. */
  readonly decoupled: boolean;
  /** AMSGrad: divide by the running maximum of the second moment (kept in maxExpAvgSq). */
  readonly amsgrad: boolean;
  /** Ascend the objective: the gradient is negated. */
  readonly maximize: boolean;
  /** This step's number, from 1 (for the bias corrections). */
  readonly step: number;
}

/** The scalars of one SGD step (torch.optim.SGD's options, and whether the momentum buffer is new). */
export interface SgdScalars {
  /** Learning rate. */
  readonly lr: number;
  /** Momentum factor (0: plain SGD, no buffer). */
  readonly momentum: number;
  /** Dampening of the gradient added to the momentum buffer. */
  readonly dampening: number;
  /** L2 penalty added to the gradient. */
  readonly weightDecay: number;
  /** Nesterov momentum. */
  readonly nesterov: boolean;
  /** Ascend the objective: the gradient is negated. */
  readonly maximize: boolean;
  /** The buffer is set to the gradient (the first step with momentum) instead of updated. */
  readonly firstStep: boolean;
}

/** The activation a ChannelAffine kernel applies after its affine map. */
export type ChannelActivation = 'none' | 'relu' | 'relu6';

/**
 * Fused kernels: a chain of primitive work done in one or two passes. They are optional: the op
 * that uses one falls back to its composition of primitive kernels (its readable definition)
 * where a backend has none, so a new backend works without them. Parity tests compare each
 * backend's fused kernels with the reference backend's.
 */
export interface FusedKernelSignatures {
  /**
   * Training-mode batch normalization of x [N, C, ...] with the statistics of the batch:
   * y = (x - mean) / sqrt(var + eps) * weight + bias, with the per-channel mean and biased
   * variance over every dim but 1. weight and bias ([C]) may be null. Returns
   * [y (x's shape), mean [C], var [C], invStd [C] = 1 / sqrt(var + eps)], all of x's dtype.
   */
  BatchNormTrain: (x: TensorInfo, weight: TensorInfo | null, bias: TensorInfo | null, eps: number) => [Storage, Storage, Storage, Storage];
  /**
   * The gradients of BatchNormTrain for dy, given its mean and invStd: with x̂ = (x - mean) invStd
   * and g = dy * weight, dx = invStd (g - mean(g) - x̂ mean(g x̂)), dweight = Σ dy x̂, dbias = Σ dy.
   * Returns [dx, dweight [C], dbias [C]].
   */
  BatchNormTrainGrad: (dy: TensorInfo, x: TensorInfo, mean: TensorInfo, invStd: TensorInfo, weight: TensorInfo | null) => [Storage, Storage, Storage];
  /**
   * y = act(x * scale[c] + shift[c]) for x [N, C, ...] and per-channel scale and shift ([C];
   * scale null: 1), act none, relu or relu6: an eval-mode BatchNorm, or a convolution's bias
   * and activation, in one pass. For float32 the product is rounded to float32 before the sum
   * (as `x.mul(scale).add(shift)` does). Returns y (contiguous, x's dtype).
   */
  ChannelAffine: (x: TensorInfo, scale: TensorInfo | null, shift: TensorInfo, activation: ChannelActivation) => Storage;
  /**
   * dst += src in place, for dst contiguous and src of dst's shape and dtype in any layout (not
   * sharing dst's storage): how autograd sums the gradients flowing into one tensor without a
   * new array per contribution.
   */
  Accumulate: (dst: TensorInfo, src: TensorInfo) => void;
  /**
   * One Adam step in place: param, expAvg, expAvgSq (and maxExpAvgSq with amsgrad), all
   * contiguous, of one shape and dtype, with grad of that shape (any layout).
   */
  AdamStep: (param: TensorInfo, grad: TensorInfo, expAvg: TensorInfo, expAvgSq: TensorInfo, maxExpAvgSq: TensorInfo | null, s: AdamScalars) => void;
  /**
   * One SGD step in place: param and (with momentum) momentumBuffer, contiguous, of one shape
   * and dtype, with grad of that shape (any layout). Each intermediate is rounded to the dtype
   * where the rule written with tensor ops rounds it.
   */
  SgdStep: (param: TensorInfo, grad: TensorInfo, momentumBuffer: TensorInfo | null, s: SgdScalars) => void;
}

/** The name of an optional fused kernel. */
export type FusedKernelName = keyof FusedKernelSignatures;

/** Every kernel's signature, primitive and fused. */
export type AllKernelSignatures = KernelSignatures & FusedKernelSignatures;

/**
 * One implementation of every kernel of {@link KernelSignatures}: what `defineBackend` takes.
 * Being a mapped type over `KernelName`, a table that lacks a kernel (or has one with the wrong
 * signature) does not compile, so a backend cannot be defined half-finished.
 */
export type KernelTable = { readonly [K in KernelName]: KernelSignatures[K] } & { readonly [K in FusedKernelName]?: FusedKernelSignatures[K] };

/**
 * A backend owns storage and runs kernels on it. The CPU backend is the reference; a device
 * backend may keep data elsewhere and read it back asynchronously.
 */
export interface Backend {
  /** The name it is registered under. */
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
  /**
   * Called for the storage of a tensor that an outermost `tidy` returns, which from then on is
   * left to the garbage collector: the CPU backend moves it out of its wasm memory, where only
   * tensors with a managed lifetime live (cpu/wasm-heap.ts). Optional.
   */
  leaveScope?(storage: Storage): void;
  /**
   * Places a storage where the kernels read it in place for the rest of its life, whatever the
   * scope (`pinMemory`): the CPU backend copies it into its wasm memory once. Optional.
   */
  pin?(storage: Storage): void;
  /** Live-memory counters (bytes, storages, textures...), reported by `memory()`. */
  memory?(): Record<string, number | string>;
  /** Applies the options of `setBackend(name, options)` to an existing backend. */
  configure?(options: Record<string, unknown>): void;
}
