/**
 * Correlations read off tensors: feature maps [N, C, H, W] (channels correlated over images and
 * positions together, as the paper does), and kernels [K, ...] (each kernel flattened into one
 * vector, kernels correlated with each other).
 */
import { noGrad, type Tensor, tensor } from '@dynconv/core';
import { CONSTANT_TOLERANCE, CorrelationAccumulator, type CorrelationPairs } from './correlation.js';

/** A tensor's values in logical (row-major) order. */
function values(t: Tensor): ArrayLike<number> {
  return t.contiguous().dataSync();
}

/**
 * Adds feature maps [N, C, H, W] to an accumulator of C variables: each channel's map,
 * flattened, is H*W observations per image, and images add more observations (so r pools
 * images and positions). Returns the accumulator (a new one when none is given).
 *
 * The moments come from one matrix product per call, `D Dᵀ` with D the maps viewed as
 * [C, N*H*W] minus the accumulator's shift, in the maps' dtype (float32 maps: float32 products
 * over N*H*W terms, about 1e-6 relative, then summed in float64 across calls).
 */
export function accumulateFeatureMaps(maps: Tensor, acc?: CorrelationAccumulator): CorrelationAccumulator {
  if (maps.ndim !== 4) throw new RangeError(`accumulateFeatureMaps: expects feature maps [N, C, H, W], got [${maps.shape.join(', ')}]`);
  const [N, C, H, W] = maps.shape as [number, number, number, number];
  const a = acc ?? new CorrelationAccumulator(C);
  if (a.variables !== C) throw new RangeError(`accumulateFeatureMaps: the accumulator has ${a.variables} variables, the maps ${C} channels`);
  return noGrad(() => {
    const x = maps.permute([1, 0, 2, 3]).reshape([C, N * H * W]);
    if (a.count === 0) a.setShift(x.mean(1).dataSync());
    const d = x.sub(tensor(Float64Array.from(a.shift), { dtype: maps.dtype }).reshape([C, 1]));
    return a.addMoments(N * H * W, d.sum(1).dataSync(), d.matmul(d.transpose(0, 1)).dataSync());
  });
}

/** Every pair's r among the channels of feature maps [N, C, H, W], and how many channels were constant. */
export function featureMapCorrelations(maps: Tensor): CorrelationPairs {
  return accumulateFeatureMaps(maps).pairs();
}

/**
 * Every pair's r among K kernels: `weight` [K, ...] (a conv weight [K, C/groups, kh, kw]), each
 * kernel flattened into one vector of its C/groups*kh*kw weights.
 */
export function kernelCorrelations(weight: Tensor): CorrelationPairs {
  if (weight.ndim < 2) throw new RangeError(`kernelCorrelations: expects kernels [K, ...], got [${weight.shape.join(', ')}]`);
  const K = weight.shape[0]!;
  const length = weight.numel() / K;
  if (length < 2) throw new RangeError(`kernelCorrelations: a kernel needs at least two weights to correlate, got shape [${weight.shape.join(', ')}]`);
  return new CorrelationAccumulator(K).add(values(weight), length).pairs();
}

/**
 * Per-image kernels [N, K, ...] (a dynamic layer's mixed kernels): the pairs' r within each
 * image, pooled over the first `maxImages` images (all by default), and the number of constant
 * kernels summed over those images. One batched matrix product gives every image's Gram matrix
 * of its centred kernels.
 */
export function perImageKernelCorrelations(kernels: Tensor, maxImages = Infinity): CorrelationPairs {
  if (kernels.ndim < 3) throw new RangeError(`perImageKernelCorrelations: expects per-image kernels [N, K, ...], got [${kernels.shape.join(', ')}]`);
  const [N0, K] = kernels.shape as [number, number];
  const N = Math.min(N0, maxImages);
  const length = kernels.numel() / (N0 * K);
  if (length < 2) throw new RangeError(`perImageKernelCorrelations: a kernel needs at least two weights to correlate, got shape [${kernels.shape.join(', ')}]`);
  const { gram, squares } = noGrad(() => {
    const x = kernels.narrow(0, 0, N).reshape([N, K, length]);
    const d = x.sub(x.mean(2, true));
    return { gram: d.matmul(d.transpose(1, 2)).dataSync(), squares: x.mul(x).sum(2).dataSync() };
  });
  const out: number[] = [];
  let constant = 0;
  const tol2 = CONSTANT_TOLERANCE * CONSTANT_TOLERANCE;
  for (let n = 0; n < N; n++) {
    const o = n * K * K;
    const isConstant = Array.from({ length: K }, (_, i) => gram[o + i * K + i]! <= tol2 * squares[n * K + i]!);
    constant += isConstant.filter(Boolean).length;
    for (let i = 0; i < K; i++) {
      if (isConstant[i]) continue;
      for (let j = i + 1; j < K; j++) {
        if (isConstant[j]) continue;
        out.push(Math.max(-1, Math.min(1, gram[o + i * K + j]! / Math.sqrt(gram[o + i * K + i]! * gram[o + j * K + j]!))));
      }
    }
  }
  return { values: Float64Array.from(out), constant };
}
