import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { grad, gradcheck, randn, tensor } from '@dynconv/core';

describe('README', () => {
  it('its example runs as written', () => {
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([[2, 4], [6, 8]]);
    const z = randn([3], { dtype: 'float64' }).requiresGrad_();
    const [dz] = grad(z.pow(3).sum(), z, { createGraph: true });
    const [d2z] = grad(dz!.sum(), z);
    const zv = [...z.dataSync()];
    [...dz!.dataSync()].forEach((v, i) => expect(v).toBeCloseTo(3 * zv[i]! ** 2, 10));
    [...d2z!.dataSync()].forEach((v, i) => expect(v).toBeCloseTo(6 * zv[i]!, 10));
    expect(gradcheck((a) => a.softmax(0).log(), [z])).toBe(true);
  });
});

describe('demo (pnpm start)', () => {
  it('fits the MLP: the printed loss falls and accuracy beats chance', () => {
    const out = execFileSync('npx', ['tsx', 'tools/demo-mlp.ts', '--steps', '200'], { encoding: 'utf8' });
    const losses = [...out.matchAll(/loss (\d+\.\d+)/g)].map((m) => Number(m[1]));
    const accs = [...out.matchAll(/accuracy (\d+\.\d+)%/g)].map((m) => Number(m[1]));
    expect(losses.length).toBeGreaterThan(5);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.7);
    expect(accs.at(-1)!).toBeGreaterThan(60); // three classes: chance is 33%
  });

  it('rejects a bad flag with a clear message', () => {
    expect(() => execFileSync('npx', ['tsx', 'tools/demo-mlp.ts', '--steps', 'ten'], { encoding: 'utf8', stdio: 'pipe' })).toThrow(/--steps must be a positive integer/);
  });
});
