import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradcheck, tensor } from '@dynconv/core';
import { ChannelShuffle, channelShuffle } from '../src/index.js';
import { runs, values } from '@dynconv/testing';

describe('channelShuffle', () => {
  it('sends input channel i * C/groups + j to output channel j * groups + i (torchvision)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), (N, groups, per, HW) => {
        const C = groups * per;
        const shape = [N, C, HW, HW];
        const data = values(shape, N * 31 + C);
        const x = tensor(Array.from(data), { dtype: 'float64' }).reshape(shape);
        const y = channelShuffle(x, groups).dataSync();
        const plane = HW * HW;
        for (let n = 0; n < N; n++) {
          for (let i = 0; i < groups; i++) {
            for (let j = 0; j < per; j++) {
              for (let p = 0; p < plane; p++) {
                expect(y[(n * C + j * groups + i) * plane + p]).toBe(data[(n * C + i * per + j) * plane + p]);
              }
            }
          }
        }
      }),
      runs(),
    );
  });

  it('the example of torch.nn.ChannelShuffle; gradients pass through; a module with no parameters', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8], { dtype: 'float64' }).reshape([1, 8, 1, 1]);
    expect(Array.from(new ChannelShuffle(2).forward(x).dataSync())).toEqual([1, 5, 2, 6, 3, 7, 4, 8]);
    expect(Array.from(channelShuffle(x, 4).dataSync())).toEqual([1, 3, 5, 7, 2, 4, 6, 8]);
    expect(new ChannelShuffle(2).numParameters()).toBe(0);
    expect(new ChannelShuffle(4).toString()).toBe('ChannelShuffle(groups=4)');
    const leaf = tensor(Array.from(values([2, 6, 2, 2], 3)), { dtype: 'float64' }).reshape([2, 6, 2, 2]).detach().requiresGrad_();
    gradcheck((t) => channelShuffle(t, 3).mul(channelShuffle(t, 3)), [leaf]);
  });

  it('rejects a group count that does not divide the channels', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], { dtype: 'float64' }).reshape([1, 6, 1, 1]);
    expect(() => channelShuffle(x, 4)).toThrow(/groups must be a positive integer dividing the 6 channels/);
    expect(() => channelShuffle(x.reshape([6]), 2)).toThrow(/expects x of shape \[N, C, H, W\]/);
    expect(() => new ChannelShuffle(0)).toThrow(/positive integer/);
  });
});
