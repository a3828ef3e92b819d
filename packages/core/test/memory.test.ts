import { describe, expect, it } from 'vitest';
import {
  type Backend, createCpuBackend, dispose, getBackend, getBackendName, keep, memory, noGrad, ones, defineBackendFactory,
  setBackend, type Storage, tensor, tidy, tidyDepth, zeros,
} from '../src/index.js';

/**
 * A CPU backend that counts releases, standing in for a device backend: storages are released
 * through `dispose` when their last view is disposed.
 */
function countedBackend(name: string): { backend: Backend; released: Storage[] } {
  const backend = createCpuBackend(name);
  const released: Storage[] = [];
  backend.dispose = (s: Storage) => void released.push(s);
  backend.memory = () => ({ numReleased: released.length });
  return { backend, released };
}

const counted = countedBackend('cpu-counted');

describe('Tensor.dispose', () => {
  it('is idempotent; a disposed tensor fails clearly wherever it is used', () => {
    const a = tensor([1, 2, 3]);
    expect(a.isDisposed).toBe(false);
    a.dispose();
    a.dispose();
    expect(a.isDisposed).toBe(true);
    expect(a.shape).toEqual([3]); // metadata stays readable
    expect(() => a.dataSync()).toThrow(/tensor was disposed \(shape \[3\], float32\)/);
    expect(() => a.toArray()).toThrow(/tensor was disposed/);
    expect(() => a.add(1)).toThrow(/tensor was disposed/);
    expect(() => a.reshape([3, 1])).toThrow(/tensor was disposed/);
    expect(() => tensor([1, 1, 1]).mul(a)).toThrow(/tensor was disposed/);
  });

  it('counts views per storage: the storage is released once, after its last view is disposed', () => {
    const base = tensor([[1, 2], [3, 4]], { backend: 'cpu-counted' });
    const s = base.storage;
    const t = base.t();
    const flat = base.reshape([4]);
    base.dispose();
    expect(counted.released).not.toContain(s);
    expect(t.toArray()).toEqual([[1, 3], [2, 4]]); // other views still read the data
    t.dispose();
    t.dispose(); // idempotent: counted once
    expect(counted.released).not.toContain(s);
    flat.dispose();
    expect(counted.released.filter((x) => x === s)).toHaveLength(1);
  });

  it('reading a strided view releases the contiguous copy it makes at once', async () => {
    const t = tensor([[1, 2], [3, 4]], { backend: 'cpu-counted' }).t();
    const before = counted.released.length;
    expect([...t.dataSync()]).toEqual([1, 3, 2, 4]);
    expect([...(await t.data())]).toEqual([1, 3, 2, 4]);
    expect(counted.released.length - before).toBe(2);
  });

  it('disposing a view never disturbs the tensor it views', () => {
    const a = tensor([1, 2, 3], { backend: 'cpu-counted' });
    const before = counted.released.length;
    a.unsqueeze(0).dispose();
    a.detach().dispose();
    expect(counted.released.length).toBe(before);
    expect(a.toArray()).toEqual([1, 2, 3]);
  });
});

describe('tidy / keep', () => {
  it('disposes what fn created, except what it returns (tensor, array, object)', () => {
    const x = tensor([1, 2, 3]);
    let inner: ReturnType<typeof zeros> | undefined;
    const y = tidy(() => {
      inner = x.mul(2);
      return inner.add(1);
    });
    expect(inner!.isDisposed).toBe(true);
    expect(y.isDisposed).toBe(false);
    expect(y.toArray()).toEqual([3, 5, 7]);
    expect(x.isDisposed).toBe(false);

    expect(tidy(() => x)).toBe(x); // returning an outside tensor leaves it alone
    expect(x.isDisposed).toBe(false);
    const [a, b] = tidy(() => [x.add(1), x.sub(1)]);
    expect([a!.toArray(), b!.toArray()]).toEqual([[2, 3, 4], [0, 1, 2]]);
    const o = tidy(() => ({ s: x.sum(), nested: { m: [x.amax()] }, n: 3 }));
    expect(o.s.item()).toBe(6);
    expect(o.nested.m[0]!.item()).toBe(3);
    expect(tidy(() => x.sum().item())).toBe(6);
  });

  it('nests: a tensor returned by an inner scope belongs to the outer one', () => {
    let fromInner: ReturnType<typeof zeros> | undefined;
    let kept: ReturnType<typeof zeros> | undefined;
    const out = tidy(() => {
      expect(tidyDepth()).toBe(1);
      fromInner = tidy(() => {
        expect(tidyDepth()).toBe(2);
        kept = keep(ones([2]));
        return zeros([2]).add(5);
      });
      expect(fromInner.isDisposed).toBe(false);
      return fromInner.mul(2);
    });
    expect(tidyDepth()).toBe(0);
    expect(fromInner!.isDisposed).toBe(true);
    expect(out.toArray()).toEqual([10, 10]);
    expect(kept!.isDisposed).toBe(false);
  });

  it('views of outside tensors made inside a scope are disposed without freeing the outside storage', () => {
    const w = tensor([[1, 2], [3, 4]], { backend: 'cpu-counted' });
    const before = counted.released.length;
    const y = tidy(() => w.t().matmul(w.reshape([2, 2])));
    expect(y.toArray()).toEqual([[10, 14], [14, 20]]);
    // only the scope's own results were released, never w's storage
    expect(counted.released.slice(before)).not.toContain(w.storage);
    expect(w.toArray()).toEqual([[1, 2], [3, 4]]);
  });

  it('releases every storage a scope created on a counting backend', () => {
    const x = tensor([1, 2, 3, 4], { backend: 'cpu-counted' });
    const before = counted.released.length;
    let made = 0;
    tidy(() => {
      const a = x.mul(2);
      const b = a.reshape([2, 2]).t().contiguous();
      const c = b.exp().sum();
      made = 5; // the scalar 2, then the mul, contiguous, exp and sum results (views share them)
      return c.item();
    });
    expect(counted.released.length - before).toBe(made);
    expect(memory('cpu-counted')).toMatchObject({ backend: 'cpu-counted', numReleased: counted.released.length });
  });

  it('disposes on throw and rethrows; refuses async functions', async () => {
    let t: ReturnType<typeof zeros> | undefined;
    expect(() =>
      tidy(() => {
        t = zeros([2]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(t!.isDisposed).toBe(true);
    expect(tidyDepth()).toBe(0);
    expect(() => tidy((async () => zeros([1])) as unknown as () => number)).toThrow(/tidy: fn returned a Promise/);
  });

  it('dispose() takes tensors, arrays and objects of tensors', () => {
    const a = zeros([1]);
    const b = zeros([1]);
    const c = zeros([1]);
    dispose([a, { b, more: [c] }]);
    expect([a.isDisposed, b.isDisposed, c.isDisposed]).toEqual([true, true, true]);
  });
});

describe('tidy and autograd', () => {
  it("leaf gradients computed inside a scope survive it; in-place parameter updates keep working", () => {
    const w = tensor([1, -2, 3], { requiresGrad: true });
    const x = tensor([0.5, 1, 2]);
    for (let step = 0; step < 3; step++) {
      const loss = tidy(() => {
        const l = w.mul(x).pow(2).sum();
        l.backward();
        noGrad(() => tidy(() => w.copy_(w.sub(w.grad!.mul(0.1)))));
        return l.item();
      });
      expect(Number.isFinite(loss)).toBe(true);
      expect(w.grad!.isDisposed).toBe(false);
      w.grad!.dispose();
      w.grad = null;
    }
    expect(w.isDisposed).toBe(false);
    expect(w.dataSync().every(Number.isFinite)).toBe(true);
  });

  it('a graph whose saved tensors were disposed by its scope fails clearly in backward', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = tidy(() => {
      const t = x.mul(x);
      return t.mul(t).sum();
    });
    expect(() => y.backward()).toThrow(/tensor was disposed/);
  });

  it('retained non-leaf gradients survive the scope too', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    let h: ReturnType<typeof zeros> | undefined;
    tidy(() => {
      h = x.mul(3).retainGrad();
      h.sum().backward();
    });
    expect(h!.isDisposed).toBe(true);
    expect(h!.grad!.toArray()).toEqual([1, 1]);
    expect(x.grad!.toArray()).toEqual([3, 3]);
  });
});

describe('setBackend options and memory()', () => {
  it('passes options to the factory on first use, then to configure; refuses options a backend cannot take', () => {
    const seen: unknown[] = [];
    defineBackendFactory('cpu-configurable', (options) => {
      seen.push(options);
      const b = createCpuBackend('cpu-configurable');
      b.configure = (o) => void seen.push(o);
      return b;
    });
    const prev = getBackendName();
    try {
      setBackend('cpu-configurable', { mode: 'a' });
      setBackend('cpu-configurable', { mode: 'b' });
      expect(seen).toEqual([{ mode: 'a' }, { mode: 'b' }]);
      expect(() => setBackend('cpu', { mode: 'x' })).toThrow(/backend 'cpu' takes no options/);
    } finally {
      setBackend(prev);
    }
    expect(getBackend('cpu-configurable').name).toBe('cpu-configurable');
  });

  it('reports the backend name and the CPU backend\'s buffer-pool counters', () => {
    expect(Object.keys(memory()).sort()).toEqual(['backend', 'hits', 'misses', 'pooledBytes', 'wasmMemoryBytes', 'wasmTensorBytes']);
    expect(memory().backend).toBe('cpu');
  });
});
