/**
 * Multiply-adds and parameters of a model, layer by layer, measured on one forward pass.
 *
 * Every module's `forward` is wrapped for the duration of one pass (without the tape) on an
 * input of the given shape, so the counts follow what actually runs: the shapes each layer
 * sees and, for a DynamicConv2d, the fusion path it took (kernel fusion in eval mode, output
 * fusion in training mode, unless the layer's `fusion` says otherwise).
 *
 * What counts as a multiply-add (the convention of the paper's and torchvision's FLOPs):
 * convolutions `N * C_out * H_out * W_out * C_in / groups * kh * kw`; linear layers
 * `rows * in * out`; a dynamic conv's path as `dynamicConvCost` gives it (the convolution plus
 * the kernel or output fusion); a coefficient predictor as `predictorCost` (its pooling and FC
 * layers); average pooling one addition per input element it reads (global pooling, also inside
 * squeeze-excitation). Not counted: BatchNorm (foldable into the conv for inference),
 * activations, max pooling, residual additions, biases, concatenation and shuffles.
 */
import { defaultGenerator, noGrad, type Tensor, zeros } from '@dynconv/core';
import {
  AdaptiveAvgPool2d, AvgPool2d, CoefficientPredictor, Conv2d, DynamicConv2d, dynamicConvCost, type FusionPath, Linear, type Module, predictorCost, SqueezeExcitation,
} from '@dynconv/nn';

/** One layer's share of a {@link ModelProfile}. */
export interface LayerProfile {
  /** Dotted module name (the state-dict prefix): `layer1.0.conv1`. */
  name: string;
  /** The module's class: `Conv2d`, `DynamicConv2d`, `CoefficientPredictor`, ... */
  type: string;
  /** Shape of the layer's input in this pass. */
  inputShape: number[];
  /** Shape of its output. */
  outputShape: number[];
  /** Multiply-adds of this call. */
  macs: number;
  /** Parameters the layer owns (for a DynamicConv2d or a predictor, with its submodules). */
  params: number;
  /** A dynamic conv's path and its cost by part (no predictor: the block's is its own row). */
  dynamic?: {
    /** The fusion path the conv took in this pass. */
    path: FusionPath;
    /** Multiply-adds of the convolution part. */
    conv: number;
    /** Multiply-adds of the kernel (or output) fusion. */
    fusion: number;
  };
}

/** Totals by kind of work. */
export interface MacBreakdown {
  /** Static convolutions. */
  conv: number;
  /** The convolution part of dynamic convs. */
  dynamicConv: number;
  /** Kernel (or output) fusion of dynamic convs. */
  fusion: number;
  /** Coefficient predictors (pooling and FC layers). */
  predictor: number;
  /** Linear layers (classifiers). */
  linear: number;
  /** Average pooling, including squeeze-excitation's. */
  pool: number;
}

/** {@link profile}'s answer. */
export interface ModelProfile {
  /** Shape of the input the model was run on. */
  inputShape: number[];
  /** Layers with multiply-adds or parameters, in the order they ran. */
  layers: LayerProfile[];
  /** Total multiply-adds of the pass. */
  macs: number;
  /** Total parameters of the model (`numParameters()`). */
  params: number;
  /** Total multiply-adds by kind of work. */
  breakdown: MacBreakdown;
}

/** Layers counted as a whole: their submodules are part of their own cost rule. */
function isLeaf(m: Module<never[], unknown>): boolean {
  return m instanceof DynamicConv2d || m instanceof CoefficientPredictor;
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function cost(m: Module<never[], unknown>, input: readonly number[], output: readonly number[]): { macs: number; kind: keyof MacBreakdown | null; dynamic?: LayerProfile['dynamic'] } {
  if (m instanceof Conv2d) {
    const [kh, kw] = m.kernelSize;
    return { macs: numel(output) * (m.inChannels / (m.opts.groups ?? 1)) * kh * kw, kind: 'conv' };
  }
  if (m instanceof Linear) return { macs: numel(output) * m.inFeatures, kind: 'linear' };
  if (m instanceof DynamicConv2d) {
    const path = m.lastPath!;
    const c = dynamicConvCost(m, input)[path];
    return { macs: c.total, kind: 'dynamicConv', dynamic: { path, conv: c.conv, fusion: c.fusion } };
  }
  if (m instanceof CoefficientPredictor) return { macs: predictorCost(m, input), kind: 'predictor' };
  if (m instanceof AdaptiveAvgPool2d || m instanceof SqueezeExcitation) return { macs: numel(input), kind: 'pool' };
  if (m instanceof AvgPool2d) {
    const k = m.kernelSize;
    return { macs: numel(output) * (typeof k === 'number' ? k * k : k[0] * k[1]), kind: 'pool' };
  }
  return { macs: 0, kind: null };
}

/**
 * Runs `model` once (no tape) on zeros of `inputShape` ([N, C, H, W]) and returns per-layer and
 * total multiply-adds and parameters. The model's mode decides the dynamic convs' path: call
 * `model.eval()` first for inference FLOPs (kernel fusion, the predictor and the fusion).
 * In training mode the BatchNorm running statistics are restored afterwards, and so is the
 * default generator (which dropout draws from), so profiling leaves the model as it was.
 */
export function profile(model: Module, inputShape: readonly number[]): ModelProfile {
  const records: (LayerProfile & { kind: keyof MacBreakdown | null })[] = [];
  const restore: (() => void)[] = [];
  const counted = new Set<Module<never[], unknown>>();

  const instrument = (name: string, m: Module<never[], unknown>) => {
    const hadOwn = Object.hasOwn(m, 'forward');
    const original = m.forward;
    const wrapped = (...args: unknown[]) => {
      const x = args[0] as Tensor;
      const record: LayerProfile & { kind: keyof MacBreakdown | null } = { name, type: m.constructor.name, inputShape: [...x.shape], outputShape: [], macs: 0, params: 0, kind: null };
      records.push(record); // before the call, so layers are listed in the order they start
      const out = (original as (...a: unknown[]) => unknown).apply(m, args) as Tensor;
      record.outputShape = [...out.shape];
      const c = cost(m, record.inputShape, record.outputShape);
      record.macs = c.macs;
      record.kind = c.kind;
      if (c.dynamic) record.dynamic = c.dynamic;
      if (!counted.has(m)) {
        counted.add(m); // a module called twice owns its parameters once
        record.params = isLeaf(m) ? m.numParameters() : m.parameters(false).reduce((n, p) => n + p.numel(), 0);
      }
      return out;
    };
    (m as { forward: unknown }).forward = wrapped;
    restore.push(() => {
      if (hadOwn) (m as { forward: unknown }).forward = original;
      else delete (m as { forward?: unknown }).forward;
    });
    if (!isLeaf(m)) for (const [child, sub] of m.namedChildren()) instrument(name ? `${name}.${child}` : child, sub);
  };

  const buffers = model.buffers().map((b) => [b, b.clone()] as const);
  const genState = defaultGenerator.getState();
  const dtype = model.parameters()[0]?.dtype === 'float64' ? 'float64' : 'float32';
  instrument('', model as unknown as Module<never[], unknown>);
  try {
    noGrad(() => model.forward(zeros([...inputShape], { dtype })));
  } finally {
    for (const r of restore) r();
    noGrad(() => {
      for (const [b, saved] of buffers) b.copy_(saved);
    });
    defaultGenerator.setState(genState);
  }

  const breakdown: MacBreakdown = { conv: 0, dynamicConv: 0, fusion: 0, predictor: 0, linear: 0, pool: 0 };
  for (const r of records) {
    if (r.dynamic) {
      breakdown.dynamicConv += r.dynamic.conv;
      breakdown.fusion += r.dynamic.fusion;
      breakdown.predictor += r.macs - r.dynamic.conv - r.dynamic.fusion; // an own predictor, if any
    } else if (r.kind) {
      breakdown[r.kind] += r.macs;
    }
  }
  const layers = records.filter((r) => r.macs > 0 || r.params > 0).map(({ kind: _kind, ...rest }) => rest);
  return { inputShape: [...inputShape], layers, macs: layers.reduce((n, l) => n + l.macs, 0), params: model.numParameters(), breakdown };
}
