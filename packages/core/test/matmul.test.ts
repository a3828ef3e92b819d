/**
 * Property tests of matmul (torch.matmul's rules for 1-D, 2-D and batched broadcast operands),
 * mm, bmm and linear: forward values against a plain triple loop, gradients and second
 * derivatives by finite differences, with both operands in generated layouts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bmm, broadcastShapes, eye, grad, linear, matmul, mm, tensor, type Tensor } from '../src/index.js';
import { broadcastIndex, broadcastPairArb, checkGradients, expectClose, inputArb, runs, unravel } from '@dynconv/testing';

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const size = fc.integer({ min: 1, max: 4 });

interface MatmulShapes {
  a: number[];
  b: number[];
}

/** Operand shapes for torch.matmul: each side 1-D or batched N-D (batch dims broadcast together). */
const matmulShapesArb: fc.Arbitrary<MatmulShapes> = fc
  .record({ m: size, k: size, n: size, aVec: fc.boolean(), bVec: fc.boolean(), batches: broadcastPairArb({ maxDims: 2, maxSize: 3 }) })
  .map(({ m, k, n, aVec, bVec, batches: [ba, bb] }) => ({ a: aVec ? [k] : [...ba, m, k], b: bVec ? [k] : [...bb, k, n] }));

/** torch.matmul on plain arrays: the result's shape and row-major values. */
function refMatmul(a: Tensor, b: Tensor): { shape: number[]; data: number[] } {
  const av = a.dataSync();
  const bv = b.dataSync();
  const a2 = a.ndim === 1 ? [1, a.shape[0]!] : a.shape;
  const b2 = b.ndim === 1 ? [b.shape[0]!, 1] : b.shape;
  const [M, K] = a2.slice(-2) as [number, number];
  const N = b2[b2.length - 1]!;
  const ba = a2.slice(0, -2);
  const bb = b2.slice(0, -2);
  const batch = broadcastShapes('ref', ba, bb);
  const data: number[] = [];
  for (let t = 0; t < numel(batch); t++) {
    const bi = unravel(t, batch);
    const ao = broadcastIndex(bi, ba) * M * K;
    const bo = broadcastIndex(bi, bb) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += av[ao + i * K + k]! * bv[bo + k * N + j]!;
        data.push(s);
      }
    }
  }
  const shape = [...batch, ...(a.ndim === 1 ? [] : [M]), ...(b.ndim === 1 ? [] : [N])];
  return { shape, data };
}

describe('matmul', () => {
  it('matches a triple loop for 1-D, 2-D and broadcast batched operands in any layout', () => {
    fc.assert(
      fc.property(matmulShapesArb.chain((s) => fc.tuple(inputArb(s.a), inputArb(s.b))), ([ia, ib]) => {
        const a = ia.view();
        const b = ib.view();
        const ref = refMatmul(a, b);
        for (const y of [matmul(a, b), a.matmul(b)]) {
          expect(y.shape).toEqual(ref.shape);
          expect(y.dtype).toBe('float64');
          expectClose(y.dataSync(), ref.data, { rtol: 1e-12, atol: 1e-12 });
        }
      }),
      runs(),
    );
  });

  it('passes gradcheck and gradgradcheck in both operands', () => {
    fc.assert(
      fc.property(matmulShapesArb.chain((s) => fc.tuple(inputArb(s.a), inputArb(s.b))), ([ia, ib]) => {
        checkGradients((x, y) => matmul(ia.view(x), ib.view(y)), [ia.leaf, ib.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('sends gradients of broadcast batch dims back to the operands\' own shapes', () => {
    fc.assert(
      fc.property(matmulShapesArb.chain((s) => fc.tuple(inputArb(s.a), inputArb(s.b))), ([ia, ib]) => {
        const a = ia.leaf;
        const b = ib.leaf;
        matmul(ia.view(a), ib.view(b)).sum().backward();
        expect(a.grad!.shape).toEqual(a.shape);
        expect(b.grad!.shape).toEqual(b.shape);
      }),
      runs(),
    );
  });

  it('has exactly the gradients g·Bᵀ and Aᵀ·g (2-D)', () => {
    fc.assert(
      fc.property(fc.tuple(size, size, size).chain(([m, k, n]) => fc.tuple(inputArb([m, k]), inputArb([k, n]), inputArb([m, n]))), ([ia, ib, ig]) => {
        const a = ia.view();
        const b = ib.view();
        const g = ig.view().detach();
        const [ga, gb] = grad(matmul(a, b), [a, b], { gradOutputs: g });
        expectClose(ga!.dataSync(), refMatmul(g, b.t()).data, { rtol: 1e-12, atol: 1e-14 });
        expectClose(gb!.dataSync(), refMatmul(a.t(), g).data, { rtol: 1e-12, atol: 1e-14 });
      }),
      runs(),
    );
  });

  it('1-D · 1-D is the dot product (a 0-d tensor); (AB)ᵀ = BᵀAᵀ; I·A = A', () => {
    const d = matmul(tensor([1, 2, 3], { dtype: 'float64' }), tensor([4, 5, 6], { dtype: 'float64' }));
    expect(d.shape).toEqual([]);
    expect(d.item()).toBe(32);
    expect(matmul(tensor([[1, 2], [3, 4]]), tensor([5, 6])).toArray()).toEqual([17, 39]);
    expect(matmul(tensor([5, 6]), tensor([[1, 2], [3, 4]])).toArray()).toEqual([23, 34]);
    fc.assert(
      fc.property(fc.tuple(size, size, size).chain(([m, k, n]) => fc.tuple(inputArb([m, k]), inputArb([k, n]))), ([ia, ib]) => {
        const a = ia.view();
        const b = ib.view();
        expectClose(matmul(a, b).t().dataSync(), matmul(b.t(), a.t()).dataSync(), { rtol: 1e-12, atol: 1e-12 });
        expectClose(matmul(eye(a.shape[0]!, a.shape[0]!, { dtype: 'float64' }), a).dataSync(), a.dataSync(), { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it('promotes dtypes and multiplies integers exactly', () => {
    const i = tensor([[1, 2], [3, 4]], { dtype: 'int32' });
    expect(matmul(i, i).dtype).toBe('int32');
    expect(matmul(i, i).toArray()).toEqual([[7, 10], [15, 22]]);
    expect(matmul(i, tensor([[1], [1]], { dtype: 'float64' })).dtype).toBe('float64');
    expect(matmul(tensor([[1, 2]]), tensor([[1], [1]], { dtype: 'float64' })).dtype).toBe('float64');
  });

  it('rejects mismatched and 0-d operands, naming matmul and both shapes', () => {
    const z = (s: number[]) => tensor(new Float64Array(numel(s))).reshape(s);
    expect(() => matmul(z([2, 3]), z([4, 5]))).toThrow(/matmul: shapes \[2, 3\] and \[4, 5\] cannot be multiplied/);
    expect(() => matmul(z([3]), z([4]))).toThrow(/matmul: shapes \[3\] and \[4\]/);
    expect(() => matmul(z([2, 3]), z([2]))).toThrow(/matmul: shapes \[2, 3\] and \[2\]/);
    expect(() => matmul(z([2, 2, 3]), z([3, 3, 4]))).toThrow(/matmul: shapes \[2\] and \[3\] cannot be broadcast/);
    expect(() => matmul(z([]), z([2]))).toThrow(/matmul: .*at least 1-D.*\[\] and \[2\]/);
    expect(() => z([2, 3]).matmul(z([2, 3]))).toThrow(/matmul: shapes \[2, 3\] and \[2, 3\]/);
  });
});

describe('mm and bmm', () => {
  it('mm matches the reference and passes gradcheck and gradgradcheck', () => {
    fc.assert(
      fc.property(fc.tuple(size, size, size).chain(([m, k, n]) => fc.tuple(inputArb([m, k]), inputArb([k, n]))), ([ia, ib]) => {
        const ref = refMatmul(ia.view(), ib.view());
        const y = mm(ia.view(), ib.view());
        expect(y.shape).toEqual(ref.shape);
        expectClose(y.dataSync(), ref.data, { rtol: 1e-12, atol: 1e-12 });
        checkGradients((x, w) => mm(ia.view(x), ib.view(w)), [ia.leaf, ib.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('bmm matches the reference and passes gradcheck and gradgradcheck', () => {
    fc.assert(
      fc.property(fc.tuple(size, size, size, size).chain(([bt, m, k, n]) => fc.tuple(inputArb([bt, m, k]), inputArb([bt, k, n]))), ([ia, ib]) => {
        const ref = refMatmul(ia.view(), ib.view());
        for (const y of [bmm(ia.view(), ib.view()), ia.view().bmm(ib.view())]) {
          expect(y.shape).toEqual(ref.shape);
          expectClose(y.dataSync(), ref.data, { rtol: 1e-12, atol: 1e-12 });
        }
        checkGradients((x, w) => bmm(ia.view(x), ib.view(w)), [ia.leaf, ib.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('reject wrong ranks and mismatched shapes, naming the op and both shapes', () => {
    const z = (s: number[]) => tensor(new Float64Array(numel(s))).reshape(s);
    expect(() => mm(z([2, 3]), z([3]))).toThrow(/mm: expects two 2-D tensors, got shapes \[2, 3\] and \[3\]/);
    expect(() => mm(z([2, 3]), z([4, 5]))).toThrow(/matmul: shapes \[2, 3\] and \[4, 5\]/);
    expect(() => bmm(z([2, 2, 3]), z([3, 3, 4]))).toThrow(/bmm: expects \[B, M, K\] and \[B, K, N\], got shapes \[2, 2, 3\] and \[3, 3, 4\]/);
    expect(() => bmm(z([2, 2, 3]), z([2, 4, 4]))).toThrow(/bmm: .*\[2, 2, 3\] and \[2, 4, 4\]/);
    expect(() => bmm(z([2, 3]), z([3, 4]))).toThrow(/bmm: .*\[2, 3\] and \[3, 4\]/);
    expect(() => bmm(z([1, 2, 3]), z([2, 3, 4]))).toThrow(/bmm: .*\[1, 2, 3\] and \[2, 3, 4\]/);
  });
});

describe('linear', () => {
  const linearArb = fc
    .record({ lead: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), inF: size, outF: size, withBias: fc.boolean() })
    .chain(({ lead, inF, outF, withBias }) =>
      fc.tuple(inputArb([...lead, inF]), inputArb([outF, inF]), withBias ? inputArb([outF]).map((b) => b as typeof b | null) : fc.constant(null)),
    );

  it('is x Wᵀ + b against a plain loop, with and without bias', () => {
    fc.assert(
      fc.property(linearArb, ([ix, iw, ib]) => {
        const x = ix.view();
        const w = iw.view();
        const b = ib?.view() ?? null;
        const [outF, inF] = w.shape as [number, number];
        const xv = x.dataSync();
        const wv = w.dataSync();
        const bv = b?.dataSync();
        const rows = x.numel() / inF;
        const expected: number[] = [];
        for (let r = 0; r < rows; r++) {
          for (let o = 0; o < outF; o++) {
            let s = bv ? bv[o]! : 0;
            for (let i = 0; i < inF; i++) s += xv[r * inF + i]! * wv[o * inF + i]!;
            expected.push(s);
          }
        }
        const y = b ? linear(x, w, b) : linear(x, w);
        expect(y.shape).toEqual([...x.shape.slice(0, -1), outF]);
        expectClose(y.dataSync(), expected, { rtol: 1e-12, atol: 1e-12 });
      }),
      runs(),
    );
  });

  it('passes gradcheck and gradgradcheck in input, weight and bias', () => {
    fc.assert(
      fc.property(linearArb, ([ix, iw, ib]) => {
        if (ib) checkGradients((x, w, b) => linear(ix.view(x), iw.view(w), ib.view(b)), [ix.leaf, iw.leaf, ib.leaf], { second: true });
        else checkGradients((x, w) => linear(ix.view(x), iw.view(w), null), [ix.leaf, iw.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('the bias gradient sums over every leading dim', () => {
    const x = tensor(new Float64Array(2 * 3 * 4).fill(1)).reshape([2, 3, 4]);
    const w = tensor(new Float64Array(5 * 4).fill(0.5)).reshape([5, 4]);
    const b = tensor(new Float64Array(5), { requiresGrad: true });
    linear(x, w, b).sum().backward();
    expect([...b.grad!.dataSync()]).toEqual([6, 6, 6, 6, 6]);
  });

  it('rejects mismatched weight and bias, naming linear and the shapes', () => {
    const z = (s: number[]) => tensor(new Float64Array(numel(s))).reshape(s);
    expect(() => linear(z([2, 3]), z([4, 5]))).toThrow(/linear: input \[2, 3\] does not match weight \[4, 5\]/);
    expect(() => linear(z([2, 3]), z([3]))).toThrow(/linear: input \[2, 3\] does not match weight \[3\]/);
    expect(() => linear(z([2, 3]), z([4, 3]), z([3]))).toThrow(/linear: bias \[3\] does not match weight \[4, 3\]/);
    expect(() => linear(z([2, 3]), z([4, 3]), z([1, 4]))).toThrow(/linear: bias \[1, 4\] does not match weight \[4, 3\]/);
  });
});
