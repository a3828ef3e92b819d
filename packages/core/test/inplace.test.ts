import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { noGrad, tensor, zeros } from '../src/index.js';
import { inputArb, runs, shapeArb } from '@dynconv/testing';

describe('in-place writes', () => {
  it('copy_ writes through views into the base storage, broadcasting and casting the source', () => {
    fc.assert(
      fc.property(shapeArb({ minDims: 1, maxDims: 3 }).chain((s) => inputArb(s)), (inp) => {
        if (inp.layout.kind === 'expanded') return; // broadcast views are not writable
        const base = inp.leaf.detach().clone();
        const v = inp.view(base);
        v.copy_(tensor(2.5, { dtype: 'float32' }));
        expect([...v.dataSync()].every((x) => x === 2.5)).toBe(true);
        // Elements of the base outside the view keep their old values.
        const touched = [...inp.view(zeros(base.shape, { dtype: 'float64' }).add(1)).dataSync()].length;
        expect([...base.dataSync()].filter((x) => x === 2.5).length).toBeGreaterThanOrEqual(touched);
      }),
      runs(),
    );
  });

  it('handles a source that overlaps the destination', () => {
    const x = tensor([[1, 2], [3, 4]]);
    x.copy_(x.t());
    expect(x.toArray()).toEqual([[1, 3], [2, 4]]);
  });

  it('refuses leaves that require grad unless under noGrad, broadcast views, and bad shapes', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(() => w.copy_(tensor([0, 0]))).toThrow(/copy_: .*requires grad.*noGrad/);
    noGrad(() => w.fill_(3));
    expect(w.toArray()).toEqual([3, 3]);
    expect(() => tensor([1]).expand([3]).copy_(tensor([1, 2, 3]))).toThrow(/expanded/);
    expect(() => zeros([2, 3]).copy_(zeros([4]))).toThrow(/copy_: source of shape \[4\].*\[2, 3\]/);
  });
});
