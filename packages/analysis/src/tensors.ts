/**
 * Correlations read off tensors: feature maps [N, C, H, W] (channels correlated over images and
 * positions together, as the paper does), and kernels [K, ...] (each kernel flattened into one
 * vector, kernels correlated with each other).
 */
import type { Tensor } from '@dynconv/core';
import { CorrelationAccumulator } from './correlation.js';

/** A tensor's values in logical (row-major) order. */
function values(t: Tensor): ArrayLike<number> {
  return t.contiguous().dataSync();
}

/**
 * Adds feature maps [N, C, H, W] to an accumulator of C variables: each channel's map,
 * flattened, is H*W observations per image, and images add more observations (so r pools
 * images and positions). Returns the accumulator (a new one when none is given).
 */
export function accumulateFeatureMaps(maps: Tensor, acc?: CorrelationAccumulator): CorrelationAccumulator {
  if (maps.ndim !== 4) throw new RangeError(`accumulateFeatureMaps: expects feature maps [N, C, H, W], got [${maps.shape.join(', ')}]`);
  const [N, C, H, W] = maps.shape as [number, number, number, number];
  const a = acc ?? new CorrelationAccumulator(C);
  if (a.variables !== C) throw new RangeError(`accumulateFeatureMaps: the accumulator has ${a.variables} variables, the maps ${C} channels`);
  const data = values(maps);
  for (let n = 0; n < N; n++) a.add(data, H * W, n * C * H * W);
  return a;
}

/** Every pair's r among the channels of feature maps [N, C, H, W], and how many channels were constant. */
export function featureMapCorrelations(maps: Tensor): { values: Float64Array; constant: number } {
  return accumulateFeatureMaps(maps).pairs();
}

/**
 * Every pair's r among K kernels: `weight` [K, ...] (a conv weight [K, C/groups, kh, kw]), each
 * kernel flattened into one vector of its C/groups*kh*kw weights.
 */
export function kernelCorrelations(weight: Tensor): { values: Float64Array; constant: number } {
  if (weight.ndim < 2) throw new RangeError(`kernelCorrelations: expects kernels [K, ...], got [${weight.shape.join(', ')}]`);
  const K = weight.shape[0]!;
  const length = weight.numel() / K;
  if (length < 2) throw new RangeError(`kernelCorrelations: a kernel needs at least two weights to correlate, got shape [${weight.shape.join(', ')}]`);
  return new CorrelationAccumulator(K).add(values(weight), length).pairs();
}

/**
 * Per-image kernels [N, K, ...] (a dynamic layer's mixed kernels): the pairs' r within each
 * image, pooled over the first `maxImages` images (all by default), and the number of constant
 * kernels summed over those images.
 */
export function perImageKernelCorrelations(kernels: Tensor, maxImages = Infinity): { values: Float64Array; constant: number } {
  if (kernels.ndim < 3) throw new RangeError(`perImageKernelCorrelations: expects per-image kernels [N, K, ...], got [${kernels.shape.join(', ')}]`);
  const [N, K] = kernels.shape as [number, number];
  const length = kernels.numel() / (N * K);
  const data = values(kernels);
  const parts: Float64Array[] = [];
  let constant = 0;
  for (let n = 0; n < Math.min(N, maxImages); n++) {
    const p = new CorrelationAccumulator(K).add(data, length, n * K * length).pairs();
    parts.push(p.values);
    constant += p.constant;
  }
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { values: out, constant };
}
