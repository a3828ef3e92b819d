/**
 * Inference-time fusion (PyTorch's `torch.ao.quantization.fuse_modules`): a BatchNorm in eval
 * mode is a per-channel affine map, so it folds into the convolution before it,
 *
 *     s = gamma / sqrt(runningVar + eps)
 *     W' = W * s[o]          b' = (b - runningMean) * s + beta
 *
 * and a ReLU after them is applied in the same pass as the bias (Conv2d's `activation`).
 * One pass over each feature map instead of three. The result computes what the modules did
 * in eval mode; it is meant for inference (a folded BatchNorm no longer learns statistics).
 */
import { cast, noGrad, type Tensor, tidy } from '@dynconv/core';
import { Conv2d } from './layers/conv.js';
import { ReLU, ReLU6 } from './layers/activation.js';
import { BatchNorm2d } from './layers/normalization.js';
import { Identity } from './layers/shape.js';
import type { Module } from './module.js';

/** Any module, whatever its forward takes and returns. */
type AnyModule = Module<never[], unknown>;

/**
 * A new Conv2d computing `act(bn(conv(x)))` of the eval-mode modules, with the BatchNorm
 * folded into its weight and bias (arithmetic in float64, stored in the conv's dtype).
 * `bn` may be null (only the activation is fused). The inputs are not changed.
 */
export function fuseConvBn(conv: Conv2d, bn: BatchNorm2d | null, activation?: 'relu' | 'relu6'): Conv2d {
  if (!(conv instanceof Conv2d)) throw new Error(`fuseConvBn: conv must be a Conv2d, got ${describe(conv)}`);
  if (bn !== null && !(bn instanceof BatchNorm2d)) throw new Error(`fuseConvBn: bn must be a BatchNorm2d or null, got ${describe(bn)}`);
  if (conv.opts.activation) throw new Error(`fuseConvBn: the conv already applies ${conv.opts.activation}; nothing can follow it in the same pass`);
  if (bn && (!bn.runningMean || !bn.runningVar)) throw new Error('fuseConvBn: the BatchNorm2d has no running statistics (trackRunningStats: false) to fold');
  if (bn && bn.numFeatures !== conv.outChannels) throw new Error(`fuseConvBn: the BatchNorm2d has ${bn.numFeatures} features, the conv ${conv.outChannels} output channels`);
  const w = conv.weight;
  const fused = new Conv2d(conv.inChannels, conv.outChannels, conv.kernelSize, {
    ...conv.opts,
    bias: true,
    activation,
    dtype: w.dtype as 'float32' | 'float64',
    backend: w.backend.name,
  });
  noGrad(() =>
    tidy(() => {
      const f64 = (t: Tensor) => cast(t, 'float64');
      let weight = f64(w);
      let bias = conv.bias ? f64(conv.bias) : null;
      if (bn) {
        const C = conv.outChannels;
        const gamma = bn.weight ? f64(bn.weight) : null;
        let s = f64(bn.runningVar!).add(bn.eps).rsqrt();
        if (gamma) s = s.mul(gamma);
        weight = weight.mul(s.reshape([C, 1, 1, 1]));
        const mean = f64(bn.runningMean!);
        const shifted = (bias ? bias.sub(mean) : mean.neg()).mul(s);
        bias = bn.bias ? shifted.add(f64(bn.bias)) : shifted;
      }
      fused.weight.copy_(cast(weight, w.dtype));
      if (bias) fused.bias!.copy_(cast(bias, w.dtype));
      else fused.bias!.zero_();
    }),
  );
  return fused;
}

/**
 * Fuses groups of submodules of `model`, each given by dotted names as `namedModules` lists
 * them: `[conv, bn]`, `[conv, bn, relu]` or `[conv, relu]` (ReLU or ReLU6). The conv is
 * replaced by the fused Conv2d ({@link fuseConvBn}), the others by Identity, in place. The
 * model must be in eval mode (folding uses the running statistics, as PyTorch requires too).
 * A ReLU module that `forward` also applies elsewhere must not be listed: it would become an
 * Identity there too. Returns the model.
 */
export function fuseModules<M extends AnyModule>(model: M, groups: readonly (readonly string[])[]): M {
  if (model.training) throw new Error('fuseModules: the model is in training mode; call model.eval() first (BatchNorm folds its running statistics)');
  const byName = new Map(model.namedModules());
  const resolve = (name: string): AnyModule => {
    const m = byName.get(name);
    if (!m) throw new Error(`fuseModules: no submodule '${name}'`);
    return m;
  };
  // Check every group before changing anything.
  const plans = groups.map((names) => {
    const mods = names.map(resolve);
    const [conv, second, third] = mods;
    const isAct = (m: AnyModule | undefined) => m instanceof ReLU || m instanceof ReLU6;
    const ok = conv instanceof Conv2d && (names.length === 2 ? second instanceof BatchNorm2d || isAct(second) : names.length === 3 && second instanceof BatchNorm2d && isAct(third));
    if (!ok) {
      throw new Error(`fuseModules: cannot fuse [${names.join(', ')}] (${mods.map(describe).join(', ')}); groups are [Conv2d, BatchNorm2d], [Conv2d, BatchNorm2d, ReLU|ReLU6] or [Conv2d, ReLU|ReLU6]`);
    }
    const bn = second instanceof BatchNorm2d ? second : null;
    const act = [second, third].find(isAct);
    return { names, conv: conv as Conv2d, bn, act: act === undefined ? undefined : act instanceof ReLU6 ? ('relu6' as const) : ('relu' as const) };
  });
  const fusedConvs = plans.map((p) => fuseConvBn(p.conv, p.bn, p.act));
  plans.forEach((p, i) => {
    p.names.forEach((name, k) => {
      const dot = name.lastIndexOf('.');
      const parent = dot < 0 ? model : resolve(name.slice(0, dot));
      // The new modules take the model's eval mode, so the whole model stays in one mode.
      parent.replaceModule(name.slice(dot + 1), (k === 0 ? fusedConvs[i]! : new Identity()).eval());
    });
  });
  return model;
}

function describe(m: unknown): string {
  return m === null ? 'null' : typeof m === 'object' ? (m as object).constructor.name : typeof m;
}
