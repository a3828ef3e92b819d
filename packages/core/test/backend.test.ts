import { describe, expect, it } from 'vitest';
import {
  createCpuBackend, getBackend, getBackendName, runKernel, setBackend, tensor, zeros, add, matmul, cat,
} from '../src/index.js';

// A second, separate instance of the CPU backend stands in for a device backend.
createCpuBackend('cpu2');

describe('backends', () => {
  it('storage belongs to the backend that created it', () => {
    const a = tensor([1, 2], { backend: 'cpu2' });
    expect(a.backend.name).toBe('cpu2');
    expect(a.storage.backend).toBe(getBackend('cpu2'));
    expect(a.add(1).backend.name).toBe('cpu2');
  });

  it('mixing backends is a clear error naming the op, both backends and shapes', () => {
    const a = tensor([[1, 2]]);
    const b = tensor([[1], [2]], { backend: 'cpu2' });
    expect(() => add(a, b)).toThrow(/add: tensors are on different backends \('cpu' with shape \[1, 2\] and 'cpu2' with shape \[2, 1\]\)/);
    expect(() => matmul(a, b)).toThrow(/matmul: .*different backends/);
    expect(() => cat([a, b.t()])).toThrow(/cat: .*different backends/);
  });

  it('to(backend) moves data and gradients flow back', () => {
    const a = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const b = a.to('cpu2');
    expect(b.backend.name).toBe('cpu2');
    b.mul(b).sum().backward();
    expect(a.grad!.backend.name).toBe('cpu');
    expect(a.grad!.toArray()).toEqual([2, 4, 6]);
  });

  it('reads back synchronously and asynchronously', async () => {
    const a = tensor([[1, 2], [3, 4]]).t();
    expect([...a.dataSync()]).toEqual([1, 3, 2, 4]);
    expect([...(await a.data())]).toEqual([1, 3, 2, 4]);
  });

  it('setBackend changes where new tensors live; unknown names and kernels fail clearly', () => {
    const prev = getBackendName();
    setBackend('cpu2');
    try {
      expect(zeros([2]).backend.name).toBe('cpu2');
    } finally {
      setBackend(prev);
    }
    expect(() => setBackend('nope')).toThrow(/no backend named 'nope'.*known: .*cpu/);
    // A backend object that was never defined (here a copy of the CPU backend) has no kernels.
    const t = tensor([1]);
    expect(() => runKernel({ ...getBackend('cpu'), name: 'empty' }, 'Copy', t, 'float32')).toThrow(/runKernel: backend 'empty' is not registered/);
  });
});
