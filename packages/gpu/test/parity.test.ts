/**
 * The gpu backend against the CPU backend, once per mode under test (see helpers.ts): the core
 * ops forward and backward, on generated shapes and layouts (contiguous, permuted, strided,
 * expanded), compared at float32 tolerance (relative 1e-4, absolute 1e-5 times the reduction
 * length). Shapes are kept small and cases few: GL modes compile one shader per shape.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adaptiveAvgPool2d, avgPool2d, Generator, batchNorm, cat, conv2d, crossEntropy, gather, groupNorm, indexSelect, layerNorm, logSoftmax, maxPool2d, memory, mseLoss, pad,
  getBackend, noGrad, runKernel, scatterAdd, type Tensor, tensor, tidy, where, zeros,
} from '@dynconv/core';
import { DynamicConv2d } from '@dynconv/nn';
import { broadcastPairArb, expectParity, layoutArb, runs, shapeArb, values } from '@dynconv/testing';
import { modesUnderTest, runScale } from './helpers.js';

const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const small = { maxDims: 3, maxSize: 4 };

/** A float32 input of logical `shape` in a generated layout. */
const inputArb = (shape: readonly number[], domain: 'real' | 'positive' | 'nonzero' | 'unit' = 'real') =>
  fc.tuple(layoutArb(shape), seedArb).map(([layout, seed]) => ({ values: Float32Array.from(values(layout.baseShape, seed, domain)), baseShape: layout.baseShape, view: layout.view, kind: layout.kind }));

const UNARY: [string, (x: Tensor) => Tensor, 'real' | 'positive' | 'nonzero' | 'unit'][] = [
  ['neg', (x) => x.neg(), 'real'], ['exp', (x) => x.exp(), 'real'], ['log', (x) => x.log(), 'positive'], ['sqrt', (x) => x.sqrt(), 'positive'],
  ['rsqrt', (x) => x.rsqrt(), 'positive'], ['abs', (x) => x.abs(), 'nonzero'], ['sin', (x) => x.sin(), 'real'], ['cos', (x) => x.cos(), 'real'],
  ['tanh', (x) => x.tanh(), 'real'], ['sigmoid', (x) => x.sigmoid(), 'real'], ['relu', (x) => x.relu(), 'nonzero'], ['sign', (x) => x.sign(), 'nonzero'],
  ['erf', (x) => x.erf(), 'real'], ['log1p', (x) => x.log1p(), 'unit'], ['expm1', (x) => x.expm1(), 'real'], ['reciprocal', (x) => x.reciprocal(), 'nonzero'],
  ['floor', (x) => x.floor(), 'real'], ['ceil', (x) => x.ceil(), 'real'], ['round', (x) => x.round().add(x.mul(2).round()), 'real'],
];

const BINARY: [string, (a: Tensor, b: Tensor) => Tensor, 'real' | 'positive'][] = [
  ['add', (a, b) => a.add(b, 2), 'real'], ['sub', (a, b) => a.sub(b), 'real'], ['mul', (a, b) => a.mul(b), 'real'], ['div', (a, b) => a.div(b), 'positive'],
  ['pow', (a, b) => a.pow(b), 'positive'], ['maximum', (a, b) => a.maximum(b), 'real'], ['minimum', (a, b) => a.minimum(b), 'real'],
  ['comparisons + where', (a, b) => where(a.gt(b), a, b.mul(2)).add(a.eq(a).float()).add(a.le(b).float()).add(a.ne(b).int().float()), 'real'],
];

// An optional mode that is unavailable gets no suite (modesUnderTest has printed why); a
// required one fails.
for (const m of modesUnderTest().filter((m) => m.backend || m.required)) {
  describe(`gpu backend parity, mode ${m.mode}`, () => {
    if (!m.backend) {
      it(`mode ${m.mode} is available (required by DYNCONV_GPU_MODES)`, () => expect.fail(`mode ${m.mode} is not available: ${m.reason}`));
      return;
    }
    const name = m.name!;
    const r = (scale = 1) => runs(scale * runScale(m.mode));

    it('reports its mode and renderer; every kernel runs natively', () => {
      expect(m.backend!.mode).toBe(m.mode);
      expect(m.backend!.renderer.length).toBeGreaterThan(0);
      expect(m.backend!.nativeKernels.length).toBe(15);
    });

    it('unary ops, forward and gradient, over layouts', () => {
      fc.assert(
        fc.property(shapeArb(small).chain((s) => fc.tuple(fc.constant(s), seedArb, layoutArb(s))), ([shape, seed, layout]) => {
          for (const [op, f, domain] of UNARY) {
            try {
              expectParity(name, [{ values: Float32Array.from(values(layout.baseShape, seed, domain)), baseShape: layout.baseShape, view: layout.view }], f);
            } catch (e) {
              throw new Error(`${op} on ${layout.kind} ${JSON.stringify(shape)}: ${(e as Error).message}`);
            }
          }
        }),
        r(),
      );
    });

    it('binary ops with broadcasting over strided inputs', () => {
      fc.assert(
        fc.property(
          broadcastPairArb(small).chain(([sa, sb]) => fc.tuple(fc.constant([sa, sb]), layoutArb(sa), layoutArb(sb), seedArb)),
          ([[sa, sb], la, lb, seed]) => {
            for (const [op, f, domain] of BINARY) {
              try {
                expectParity(name, [
                  { values: Float32Array.from(values(la.baseShape, seed, domain)), baseShape: la.baseShape, view: la.view },
                  { values: Float32Array.from(values(lb.baseShape, seed + 1, domain)), baseShape: lb.baseShape, view: lb.view },
                ], f);
              } catch (e) {
                throw new Error(`${op} ${JSON.stringify(sa)} (${la.kind}) with ${JSON.stringify(sb)} (${lb.kind}): ${(e as Error).message}`);
              }
            }
          },
        ),
        r(),
      );
    });

    it('reductions: sum, mean, var, amax, amin, prod, argmax, logsumexp over dims', () => {
      fc.assert(
        fc.property(
          shapeArb({ minDims: 1, maxDims: 3, maxSize: 5 }).chain((s) => fc.tuple(fc.constant(s), inputArb(s), fc.subarray(s.map((_, i) => i), { minLength: 1 }), fc.boolean())),
          ([s, x, dims, keep]) => {
            const len = dims.reduce((p, d) => p * s[d]!, 1);
            expectParity(name, [x], (t) => [t.sum(dims, keep), t.mean(dims, keep), t.var(dims, { keepdim: keep }), t.amax(dims, keep), t.amin(dims, keep), t.logsumexp(dims, keep)], { reduce: len });
            expectParity(name, [x], (t) => [t.argmax(dims[0]!, keep).float(), t.argmin(dims[0]!).float(), t.max(dims[0]!).values], { reduce: len });
            // Prod has no op of its own: its kernel, called directly.
            const prodOf = (b: string) => {
              const bk = getBackend(b);
              const out = runKernel(bk, 'Reduce', 'Prod', tensor(x.values, { backend: b }).reshape([...x.baseShape]), [0], 'float32');
              const values = Array.from(bk.readSync(out));
              bk.dispose?.(out);
              return values;
            };
            const [pg, pc] = [prodOf(name), prodOf('cpu')];
            pc.forEach((v, i) => expect(Math.abs(pg[i]! - v)).toBeLessThanOrEqual(1e-5 * len + 1e-4 * Math.abs(v)));
          },
        ),
        r(),
      );
    });

    it('batched matmul over transposed and strided operands', () => {
      fc.assert(
        fc.property(
          fc.record({ B: fc.integer({ min: 0, max: 2 }), M: fc.integer({ min: 1, max: 5 }), K: fc.integer({ min: 1, max: 6 }), N: fc.integer({ min: 1, max: 5 }) }).chain(({ B, M, K, N }) => {
            const batch = B ? [B] : [];
            return fc.tuple(fc.constant(K), inputArb([...batch, M, K]), inputArb([...batch, K, N]));
          }),
          ([K, a, b]) => expectParity(name, [a, b], (x, y) => x.matmul(y), { reduce: K * 4 }),
        ),
        r(),
      );
      // A long inner dimension exercises the blocked (256-term) accumulation.
      expectParity(name, [{ values: Float32Array.from(values([3, 700], 1)), baseShape: [3, 700] }, { values: Float32Array.from(values([700, 2], 2)), baseShape: [700, 2] }], (x, y) => x.matmul(y), { reduce: 700 });
    });

    it('conv2d forward and both gradients (groups, stride, dilation, padding, strided inputs)', () => {
      fc.assert(
        fc.property(
          fc
            .record({
              N: fc.integer({ min: 1, max: 2 }), groups: fc.integer({ min: 1, max: 2 }), cPer: fc.integer({ min: 1, max: 2 }), kPer: fc.integer({ min: 1, max: 2 }),
              kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 2 }), dilation: fc.integer({ min: 1, max: 2 }),
              padding: fc.integer({ min: 0, max: 1 }), extra: fc.integer({ min: 0, max: 3 }), seed: seedArb, permuteX: fc.boolean(),
            })
            .map((c) => ({ ...c, C: c.groups * c.cPer, K: c.groups * c.kPer, H: c.dilation * (c.kh - 1) + 1 + c.extra, W: c.dilation * (c.kw - 1) + 1 + c.extra })),
          (c) => {
            const xShape = [c.N, c.C, c.H, c.W];
            const x = c.permuteX
              ? { values: Float32Array.from(values([c.N, c.H, c.W, c.C], c.seed)), baseShape: [c.N, c.H, c.W, c.C], view: (t: Tensor) => t.permute([0, 3, 1, 2]) }
              : { values: Float32Array.from(values(xShape, c.seed)), baseShape: xShape };
            const w = { values: Float32Array.from(values([c.K, c.cPer, c.kh, c.kw], c.seed + 1)), baseShape: [c.K, c.cPer, c.kh, c.kw] };
            const reduce = Math.max(c.cPer * c.kh * c.kw * 4, c.N * c.H * c.W);
            expectParity(name, [x, w], (a, b) => conv2d(a, b, null, { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups }), { reduce });
          },
        ),
        r(),
      );
    });

    it('pooling: max, average, adaptive average', () => {
      fc.assert(
        fc.property(fc.record({ N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 2, max: 7 }), k: fc.integer({ min: 1, max: 2 }), seed: seedArb }), (c) => {
          const x = { values: Float32Array.from(values([c.N, c.C, c.H, c.H + 1], c.seed)), baseShape: [c.N, c.C, c.H, c.H + 1] };
          expectParity(name, [x], (t) => [maxPool2d(t, c.k + 1, { stride: c.k, padding: c.k === 2 ? 1 : 0 }), avgPool2d(t, 2, { stride: 1 }), adaptiveAvgPool2d(t, 1)], { reduce: c.H * c.H });
        }),
        r(),
      );
    });

    it('softmax, logSoftmax and the pieces of batch, layer and group norm', () => {
      fc.assert(
        fc.property(fc.record({ N: fc.integer({ min: 2, max: 4 }), C: fc.integer({ min: 1, max: 4 }), S: fc.integer({ min: 1, max: 3 }), seed: seedArb }), (c) => {
          const x = { values: Float32Array.from(values([c.N, c.C * 2, c.S, c.S], c.seed)), baseShape: [c.N, c.C * 2, c.S, c.S] };
          const wb = (k: number) => ({ values: Float32Array.from(values([c.C * 2], c.seed + k)), baseShape: [c.C * 2] });
          const reduce = c.N * c.S * c.S * 8;
          expectParity(name, [x, wb(1), wb(2)], (t, w, b) => [
            t.softmax(1), logSoftmax(t, 0),
            batchNorm(t, zeros([c.C * 2], { backend: t.backend.name }), zeros([c.C * 2], { backend: t.backend.name }).add(1), w, b, true, 0.1, 1e-5),
            layerNorm(t, [c.S, c.S]), groupNorm(t, 2, w, b),
          ], { reduce });
        }),
        r(),
      );
    });

    it('losses, gather, indexSelect, scatterAdd, cat, pad, copy_ into views', () => {
      fc.assert(
        fc.property(fc.record({ N: fc.integer({ min: 1, max: 5 }), C: fc.integer({ min: 2, max: 5 }), seed: seedArb, smooth: fc.constantFrom(0, 0.1) }), (c) => {
          const labels = Float32Array.from({ length: c.N }, (_, i) => (i * 7 + c.seed) % c.C);
          const x = { values: Float32Array.from(values([c.N, c.C], c.seed)), baseShape: [c.N, c.C] };
          const lab = { values: labels, baseShape: [c.N], dtype: 'int32' as const, grad: false };
          const y = { values: Float32Array.from(values([c.N, c.C], c.seed + 3)), baseShape: [c.N, c.C] };
          expectParity(name, [x, lab, y], (t, l, u) => [
            crossEntropy(t, l, { labelSmoothing: c.smooth }), mseLoss(t, u),
            gather(t, 1, l.unsqueeze(1)), indexSelect(t, 1, l),
            scatterAdd(u, 1, l.unsqueeze(1).expand([c.N, 2]).contiguous(), t.narrow(1, 0, 2)),
            cat([t, u.t().t()], 1), pad(t, [1, 2, 0, 1]),
          ], { reduce: c.N * c.C });
          expectParity(name, [x], (t) => {
            const dst = zeros([c.N + 1, c.C + 2], { backend: t.backend.name });
            dst.narrow(1, 1, c.C).slice(0, 0, c.N).copy_(t.detach().mul(3));
            dst.t().select(0, 0).copy_(tensor(5, { backend: t.backend.name }));
            return dst;
          }, { backward: false });
        }),
        r(),
      );
    });

    it('DynamicConv2d (output and kernel fusion), forward and gradients', () => {
      for (const fusion of ['output', 'kernel'] as const) {
        const results = ['cpu', name].map((backend) =>
          tidy(() => {
            const layer = new DynamicConv2d(4, 6, 3, { padding: 1, groupSize: 3, fusion, generator: new Generator(5), backend });
            const x = tensor(Float32Array.from(values([2, 4, 6, 6], 9)), { backend }).reshape([2, 4, 6, 6]).detach().requiresGrad_();
            const y = layer.forward(x);
            y.mul(y).sum().backward();
            const out = [y, x.grad!, ...layer.parameters().map((p) => p.grad!)].map((t) => Float32Array.from(t.dataSync()));
            for (const p of layer.parameters()) p.grad?.dispose();
            x.grad!.dispose();
            return out;
          }),
        );
        results[0]!.forEach((want, k) => {
          const got = results[1]![k]!;
          want.forEach((e, i) => expect(Math.abs(got[i]! - e), `${fusion} fusion, result ${k}, element ${i}`).toBeLessThanOrEqual(1e-5 * 300 + 1e-4 * Math.abs(e)));
        });
      }
    });

    it('casts: int32 and bool are stored exactly', () => {
      expectParity(name, [{ values: Float32Array.from([-2.7, -0.5, 0, 0.5, 2.7, 16777216, -3]), baseShape: [7], grad: false }], (t) => [t.int().float(), t.bool().float(), t.int().add(1).float(), t.gt(0).int().sum().float()], { backward: false });
    });

    it('keeps data on the device between kernels and reads back only when asked', () => {
      const b = m.backend!;
      const before = b.ctx.readbacks;
      const y = tidy(() => {
        const x = tensor([[1, 2], [3, 4]], { backend: name });
        return x.matmul(x).exp().sum(0).relu();
      });
      expect(b.ctx.readbacks).toBe(before);
      expect(y.toArray()).toHaveLength(2);
      expect(b.ctx.readbacks).toBe(before + 1);
      y.dispose();
    });

    it('frees device memory deterministically: tidy and dispose bring the counters back', () => {
      const base = memory(name);
      const w = tidy(() => tensor(Float32Array.from(values([4, 3], 1)), { backend: name }).reshape([4, 3]).detach()).requiresGrad_();
      const afterW = memory(name);
      for (let step = 0; step < 5; step++) {
        tidy(() => {
          const x = tensor(Float32Array.from(values([2, 4], step)), { backend: name }).reshape([2, 4]);
          const loss = x.matmul(w).relu().pow(2).mean();
          loss.backward();
          noGrad(() => w.copy_(w.sub(w.grad!.mul(0.1))));
          w.grad!.dispose();
          w.grad = null;
        });
        expect(memory(name).numTextures).toBe(afterW.numTextures);
        expect(memory(name).numBytes).toBe(afterW.numBytes);
      }
      w.dispose();
      expect(memory(name).numTextures).toBe(base.numTextures);
      expect(memory(name).numBytes).toBe(base.numBytes);
    });

    it('refuses float64 clearly', () => {
      expect(() => tensor([1, 2], { dtype: 'float64', backend: name })).toThrow(/float64 tensors cannot live on the gpu backend .*float32 only/);
      expect(() => tensor([1, 2], { dtype: 'float64' }).to(name)).toThrow(/float64/);
      expect(() => tensor([1, 2], { backend: name }).double()).toThrow(/gpu backend: Copy needs float64/);
    });

    it('checks indices before a gather (never a silently wrong value)', () => {
      const x = tensor([[1, 2, 3]], { backend: name });
      const bad = tensor([[0, 3]], { dtype: 'int32', backend: name });
      expect(() => gather(x, 1, bad)).toThrow(/gather: index 3 is out of bounds for dim 1 with size 3/);
      const computed = tensor([[1, 2]], { backend: name }).mul(2).int(); // no known range: checked by a reduction
      expect(() => gather(x, 1, computed)).toThrow(/gather: index 4 is out of bounds/);
    });

    it('refuses outputs larger than float32 indexing (or the texture) allows, before launching', () => {
      expect(() => zeros([4096, 4097], { backend: name })).toThrow(/gpu backend: fill would produce 16781312 elements/);
    });
  });
}
