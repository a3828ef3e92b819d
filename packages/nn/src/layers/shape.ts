import type { Tensor } from '@dynconv/core';
import { Module } from '../module.js';

/** Merges dims startDim..endDim (by default everything but the batch dim). */
export class Flatten extends Module {
  constructor(
    /** First dim merged (default 1, after the batch dim). */
    readonly startDim = 1,
    /** Last dim merged (default -1, the last). */
    readonly endDim = -1,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Returns its input unchanged (a placeholder, e.g. for a shortcut without downsampling). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
