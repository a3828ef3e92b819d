import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enableGrad, grad, isGradEnabled, noGrad, randn, tensor, type Tensor } from '../src/index.js';
import { expectClose, inputArb, runs, shapeArb } from '@dynconv/testing';

const f64 = (data: number[] | number[][]) => tensor(data, { dtype: 'float64', requiresGrad: true });

describe('backward', () => {
  it('accumulates into leaf .grad across calls', () => {
    fc.assert(
      fc.property(shapeArb({ maxDims: 3 }).chain((s) => inputArb(s)), fc.integer({ min: 1, max: 3 }), (inp, times) => {
        const x = inp.leaf;
        for (let i = 0; i < times; i++) inp.view(x).mul(3).sum().backward();
        expectClose(x.grad!.dataSync(), new Float64Array(x.numel()).fill(0).map((_, j) => 3 * times * countCopies(inp, j)));
      }),
      runs(),
    );
  });

  it('sums gradients over every path to a tensor (diamond graph)', () => {
    const x = f64([1, 2, 3]);
    const a = x.mul(2);
    const y = a.mul(a).add(a.exp()).sum(); // dy/dx = 2 * (2a + e^a)
    y.backward();
    const av = [2, 4, 6];
    expectClose(x.grad!.dataSync(), av.map((v) => 2 * (2 * v + Math.exp(v))));
  });

  it('needs an explicit gradient for non-scalar outputs', () => {
    const x = f64([[1, 2], [3, 4]]);
    expect(() => x.mul(2).backward()).toThrow(/backward.*\[2, 2\].*scalar/);
    x.mul(2).backward(tensor([[1, 0], [0, 1]], { dtype: 'float64' }));
    expect(x.grad!.toArray()).toEqual([[2, 0], [0, 2]]);
    expect(() => x.mul(2).backward(tensor([1, 2]))).toThrow(/backward.*\[2\].*\[2, 2\]/);
  });

  it('refuses a second backward through a freed graph, allows it with retainGraph', () => {
    const x = f64([1, 2]);
    const y = x.exp().sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expectClose(x.grad!.dataSync(), [2 * Math.exp(1), 2 * Math.exp(2)]);
    expect(() => y.backward()).toThrow(/second time.*retainGraph/);
  });

  it('errors on backward of a tensor that does not require grad', () => {
    expect(() => tensor([1]).sum().backward()).toThrow(/backward.*does not require grad/);
  });

  it('retainGrad keeps a non-leaf gradient', () => {
    const x = f64([1, 2]);
    const h = x.mul(3).retainGrad();
    h.pow(2).sum().backward();
    expectClose(h.grad!.dataSync(), [6, 12]);
  });
});

describe('grad()', () => {
  it('computes gradients without touching .grad', () => {
    const x = f64([1, 2, 3]);
    const [g] = grad(x.pow(2).sum(), x);
    expectClose(g!.dataSync(), [2, 4, 6]);
    expect(x.grad).toBeNull();
  });

  it('createGraph gives higher-order derivatives (d^n/dx^n of x^5)', () => {
    fc.assert(
      fc.property(fc.double({ min: -2, max: 2, noNaN: true }), (v) => {
        let x = tensor([v], { dtype: 'float64', requiresGrad: true });
        const leaf = x;
        let y = leaf.pow(5).sum();
        const expected = [5 * v ** 4, 20 * v ** 3, 60 * v ** 2, 120 * v, 120];
        for (const e of expected) {
          const [g] = grad(y, leaf, { createGraph: true });
          expectClose(g!.dataSync(), [e], { rtol: 1e-10, atol: 1e-10 });
          y = g!.sum();
          x = g!;
        }
        void x;
      }),
      runs(),
    );
  });

  it('handles unused inputs with allowUnused and complains otherwise', () => {
    const x = f64([1]);
    const z = f64([2]);
    const y = x.mul(2).sum();
    expect(() => grad(y, [x, z], { retainGraph: true })).toThrow(/grad: input 1.*not used.*allowUnused/);
    const [gx, gz] = grad(y, [x, z], { allowUnused: true });
    expect(gx!.toArray()).toEqual([2]);
    expect(gz).toBeNull();
  });

  it('takes gradOutputs for vector outputs and for several outputs at once', () => {
    const x = f64([1, 2]);
    const [g] = grad([x.mul(2), x.mul(x)], x, { gradOutputs: [tensor([1, 1], { dtype: 'float64' }), tensor([1, 0], { dtype: 'float64' })] });
    expectClose(g!.dataSync(), [2 + 2, 2]);
  });

  it('gradients with respect to non-leaf tensors', () => {
    const x = f64([1, 2]);
    const h = x.mul(x);
    const [gh] = grad(h.mul(3).sum(), h);
    expectClose(gh!.dataSync(), [3, 3]);
  });

  it('rejects inputs that do not require grad', () => {
    const x = tensor([1]);
    expect(() => grad(f64([1]).sum(), x)).toThrow(/grad: input 0.*does not require grad/);
  });
});

describe('grad mode', () => {
  it('noGrad stops recording, enableGrad turns it back on, modes restore after throws', () => {
    const x = f64([1]);
    expect(noGrad(() => x.mul(2)).requiresGrad).toBe(false);
    expect(noGrad(() => enableGrad(() => x.mul(2))).requiresGrad).toBe(true);
    expect(() => noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
  });

  it('detach cuts the tape but shares storage', () => {
    const x = f64([1, 2]);
    const d = x.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    const y = x.mul(2);
    expect(y.detach().storage).toBe(y.storage);
  });

  it('requiresGrad can only be set on float leaves', () => {
    expect(() => tensor([1], { dtype: 'int32' }).requiresGrad_()).toThrow(/float32 and float64/);
    expect(() => (f64([1]).mul(2).requiresGrad = false)).toThrow(/non-leaf/);
  });
});

describe('hooks', () => {
  it('see the complete gradient once, and can replace it', () => {
    const x = f64([1, 2]);
    const h = x.mul(2);
    const seen: number[][] = [];
    h.registerHook((g) => void seen.push([...g.dataSync()]));
    const handle = h.registerHook((g) => g.mul(10));
    h.sum().add(h.mul(h).sum()).backward(undefined, { retainGraph: true }); // two paths into h: 1 + 2h
    expect(seen).toEqual([[5, 9]]);
    expectClose(x.grad!.dataSync(), [100, 180]);
    handle.remove();
    x.grad = null;
    h.sum().backward();
    expectClose(x.grad!.dataSync(), [2, 2]);
  });

  it('on leaves run before accumulation', () => {
    const x = f64([1, 2]);
    x.registerHook((g) => g.neg());
    x.mul(3).sum().backward();
    expectClose(x.grad!.dataSync(), [-3, -3]);
  });
});

describe('deep graphs', () => {
  it('back-propagates through 20k chained ops without overflowing the stack', () => {
    const x = randn([2], { dtype: 'float64' }).requiresGrad_();
    let y = x;
    for (let i = 0; i < 20_000; i++) y = y.mul(1);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([1, 1]);
  });
});

/** How many logical elements of the view read leaf element j (expanded layouts repeat). */
function countCopies(inp: { leaf: Tensor; view: (t?: Tensor) => Tensor }, j: number): number {
  const probe = new Float64Array(inp.leaf.numel());
  probe[j] = 1;
  const marked = tensor(probe, { dtype: 'float64' }).reshape(inp.leaf.shape);
  return inp.view(marked).sum().item();
}

describe('grad() with non-leaf inputs', () => {
  it('stops at the requested tensor and leaves the graph below it intact', () => {
    const x = f64([1, 2]);
    const h = x.mul(3);
    const [g1] = grad(h.pow(2).sum(), h);
    const [g2] = grad(h.exp().sum(), h);
    expectClose(g1!.dataSync(), [6, 12]);
    expectClose(g2!.dataSync(), [Math.exp(3), Math.exp(6)]);
    h.sum().backward(); // h's own node was never run, so it was never freed
    expectClose(x.grad!.dataSync(), [3, 3]);
  });
});

describe('.grad storage', () => {
  it('is a fresh contiguous tensor, safe to write in place', () => {
    const x = f64([1, 2, 3]);
    x.sum().backward();
    expect(x.grad!.isContiguous()).toBe(true);
    x.grad!.zero_();
    expect(x.grad!.toArray()).toEqual([0, 0, 0]);
    const a = f64([1, 2]);
    const b = f64([3, 4]);
    const seed = tensor([1, 1], { dtype: 'float64' });
    a.add(b).backward(seed);
    expect(a.grad!.storage).not.toBe(b.grad!.storage);
    expect(a.grad!.storage).not.toBe(seed.storage);
  });
});
