import { dropout, type Generator, type Tensor } from '@dynconv/core';
import { Module } from '../module.js';

/** Zeroes elements with probability p while training, scaling the rest by 1 / (1 - p). */
export class Dropout extends Module {
  constructor(
    /** Probability of zeroing each element (default 0.5). */
    readonly p = 0.5,
    /** The settings it was built with. */
    readonly opts: {
      /** Source of the random masks (default: the default generator). */
      generator?: Generator;
    } = {},
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.opts.generator);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
