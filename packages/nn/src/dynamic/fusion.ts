/**
 * The two ways to compute a dynamic convolution, as plain functions of tensors. They are equal
 * by the linearity of convolution in the kernel:
 *
 *   sum_i eta_i (w_i * x) = (sum_i eta_i w_i) * x
 *
 * Output fusion evaluates the left side (every fixed kernel convolved, then mixed); kernel
 * fusion the right side (kernels mixed per image, then one convolution per image).
 *
 * Layout shared by both: weight [outC * g, C / groups, kh, kw], eta [N, outC * g], and kernel
 * i of output channel o is weight[o * g + i], its coefficient eta[n, o * g + i].
 */
import { cat, conv2d, type Conv2dOptions, type Tensor } from '@dynconv/core';

/** How kernel fusion runs the per-image convolutions. */
export type KernelFusionVariant =
  /** One grouped convolution over the whole batch (the batch folded into the groups). */
  | 'batched'
  /** One convolution per image, then `cat`. */
  | 'loop';

function check(op: string, x: Tensor, weight: Tensor, eta: Tensor, groupSize: number): { N: number; K: number; outC: number } {
  if (x.ndim !== 4 || weight.ndim !== 4 || eta.ndim !== 2) {
    throw new Error(`${op}: expects x [N, C, H, W], weight [outC * g, C / groups, kh, kw] and eta [N, outC * g], got x [${x.shape.join(', ')}], weight [${weight.shape.join(', ')}], eta [${eta.shape.join(', ')}]`);
  }
  const N = x.shape[0]!;
  const K = weight.shape[0]!;
  if (!Number.isInteger(groupSize) || groupSize < 1 || K % groupSize !== 0) {
    throw new Error(`${op}: groupSize ${groupSize} must be a positive integer dividing the ${K} kernels of weight [${weight.shape.join(', ')}]`);
  }
  if (eta.shape[0] !== N || eta.shape[1] !== K) {
    throw new Error(`${op}: eta must have shape [${N}, ${K}] (one coefficient per image and kernel), got [${eta.shape.join(', ')}]`);
  }
  return { N, K, outC: K / groupSize };
}

/**
 * Output fusion (DyNet's training path): one batched convolution with all `outC * g` fixed
 * kernels, each output channel scaled by its image's coefficient, each group of g summed.
 * Returns [N, outC, Ho, Wo] (no bias).
 *
 * The scale-and-sum is one batched matmul, `eta [N, outC, 1, g] @ y [N, outC, g, Ho*Wo]`: a
 * single pass over the convolution's output. On the CPU it measured many times faster, forward
 * and backward, than a broadcast `mul` followed by `sum(2)`, which also materialises the
 * scaled copy (the paths' current figures: docs/dynamic-conv.md, "Measured", and
 * docs/benchmarks.md).
 */
export function outputFusionConv2d(x: Tensor, weight: Tensor, eta: Tensor, groupSize: number, opts: Conv2dOptions = {}): Tensor {
  const { N, outC } = check('outputFusionConv2d', x, weight, eta, groupSize);
  const y = conv2d(x, weight, null, opts);
  const [, , Ho, Wo] = y.shape as [number, number, number, number];
  return eta.reshape([N, outC, 1, groupSize]).matmul(y.reshape([N, outC, groupSize, Ho * Wo])).reshape([N, outC, Ho, Wo]);
}

/**
 * The per-image fused kernels `w~[n, o] = sum_i eta[n, o*g + i] * weight[o*g + i]`, as one
 * batched matmul: [N, outC, C / groups, kh, kw].
 *
 * The batch runs over output channels, `eta[:, o, :] [N, g] @ weight[o] [g, C/groups*kh*kw]`,
 * rather than over (image, channel) pairs (`eta [N, outC, 1, g] @ weight [outC, g, ...]` with
 * the weight broadcast over N): same multiply-adds, but outC GEMMs of N rows instead of
 * N * outC GEMMs of one row, and the weight's gradient is contracted over the images inside
 * each GEMM instead of being materialised per image ([N, outC, g, ...]) and summed after.
 * Measured several times faster on the benchmark layer at batch 32, forward and with backward
 * (`pnpm bench:dynamic`; figures in docs/dynamic-conv.md, "Measured").
 */
export function fuseKernels(weight: Tensor, eta: Tensor, groupSize: number): Tensor {
  const [K, Cg, kh, kw] = weight.shape as [number, number, number, number];
  const N = eta.shape[0]!;
  const outC = K / groupSize;
  const mixed = eta.reshape([N, outC, groupSize]).permute([1, 0, 2]).matmul(weight.reshape([outC, groupSize, Cg * kh * kw])); // [outC, N, Cg*kh*kw]
  return mixed.permute([1, 0, 2]).reshape([N, outC, Cg, kh, kw]);
}

/**
 * Kernel fusion (DyNet's inference path): fuse each image's kernels ({@link fuseKernels}), then
 * convolve each image with its own `outC` kernels. Returns [N, outC, Ho, Wo] (no bias).
 *
 * `'batched'` (the default) folds the batch into the convolution's groups: x viewed
 * [1, N * C, H, W], kernels [N * outC, C / groups, kh, kw], `groups = N * groups`, so the whole
 * batch is one conv2d call. `'loop'` calls conv2d once per image and concatenates.
 */
export function kernelFusionConv2d(x: Tensor, weight: Tensor, eta: Tensor, groupSize: number, opts: Conv2dOptions = {}, variant: KernelFusionVariant = 'batched'): Tensor {
  const { N, outC } = check('kernelFusionConv2d', x, weight, eta, groupSize);
  const [, C, H, W] = x.shape as [number, number, number, number];
  const [, Cg, kh, kw] = weight.shape as [number, number, number, number];
  const fused = fuseKernels(weight, eta, groupSize);
  const groups = opts.groups ?? 1;
  if (variant === 'loop') {
    const per = Array.from({ length: N }, (_, n) => conv2d(x.narrow(0, n, 1), fused.select(0, n), null, opts));
    return N === 1 ? per[0]! : cat(per, 0);
  }
  const y = conv2d(x.reshape([1, N * C, H, W]), fused.reshape([N * outC, Cg, kh, kw]), null, { ...opts, groups: N * groups });
  return y.reshape([N, outC, y.shape[2]!, y.shape[3]!]);
}
