import type { Tensor } from '@dynconv/core';
import { Module } from '../module.js';

/**
 * ShuffleNet's channel shuffle (`torchvision.models.shufflenetv2.channel_shuffle`,
 * `torch.nn.ChannelShuffle`): x [N, C, H, W] viewed as [N, groups, C / groups, H, W], the two
 * middle dims swapped, and flattened back, so output channel `j * groups + i` is input channel
 * `i * C / groups + j`. Composed of views and one copy, so its gradient is the inverse shuffle.
 */
export function channelShuffle(x: Tensor, groups: number): Tensor {
  if (x.ndim !== 4) throw new Error(`channelShuffle: expects x of shape [N, C, H, W], got [${x.shape.join(', ')}]`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0) {
    throw new Error(`channelShuffle: groups must be a positive integer dividing the ${C} channels of x [${x.shape.join(', ')}], got ${groups}`);
  }
  if (groups === 1 || groups === C) return x; // the permutation is the identity
  return x.reshape([N, groups, C / groups, H, W]).transpose(1, 2).reshape([N, C, H, W]);
}

/** {@link channelShuffle} as a module (no parameters). */
export class ChannelShuffle extends Module {
  constructor(
    /** Groups the channels are interleaved from; must divide the channel count. */
    readonly groups: number,
  ) {
    super();
    if (!Number.isInteger(groups) || groups < 1) throw new Error(`ChannelShuffle: groups must be a positive integer, got ${groups}`);
  }

  forward(x: Tensor): Tensor {
    return channelShuffle(x, this.groups);
  }

  override extraRepr(): string {
    return `groups=${this.groups}`;
  }
}
