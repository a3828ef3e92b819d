import { hardsigmoid, hardswish, relu6, silu, type Tensor } from '@dynconv/core';
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
