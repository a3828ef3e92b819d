/**
 * Weight initialisation, PyTorch's `torch.nn.init`: each function fills a tensor in place
 * (outside the tape) from an optional seeded generator and returns it.
 */
import { defaultGenerator, type Generator, noGrad, rand, randn, type Tensor } from '@dynconv/core';

/** The nonlinearities {@link calculateGain} knows (`torch.nn.init.calculate_gain`'s names). */
export type Nonlinearity = 'linear' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** Options every random initialiser takes. */
export interface InitOptions {
  /** Source of the random draws (default: the default generator). */
  generator?: Generator;
}

/** The recommended gain for a nonlinearity (`torch.nn.init.calculate_gain`). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv2d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
  }
}

/** fan_in and fan_out: dims 1 and 0 times the receptive field (the product of the rest). */
export function fans(t: Tensor): {
  /** Inputs feeding each output: dim 1 times the receptive field. */
  fanIn: number;
  /** Outputs each input feeds: dim 0 times the receptive field. */
  fanOut: number;
} {
  if (t.ndim < 2) throw new Error(`init: fan in and fan out need a tensor with at least 2 dims, got shape [${t.shape.join(', ')}]`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1]! * receptive, fanOut: t.shape[0]! * receptive };
}

function fill(t: Tensor, values: Tensor): Tensor {
  // Drawn in float64 on the CPU, rounded to t's dtype there, then moved to t's backend (a
  // float32-only device backend cannot hold the float64 draws).
  noGrad(() => t.copy_(values.to(t.dtype).to(t.backend.name)));
  return t;
}

/** Uniform in [a, b). */
export function uniform(t: Tensor, a = 0, b = 1, opts: InitOptions = {}): Tensor {
  const u = rand(t.shape, { dtype: 'float64', generator: opts.generator ?? defaultGenerator, backend: 'cpu' });
  return fill(t, u.mul(b - a).add(a));
}

/** Normal with the given mean and standard deviation. */
export function normal(t: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  const z = randn(t.shape, { dtype: 'float64', generator: opts.generator ?? defaultGenerator, backend: 'cpu' });
  return fill(t, z.mul(std).add(mean));
}

/** Fills `t` with `value` in place; returns `t`. */
export function constant(t: Tensor, value: number): Tensor {
  noGrad(() => t.fill_(value));
  return t;
}

/** Fills `t` with 0 in place; returns `t`. */
export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}

/** Fills `t` with 1 in place; returns `t`. */
export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}

/** Options of {@link kaimingUniform} and {@link kaimingNormal}. */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU after this layer (0 for ReLU). */
  a?: number;
  /**
   * Which fan the variance is scaled by: 'fanIn' (default; preserves the forward pass) or 'fanOut'
   * (the backward pass).
   */
  mode?: 'fanIn' | 'fanOut';
  /** The nonlinearity after the layer, for the gain (default 'leaky_relu', with slope `a`). */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, opts: KaimingOptions): number {
  const { fanIn, fanOut } = fans(t);
  const fan = (opts.mode ?? 'fanIn') === 'fanIn' ? fanIn : fanOut;
  return calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0) / Math.sqrt(fan);
}

/** He initialisation, uniform: bound = gain * sqrt(3 / fan). */
export function kaimingUniform(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, opts);
  return uniform(t, -bound, bound, opts);
}

/** He initialisation, normal: std = gain / sqrt(fan). */
export function kaimingNormal(t: Tensor, opts: KaimingOptions = {}): Tensor {
  return normal(t, 0, kaimingStd(t, opts), opts);
}

/** Glorot initialisation, uniform: bound = gain * sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform(t: Tensor, opts: InitOptions & { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = fans(t);
  const bound = (opts.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, -bound, bound, opts);
}

/** Glorot initialisation, normal: std = gain * sqrt(2 / (fan_in + fan_out)). */
export function xavierNormal(t: Tensor, opts: InitOptions & { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = fans(t);
  return normal(t, 0, (opts.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)), opts);
}

/**
 * PyTorch's default for Linear and Conv weights and biases: kaiming uniform with a = sqrt(5)
 * (a bound of 1/sqrt(fan_in)) for the weight, uniform in +-1/sqrt(fan_in) for the bias.
 */
export function defaultLayerInit(weight: Tensor, bias: Tensor | null, opts: InitOptions = {}): void {
  kaimingUniform(weight, { a: Math.sqrt(5), generator: opts.generator });
  if (bias) {
    const { fanIn } = fans(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform(bias, -bound, bound, opts);
  }
}
