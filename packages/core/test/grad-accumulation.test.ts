/**
 * Gradient accumulation in place (autograd/engine.ts with the Accumulate kernel): results equal
 * the allocate-a-sum path bit for bit over generated graphs where tensors receive many
 * contributions (including add's backward, which hands the same gradient to both inputs), and
 * a leaf's .grad accumulates across backward calls in its own storage, as in PyTorch.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCpuBackend, Generator, grad, randn, type Tensor, tidy } from '../src/index.js';
import { runs } from '@dynconv/testing';

createCpuBackend('cpu-accumulate-off', { fusedKernels: false });

/** A graph over x and w where intermediate tensors are used several times. */
function graph(x: Tensor, w: Tensor, uses: number[]): Tensor {
  let h = x.mul(w);
  let out = h.sum();
  for (const k of uses) {
    const a = h.add(h); // add's backward returns its gradient for both inputs
    let s = a;
    for (let i = 0; i < k; i++) s = s.add(h.mul(i + 1)).add(a.relu());
    // p and q first receive the same gradient object from add's backward (that term is
    // processed first: it is the last operand), then one more contribution each.
    const p = s.mul(2);
    const q = s.mul(3);
    out = out.add(p.tanh().sum()).add(q.sin().sum()).add(p.add(q).tanh().sum());
    h = s.mul(0.5);
  }
  return out.add(h.mul(w).sum());
}

describe('gradient accumulation in place', () => {
  it('gives the same gradients as summing into new tensors (bit for bit)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), fc.constantFrom(5, 40, 300), (seed, uses, n) =>
        tidy(() => {
          const g = new Generator(seed);
          const x0 = randn([n], { generator: g });
          const w0 = randn([n], { generator: g });
          const run = (backend: string) => {
            const x = x0.to(backend).detach().requiresGrad_();
            const w = w0.to(backend).detach().requiresGrad_();
            graph(x, w, uses).backward();
            return [x.grad!.dataSync(), w.grad!.dataSync()];
          };
          const [a, b] = [run('cpu'), run('cpu-accumulate-off')];
          expect(Array.from(a[0]!)).toEqual(Array.from(b[0]!));
          expect(Array.from(a[1]!)).toEqual(Array.from(b[1]!));
        }),
      ),
      runs(),
    );
  });

  it("accumulates a leaf's .grad across backward calls in place", () => {
    const w = randn([50], { generator: new Generator(1) }).requiresGrad_();
    w.mul(w).sum().backward();
    const first = w.grad!;
    const once = Array.from(first.dataSync());
    w.mul(w).sum().backward();
    expect(w.grad).toBe(first); // the same tensor, updated in place
    expect(Array.from(w.grad!.dataSync())).toEqual(once.map((v) => Math.fround(v + v)));
  });

  it('leaves gradients returned by grad() and retained gradients unchanged by later sums', () => {
    const x = randn([64], { generator: new Generator(2) }).requiresGrad_();
    const h = x.mul(2);
    h.retainGrad();
    const y = h.add(h).add(h.mul(3)).sum();
    const [gx] = grad(y, [x], { retainGraph: true });
    const before = Array.from(gx!.dataSync());
    y.backward();
    expect(Array.from(gx!.dataSync())).toEqual(before);
    expect(Array.from(h.grad!.dataSync())).toEqual(Array.from({ length: 64 }, () => 5));
  });
});
