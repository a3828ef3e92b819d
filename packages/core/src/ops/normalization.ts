/**
 * Normalization layers as functions (batch, layer and group norm), NCHW. Each normalises with
 * a mean and a biased variance written with differentiable ops, so gradients of every order
 * flow through the statistics without a hand-written backward.
 */
import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import { record } from '../autograd/record.js';
import { hasKernel, runKernel } from '../backend/registry.js';
import { fmt, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { copyInto } from './inplace.js';
import { mean, sum } from './reduce.js';
import { relu, rsqrt } from './unary.js';
import { relu6 } from './activation.js';
import type { ChannelActivation } from '../backend/backend.js';
import { checkFloating, checkTensor, commonBackend, wrap } from './util.js';

export type { ChannelActivation };

/**
 * y = act(x * scale[c] + shift[c]) for x [N, C, ...] and per-channel scale and shift ([C];
 * scale null: 1): an eval-mode batch norm, or a convolution's bias and activation. Where
 * nothing needs a gradient and the backend has the ChannelAffine kernel, one pass; otherwise
 * the same arithmetic as ops (`relu(x.mul(scale).add(shift))`), which autograd differentiates.
 */
export function channelAffine(x: Tensor, scale: Tensor | null, shift: Tensor, activation: ChannelActivation = 'none'): Tensor {
  const op = 'channelAffine';
  checkTensor(op, 'x', x);
  checkFloating(op, 'x', x);
  if (x.ndim < 2) throw new Error(`${op}: expects x of shape [N, C, ...] (at least 2 dims), got ${fmt(x.shape)}`);
  if (activation !== 'none' && activation !== 'relu' && activation !== 'relu6') {
    throw new Error(`${op}: activation must be 'none', 'relu' or 'relu6', got ${JSON.stringify(activation)}`);
  }
  const s = perChannel(op, 'scale', scale, x);
  const b = perChannel(op, 'shift', shift, x);
  if (!b) throw new Error(`${op}: shift must be a tensor of shape [${x.shape[1]}]`);
  commonBackend(op, scale ? [x, scale, shift] : [x, shift]);
  const needsGrad = isGradEnabled() && [x, scale, shift].some((t) => t?.requiresGrad);
  const sameDtype = [scale, shift].every((t) => !t || t.dtype === x.dtype);
  if (!needsGrad && sameDtype && hasKernel(x.backend, 'ChannelAffine')) {
    return wrap(runKernel(x.backend, 'ChannelAffine', x, scale, shift, activation), x.shape);
  }
  const y = (s ? x.mul(s) : x).add(b);
  return activation === 'relu' ? relu(y) : activation === 'relu6' ? relu6(y) : y;
}

/** (x - mean) / sqrt(var + eps) over `axes`, with the biased variance, as every norm here uses. */
function standardize(x: Tensor, axes: number[], eps: number): { y: Tensor; mean: Tensor; var: Tensor } {
  const m = mean(x, axes, true);
  const c = x.sub(m);
  const v = mean(c.mul(c), axes, true);
  return { y: c.mul(rsqrt(v.add(eps))), mean: m, var: v };
}

function checkNumber(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}

/** An optional per-channel tensor ([C]): checked, then shaped [1, C, 1, ...] to broadcast over x. */
function perChannel(op: string, name: string, t: Tensor | null | undefined, x: Tensor): Tensor | null {
  if (t === null || t === undefined) return null;
  checkTensor(op, name, t);
  checkFloating(op, name, t);
  const c = x.shape[1]!;
  if (t.ndim !== 1 || t.shape[0] !== c) {
    throw new Error(`${op}: ${name} must have shape [${c}] (one value per channel of x ${fmt(x.shape)}), got ${fmt(t.shape)}`);
  }
  return t.reshape(x.shape.map((d, i) => (i === 1 ? d : 1)));
}

function affine(y: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor {
  const scaled = weight ? y.mul(weight) : y;
  return bias ? scaled.add(bias) : scaled;
}

/** Writes into a running-statistics buffer without touching the tape. */
function updateInPlace(op: string, name: string, dst: Tensor, value: Tensor): void {
  try {
    copyInto(dst, value);
  } catch (e) {
    throw new Error(`${op}: cannot update ${name} in place: ${(e as Error).message}`);
  }
}

/**
 * Batch normalization of x [N, C, ...] per channel, as `torch.nn.functional.batch_norm`.
 *
 * In training mode x is normalised with the batch mean and the biased batch variance over
 * every dim but 1, and `runningMean` / `runningVar` (when given) are updated in place, off the
 * tape: `running = (1 - momentum) * running + momentum * batchStat`, with the *unbiased* batch
 * variance for `runningVar`. In eval mode the running statistics are used instead (both must
 * be given). `weight` and `bias` ([C]) scale and shift the result.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  training = false,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  const op = 'batchNorm';
  checkTensor(op, 'x', x);
  checkFloating(op, 'x', x);
  if (x.ndim < 2) throw new Error(`${op}: expects x of shape [N, C, ...] (at least 2 dims), got ${fmt(x.shape)}`);
  checkNumber(op, 'momentum', momentum);
  checkNumber(op, 'eps', eps);
  const rm = perChannel(op, 'runningMean', runningMean, x);
  const rv = perChannel(op, 'runningVar', runningVar, x);
  const w = perChannel(op, 'weight', weight, x);
  const b = perChannel(op, 'bias', bias, x);
  commonBackend(op, [x, ...[runningMean, runningVar, weight, bias].filter((t): t is Tensor => !!t)]);
  const axes = x.shape.flatMap((_, i) => (i === 1 ? [] : [i]));
  const n = sizeOf(axes.map((a) => x.shape[a]!));

  if (!training) {
    if (!rm || !rv) throw new Error(`${op}: runningMean and runningVar must be given in eval mode (training=false)`);
    // Per-channel scale and shift first (C values), then two passes over x instead of four.
    const scale = w ? rsqrt(rv.add(eps)).mul(w) : rsqrt(rv.add(eps));
    const shift = b ? b.sub(rm.mul(scale)) : rm.mul(scale).neg();
    const C = [x.shape[1]!];
    return channelAffine(x, scale.reshape(C), shift.reshape(C));
  }
  if (n <= 1) throw new Error(`${op}: expected more than 1 value per channel when training, got input of shape ${fmt(x.shape)}`);
  // The fused kernels take weight and bias of x's dtype; mixed dtypes promote through the ops.
  const fused = [weight, bias].every((t) => !t || t.dtype === x.dtype) && hasKernel(x.backend, 'BatchNormTrain') && hasKernel(x.backend, 'BatchNormTrainGrad');
  const { y, mean: m, var: v } = fused ? batchNormTrain(x, weight, bias, eps, axes) : standardizeAffine(x, axes, eps, w, b);
  const c = [x.shape[1]!];
  noGrad(() => {
    if (runningMean) updateInPlace(op, 'runningMean', runningMean, runningMean.mul(1 - momentum).add(m.reshape(c).mul(momentum)));
    // PyTorch keeps the unbiased (n - 1) variance in the running estimate.
    if (runningVar) updateInPlace(op, 'runningVar', runningVar, runningVar.mul(1 - momentum).add(v.reshape(c).mul((momentum * n) / (n - 1))));
  });
  return y;
}

/** Training-mode batch norm written with ops: the readable definition, and the mixed-dtype path. */
function standardizeAffine(x: Tensor, axes: number[], eps: number, w: Tensor | null, b: Tensor | null): { y: Tensor; mean: Tensor; var: Tensor } {
  const { y, mean: m, var: v } = standardize(x, axes, eps);
  return { y: affine(y, w, b), mean: m, var: v };
}

/**
 * Training-mode batch norm through the fused kernels: one kernel computes y and the batch
 * statistics, and the first-order backward is one more. When the backward itself is recorded
 * (createGraph), the gradient is written with ops instead, recomputing the statistics from x,
 * so that it can be differentiated again. Both give the gradient of the same function:
 * with x̂ = (x - mean) / sqrt(var + eps) and g = dy * weight,
 *   dx = (g - mean(g) - x̂ mean(g x̂)) / sqrt(var + eps),  dweight = Σ dy x̂,  dbias = Σ dy.
 */
function batchNormTrain(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number, axes: number[]): { y: Tensor; mean: Tensor; var: Tensor } {
  const backend = x.backend;
  const [ys, ms, vs, is] = runKernel(backend, 'BatchNormTrain', x, weight, bias, eps);
  const C = x.shape[1]!;
  const m = wrap(ms, [C]);
  const v = wrap(vs, [C]);
  const invStd = wrap(is, [C]);
  const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
  const y = record('batchNorm', wrap(ys, x.shape), inputs, (dy) => {
    let dx: Tensor;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (!isGradEnabled()) {
      const [dxs, dws, dbs] = runKernel(backend, 'BatchNormTrainGrad', dy, x, m, invStd, weight);
      dx = wrap(dxs, x.shape);
      dw = wrap(dws, [C]);
      db = wrap(dbs, [C]);
    } else {
      const w = perChannel('batchNorm', 'weight', weight, x);
      const { y: xhat, var: batchVar } = standardize(x, axes, eps);
      const inv = rsqrt(batchVar.add(eps));
      const g = w ? dy.mul(w) : dy;
      dx = inv.mul(g.sub(mean(g, axes, true)).sub(xhat.mul(mean(g.mul(xhat), axes, true))));
      dw = sum(dy.mul(xhat), axes);
      db = sum(dy, axes);
    }
    const grads: (Tensor | null)[] = [dx];
    if (weight) grads.push(dw);
    if (bias) grads.push(db);
    return grads;
  });
  return { y, mean: m, var: v };
}

/**
 * Layer normalization over the trailing dims given by `normalizedShape`, as
 * `torch.nn.functional.layer_norm`; `weight` and `bias` have exactly `normalizedShape`.
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  const op = 'layerNorm';
  checkTensor(op, 'x', x);
  checkFloating(op, 'x', x);
  checkNumber(op, 'eps', eps);
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: normalizedShape must be a non-empty list of non-negative integers, got ${JSON.stringify(normalizedShape)}`);
  }
  const k = shape.length;
  const lead = x.ndim - k;
  if (lead < 0 || shape.some((d, i) => x.shape[lead + i] !== d)) {
    throw new Error(`${op}: normalizedShape ${fmt(shape)} must match the trailing dims of x, got x of shape ${fmt(x.shape)}`);
  }
  const params = [weight, bias].map((t, i) => {
    const name = i === 0 ? 'weight' : 'bias';
    if (t === null || t === undefined) return null;
    checkTensor(op, name, t);
    checkFloating(op, name, t);
    if (t.ndim !== k || t.shape.some((d, j) => d !== shape[j])) {
      throw new Error(`${op}: ${name} must have normalizedShape ${fmt(shape)}, got ${fmt(t.shape)}`);
    }
    return t;
  });
  commonBackend(op, [x, ...params.filter((t): t is Tensor => !!t)]);
  const axes = shape.map((_, i) => lead + i);
  // Trailing-dim parameters broadcast against x by NumPy rules, no reshape needed.
  return affine(standardize(x, axes, eps).y, params[0]!, params[1]!);
}

/**
 * Group normalization of x [N, C, ...]: the C channels are split into `numGroups` groups and
 * each (sample, group) is normalised over its channels and spatial positions, as
 * `torch.nn.functional.group_norm`; `weight` and `bias` ([C]) are per channel.
 */
export function groupNorm(x: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  const op = 'groupNorm';
  checkTensor(op, 'x', x);
  checkFloating(op, 'x', x);
  checkNumber(op, 'eps', eps);
  if (x.ndim < 2) throw new Error(`${op}: expects x of shape [N, C, ...] (at least 2 dims), got ${fmt(x.shape)}`);
  const [n, c] = x.shape as [number, number];
  if (!Number.isInteger(numGroups) || numGroups < 1) throw new Error(`${op}: numGroups must be a positive integer, got ${numGroups}`);
  if (c % numGroups !== 0) {
    throw new Error(`${op}: the number of channels must be divisible by numGroups, got x of shape ${fmt(x.shape)} (${c} channels) and numGroups=${numGroups}`);
  }
  const w = perChannel(op, 'weight', weight, x);
  const b = perChannel(op, 'bias', bias, x);
  commonBackend(op, [x, ...[weight, bias].filter((t): t is Tensor => !!t)]);
  const perGroup = (c / numGroups) * sizeOf(x.shape.slice(2));
  // F.group_norm's batch-size check: a single sample whose groups hold one value each is refused.
  if (n * perGroup === 1) {
    throw new Error(`${op}: expected more than 1 value per group, got x of shape ${fmt(x.shape)} with numGroups=${numGroups} (one value per group and a batch of 1)`);
  }
  const grouped = x.reshape([n, numGroups, perGroup]);
  return affine(standardize(grouped, [2], eps).y.reshape(x.shape), w, b);
}

/**
 * Instance normalisation (`torch.nn.functional.instance_norm`): each sample's channel is
 * standardised over its own spatial positions, x [N, C, ...] with at least one spatial dim.
 * With `useInputStats` (default) the instance statistics are used, and running statistics, when
 * given, move towards their mean over the batch by `momentum`; without it the running
 * statistics are used, as batchNorm's eval mode.
 *
 * As in PyTorch it is batchNorm over x viewed as [1, N * C, ...], with the per-channel tensors
 * repeated N times (the repeats are averaged back into the running statistics).
 */
export function instanceNorm(
  x: Tensor,
  runningMean: Tensor | null = null,
  runningVar: Tensor | null = null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  useInputStats = true,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  const op = 'instanceNorm';
  checkTensor(op, 'x', x);
  checkFloating(op, 'x', x);
  if (x.ndim < 3) throw new Error(`${op}: expects x of shape [N, C, ...] with at least one spatial dim, got ${fmt(x.shape)}`);
  const [n, c] = x.shape as [number, number];
  [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight], ['bias', bias]].forEach(([name, t]) => perChannel(op, name as string, t as Tensor | null, x));
  if (useInputStats && sizeOf(x.shape.slice(2)) <= 1) {
    throw new Error(`${op}: expected more than 1 spatial element when using input statistics, got x of shape ${fmt(x.shape)}`);
  }
  if (!useInputStats && (!runningMean || !runningVar)) throw new Error(`${op}: runningMean and runningVar must be given when useInputStats is false`);
  // [C] -> [N * C], sample-major like x's reshape. The running statistics' repeats are copies
  // (a reshape of the expansion can be a stride-0 view), so batchNorm's update lands in them.
  const repeat = (t: Tensor | null) => (t ? t.unsqueeze(0).expand([n, c]).reshape([n * c]) : null);
  const rm = noGrad(() => repeat(runningMean)?.clone() ?? null);
  const rv = noGrad(() => repeat(runningVar)?.clone() ?? null);
  const y = batchNorm(x.reshape([1, n * c, ...x.shape.slice(2)]), rm, rv, repeat(weight), repeat(bias), useInputStats, momentum, eps);
  if (useInputStats && runningMean && rm) noGrad(() => runningMean.copy_(mean(rm.reshape([n, c]), 0)));
  if (useInputStats && runningVar && rv) noGrad(() => runningVar.copy_(mean(rv.reshape([n, c]), 0)));
  return y.reshape(x.shape);
}
