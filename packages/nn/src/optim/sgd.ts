/** Stochastic gradient descent, optionally with momentum (heavy-ball or Nesterov). */
import { hasKernel, sgdStep_, type Tensor, zerosLike } from '@dynconv/core';
import { boolean, finite, learningRate, nonNegative } from './check.js';
import { type BaseOptions, Optimizer, type ParamGroup, type Params } from './optimizer.js';

/** Options of {@link SGD} (PyTorch's names in camelCase). */
export interface SGDOptions extends BaseOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Momentum factor μ (default 0: plain SGD). */
  momentum: number;
  /** Dampening τ of the momentum (default 0). */
  dampening: number;
  /** L2 penalty λ, added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (default false); needs momentum > 0 and dampening 0. */
  nesterov: boolean;
  /** Ascend the objective instead of descending (default false). */
  maximize: boolean;
}

/** Per-parameter state of {@link SGD}: the momentum buffer, once momentum has been used. */
export type SGDState = {
  /** The momentum buffer (absent until a step with momentum has run). */
  momentumBuffer?: Tensor;
};

const DEFAULTS: SGDOptions = { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false };

/**
 * SGD with PyTorch's update rule (torch.optim.SGD), per parameter and step t:
 *
 *     g ← maximize ? -∇f(θ) : ∇f(θ)
 *     if λ ≠ 0:  g ← g + λθ
 *     if μ ≠ 0:  b ← (t = 1) ? g : μb + (1 - τ)g
 *                g ← nesterov ? g + μb : b
 *     θ ← θ - γg
 *
 * The gradient is negated first under `maximize`, as the code and (since 2025) the documented
 * pseudo-code of PyTorch do, so weight decay still pulls parameters toward zero.
 */
export class SGD extends Optimizer<SGDOptions, SGDState> {
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(
      params,
      {
        name: 'SGD',
        defaults: DEFAULTS,
        rules: { lr: learningRate, momentum: nonNegative, dampening: finite, weightDecay: nonNegative, nesterov: boolean, maximize: boolean },
        stateKeys: { momentumBuffer: 'tensor' },
      },
      options,
    );
  }

  protected override checkGroup(o: SGDOptions, where: string): void {
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new Error(`SGD: nesterov requires momentum > 0 and dampening 0, got momentum ${o.momentum} and dampening ${o.dampening}${where}`);
    }
  }

  protected updateParam(p: Tensor, grad: Tensor, state: SGDState, group: ParamGroup<SGDOptions>): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    const buf = state.momentumBuffer;
    if (fusedSgd && canFuse(p, grad, buf)) {
      // One pass (core's sgdStep_); the same bits as the rule below.
      const firstStep = momentum !== 0 && buf === undefined;
      const b = momentum === 0 ? null : (state.momentumBuffer ??= zerosLike(p));
      sgdStep_(p, grad, b, { lr, momentum, dampening, weightDecay, nesterov, maximize, firstStep });
      return;
    }
    let g = maximize ? grad.neg() : grad;
    if (weightDecay !== 0) g = g.add(p, weightDecay);
    if (momentum !== 0) {
      const prev = state.momentumBuffer;
      // New tensors rather than in-place writes: g may share storage with p.grad.
      const buf = prev === undefined ? g.clone() : prev.mul(momentum).add(g, 1 - dampening);
      state.momentumBuffer = buf;
      g = nesterov ? g.add(buf, momentum) : buf;
    }
    p.copy_(p.add(g, -lr));
  }
}

// Off by default: on the CPU backend the one-pass JavaScript kernel measured slower than the
// rule's tensor ops, which run as WebAssembly SIMD loops (docs/benchmarks.md, "After the
// wasm-memory work"); on again once the kernel has a SIMD loop. Tests check it against the rule.
let fusedSgd = false;

/**
 * @internal Turns the fused update (core's `sgdStep_`) on or off; off, the rule runs as tensor
 * ops. Returns the old setting. Tests compare the two.
 */
export function setFusedSgd(on: boolean): boolean {
  const old = fusedSgd;
  fusedSgd = on;
  return old;
}

/** The fused kernel takes a dense parameter and buffer of one dtype (grad of that dtype, any layout). */
function canFuse(p: Tensor, grad: Tensor, buf: Tensor | undefined): boolean {
  return hasKernel(p.backend, 'SgdStep') && p.isContiguous() && grad.dtype === p.dtype && grad.backend === p.backend
    && (buf === undefined || (buf.isContiguous() && buf.dtype === p.dtype && buf.storage !== p.storage));
}
