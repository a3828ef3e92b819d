import { elu, gelu, hardsigmoid, hardswish, leakyRelu, logSoftmax, relu6, silu, softmax, softplus, type Tensor } from '@dynconv/core';
import { Module } from '../module.js';

/** max(x, 0). */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** min(max(x, 0), 6). */
export class ReLU6 extends Module {
  forward(x: Tensor): Tensor {
    return relu6(x);
  }
}

/** x * relu6(x + 3) / 6 (MobileNetV3). */
export class Hardswish extends Module {
  forward(x: Tensor): Tensor {
    return hardswish(x);
  }
}

/** relu6(x + 3) / 6. */
export class Hardsigmoid extends Module {
  forward(x: Tensor): Tensor {
    return hardsigmoid(x);
  }
}

/** 1 / (1 + exp(-x)). */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/** x * sigmoid(x). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/** Hyperbolic tangent. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/** x * Phi(x), exact or with the tanh approximation (`torch.nn.GELU`). */
export class GELU extends Module {
  constructor(
    /** The settings it was built with. */
    readonly opts: {
      /** 'none' (default): the exact erf form; 'tanh': the tanh approximation. */
      approximate?: 'none' | 'tanh';
    } = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return gelu(x, this.opts.approximate ?? 'none');
  }

  override extraRepr(): string {
    return `approximate='${this.opts.approximate ?? 'none'}'`;
  }
}

/** x for x > 0, else alpha * (exp(x) - 1) (`torch.nn.ELU`). */
export class ELU extends Module {
  constructor(
    /** The settings it was built with. */
    readonly opts: {
      /** The value approached for large negative x is -alpha (default 1). */
      alpha?: number;
    } = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return elu(x, this.opts.alpha ?? 1);
  }

  override extraRepr(): string {
    return `alpha=${this.opts.alpha ?? 1}`;
  }
}

/** x for x > 0, else negativeSlope * x (`torch.nn.LeakyReLU`). */
export class LeakyReLU extends Module {
  constructor(
    /** The settings it was built with. */
    readonly opts: {
      /** Slope for x <= 0 (default 0.01). */
      negativeSlope?: number;
    } = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.opts.negativeSlope ?? 0.01);
  }

  override extraRepr(): string {
    return `negative_slope=${this.opts.negativeSlope ?? 0.01}`;
  }
}

/** log(1 + exp(beta x)) / beta, linear above threshold (`torch.nn.Softplus`). */
export class Softplus extends Module {
  constructor(
    /** The settings it was built with. */
    readonly opts: {
      /** Sharpness (default 1). */
      beta?: number;
      /** Above this value of beta * x the output is x itself, for stability (default 20). */
      threshold?: number;
    } = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return softplus(x, this.opts.beta ?? 1, this.opts.threshold ?? 20);
  }

  override extraRepr(): string {
    return `beta=${this.opts.beta ?? 1}, threshold=${this.opts.threshold ?? 20}`;
  }
}

/** Softmax along `dim` (`torch.nn.Softmax`; dynconv needs the dim, as PyTorch recommends). */
export class Softmax extends Module {
  constructor(
    /** The dim the probabilities sum to 1 along. */
    readonly dim: number,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** Log-softmax along `dim` (`torch.nn.LogSoftmax`). */
export class LogSoftmax extends Module {
  constructor(
    /** The dim the probabilities sum to 1 along. */
    readonly dim: number,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
