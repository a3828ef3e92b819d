import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, fromTypedArray, maxPool2d, randn, tensor, type Tensor, tidy } from '../src/index.js';
import { setSimdPool } from '../src/cpu/simd-pool.js';
import { checkGradients, expectClose, inputArb, runs } from '@dynconv/testing';

interface PoolCase { N: number; C: number; H: number; W: number; k: [number, number]; s: [number, number]; p: [number, number]; d: [number, number]; ceil: boolean }

const poolCaseArb: fc.Arbitrary<PoolCase> = fc
  .record({
    N: fc.integer({ min: 1, max: 3 }), C: fc.integer({ min: 1, max: 4 }),
    k: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    pHalf: fc.tuple(fc.boolean(), fc.boolean()),
    d: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    extra: fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })),
    ceil: fc.boolean(),
  })
  .map((r) => {
    const p: [number, number] = [r.pHalf[0] ? r.k[0] >> 1 : 0, r.pHalf[1] ? r.k[1] >> 1 : 0];
    const need = (k: number, d: number, pp: number) => Math.max(1, d * (k - 1) + 1 - 2 * pp);
    return { N: r.N, C: r.C, k: r.k, s: r.s, p, d: r.d, ceil: r.ceil, H: need(r.k[0], r.d[0], p[0]) + r.extra[0], W: need(r.k[1], r.d[1], p[1]) + r.extra[1] };
  });

/** PyTorch's output size rule, written out independently for the reference. */
function outSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const num = n + 2 * p - d * (k - 1) - 1;
  let o = Math.floor(num / s) + 1;
  if (ceil) {
    o = Math.ceil(num / s) + 1;
    if ((o - 1) * s >= n + p) o--;
  }
  return o;
}

function refMaxPool(x: Tensor, c: PoolCase): { values: number[]; indices: number[]; shape: number[] } {
  const xd = x.dataSync();
  const Ho = outSize(c.H, c.k[0], c.s[0], c.p[0], c.d[0], c.ceil);
  const Wo = outSize(c.W, c.k[1], c.s[1], c.p[1], c.d[1], c.ceil);
  const values: number[] = [], indices: number[] = [];
  for (let nc = 0; nc < c.N * c.C; nc++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++) {
        let best = -Infinity, at = -1;
        for (let a = 0; a < c.k[0]; a++)
          for (let b = 0; b < c.k[1]; b++) {
            const h = i * c.s[0] - c.p[0] + a * c.d[0], w = j * c.s[1] - c.p[1] + b * c.d[1];
            if (h < 0 || h >= c.H || w < 0 || w >= c.W) continue;
            const v = xd[nc * c.H * c.W + h * c.W + w]!;
            if (v > best || at < 0) { best = v; at = h * c.W + w; }
          }
        values.push(best);
        indices.push(at);
      }
  return { values, indices, shape: [c.N, c.C, Ho, Wo] };
}

function refAvgPool(x: Tensor, c: PoolCase, includePad: boolean): number[] {
  const xd = x.dataSync();
  const Ho = outSize(c.H, c.k[0], c.s[0], c.p[0], 1, c.ceil);
  const Wo = outSize(c.W, c.k[1], c.s[1], c.p[1], 1, c.ceil);
  const out: number[] = [];
  for (let nc = 0; nc < c.N * c.C; nc++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++) {
        let h0 = i * c.s[0] - c.p[0], w0 = j * c.s[1] - c.p[1];
        let h1 = Math.min(h0 + c.k[0], c.H + c.p[0]), w1 = Math.min(w0 + c.k[1], c.W + c.p[1]);
        const size = (h1 - h0) * (w1 - w0);
        h0 = Math.max(h0, 0); w0 = Math.max(w0, 0); h1 = Math.min(h1, c.H); w1 = Math.min(w1, c.W);
        let sum = 0;
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) sum += xd[nc * c.H * c.W + h * c.W + w]!;
        out.push(sum / (includePad ? size : (h1 - h0) * (w1 - w0)));
      }
  return out;
}

const withInput = <T extends { N: number; C: number; H: number; W: number }>(arb: fc.Arbitrary<T>) =>
  arb.chain((c) => fc.tuple(fc.constant(c), inputArb([c.N, c.C, c.H, c.W])));

describe('maxPool2d', () => {
  it('matches a direct reference (values and indices) for generated configurations and layouts', () => {
    fc.assert(
      fc.property(withInput(poolCaseArb), ([c, xi]) => {
        const x = xi.view();
        const r = refMaxPool(x, c);
        if (r.values.some((v) => v === -Infinity)) {
          expect(() => maxPool2d(x, c.k, { stride: c.s, padding: c.p, dilation: c.d, ceilMode: c.ceil })).toThrow(/maxPool2d: some windows lie entirely in the padding/);
          return;
        }
        const { values, indices } = maxPool2d(x, c.k, { stride: c.s, padding: c.p, dilation: c.d, ceilMode: c.ceil, returnIndices: true });
        expect(values.shape).toEqual(r.shape);
        expectClose(values.dataSync(), r.values, { rtol: 0, atol: 0 });
        // Layouts may repeat values (expanded), so compare the values at the indices instead of the indices.
        const plane = x.reshape([c.N * c.C, c.H * c.W]).dataSync();
        [...indices.dataSync()].forEach((at, q) => expect(plane[Math.floor(q / (r.values.length / (c.N * c.C))) * c.H * c.W + at]).toBe(r.values[q]));
      }),
      runs(3),
    );
  });

  it('sends the gradient to the selected element (gradcheck, gradgradcheck)', () => {
    fc.assert(
      fc.property(withInput(poolCaseArb), ([c, xi]) => {
        if (refMaxPool(xi.view(), c).values.some((v) => v === -Infinity)) return;
        checkGradients((x) => maxPool2d(xi.view(x), c.k, { stride: c.s, padding: c.p, dilation: c.d, ceilMode: c.ceil }), [xi.leaf], { second: true });
      }),
      runs(2),
    );
  });

  it('rejects padding over half the kernel and empty outputs', () => {
    expect(() => maxPool2d(randn([1, 1, 4, 4]), 2, { padding: 2 })).toThrow(/maxPool2d: padding \[2, 2\] must be at most half/);
    expect(() => maxPool2d(randn([1, 1, 2, 2]), 3)).toThrow(/maxPool2d: output size would be 0x0/);
    expect(() => maxPool2d(tensor([1, 2, 3]), 1)).toThrow(/maxPool2d: expects input of shape/);
  });
});

describe('avgPool2d', () => {
  it('matches PyTorch\'s divisor rules (countIncludePad, ceilMode) for generated configurations', () => {
    fc.assert(
      fc.property(withInput(poolCaseArb.map((c) => ({ ...c, d: [1, 1] as [number, number] }))), fc.boolean(), ([c, xi], includePad) => {
        const x = xi.view();
        const y = avgPool2d(x, c.k, { stride: c.s, padding: c.p, ceilMode: c.ceil, countIncludePad: includePad });
        expectClose(y.dataSync(), refAvgPool(x, c, includePad), { rtol: 1e-12, atol: 1e-12 });
      }),
      runs(3),
    );
  });

  it('passes gradcheck and gradgradcheck, and honours divisorOverride', () => {
    fc.assert(
      fc.property(withInput(poolCaseArb.map((c) => ({ ...c, d: [1, 1] as [number, number] }))), fc.boolean(), ([c, xi], includePad) => {
        checkGradients((x) => avgPool2d(xi.view(x), c.k, { stride: c.s, padding: c.p, ceilMode: c.ceil, countIncludePad: includePad }), [xi.leaf], { second: true });
      }),
      runs(2),
    );
    const x = randn([1, 1, 4, 4], { dtype: 'float64' });
    expectClose(avgPool2d(x, 2, { divisorOverride: 3 }).dataSync(), avgPool2d(x, 2).mul(4 / 3).dataSync());
  });
});

function adaptiveRef(x: Tensor, N: number, C: number, H: number, W: number, Ho: number, Wo: number, max: boolean): number[] {
  const xd = x.dataSync();
  const out: number[] = [];
  for (let nc = 0; nc < N * C; nc++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++) {
        const h0 = Math.floor((i * H) / Ho), h1 = Math.ceil(((i + 1) * H) / Ho);
        const w0 = Math.floor((j * W) / Wo), w1 = Math.ceil(((j + 1) * W) / Wo);
        let acc = max ? -Infinity : 0;
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) {
          const v = xd[nc * H * W + h * W + w]!;
          acc = max ? Math.max(acc, v) : acc + v;
        }
        out.push(max ? acc : acc / ((h1 - h0) * (w1 - w0)));
      }
  return out;
}

const adaptiveArb = fc
  .record({ N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 7 }), W: fc.integer({ min: 1, max: 7 }), Ho: fc.integer({ min: 1, max: 5 }), Wo: fc.integer({ min: 1, max: 5 }) });

describe('adaptive pooling', () => {
  it('adaptiveAvgPool2d and adaptiveMaxPool2d match the window rule floor(i*in/out)..ceil((i+1)*in/out)', () => {
    fc.assert(
      fc.property(withInput(adaptiveArb), ([c, xi]) => {
        const x = xi.view();
        expectClose(adaptiveAvgPool2d(x, [c.Ho, c.Wo]).dataSync(), adaptiveRef(x, c.N, c.C, c.H, c.W, c.Ho, c.Wo, false), { rtol: 1e-12, atol: 1e-12 });
        expectClose(adaptiveMaxPool2d(x, [c.Ho, c.Wo]).dataSync(), adaptiveRef(x, c.N, c.C, c.H, c.W, c.Ho, c.Wo, true), { rtol: 0, atol: 0 });
      }),
      runs(3),
    );
  });

  it('pass gradcheck and gradgradcheck (global average pooling included)', () => {
    fc.assert(
      fc.property(withInput(adaptiveArb), fc.boolean(), ([c, xi], global) => {
        const size: [number, number] = global ? [1, 1] : [c.Ho, c.Wo];
        checkGradients((x) => adaptiveAvgPool2d(xi.view(x), size), [xi.leaf], { second: true });
        checkGradients((x) => adaptiveMaxPool2d(xi.view(x), size), [xi.leaf], { second: true });
      }),
      runs(2),
    );
  });

  it('global average pooling is the spatial mean; null keeps a size; bad sizes fail clearly', () => {
    const x = randn([2, 3, 4, 5], { dtype: 'float64' });
    expectClose(adaptiveAvgPool2d(x, 1).dataSync(), x.mean([2, 3]).dataSync());
    expect(adaptiveAvgPool2d(x, [null, 2]).shape).toEqual([2, 3, 4, 2]);
    expect(() => adaptiveAvgPool2d(x, 0)).toThrow(/adaptiveAvgPool2d: outputSize must be a positive integer/);
  });
});

afterEach(() => void setSimdPool(true));

describe('maxPool2d: WebAssembly scan = JavaScript scan', () => {
  it('gives the same indices and values over kernels, strides, padding, dilation, ties, NaN and infinities', () => {
    fc.assert(
      fc.property(
        fc.record({
          N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 9 }), W: fc.integer({ min: 1, max: 9 }),
          k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), p: fc.integer({ min: 0, max: 1 }), d: fc.integer({ min: 1, max: 2 }), ceil: fc.boolean(),
        }),
        fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(NaN, Infinity, -Infinity)), { minLength: 1, maxLength: 30 }),
        ({ N, C, H, W, k, s, p, d, ceil }, pool) => {
          fc.pre(2 * p <= k && d * (k - 1) + 1 <= H + 2 * p && d * (k - 1) + 1 <= W + 2 * p);
          const n = N * C * H * W;
          const values = Float32Array.from({ length: n }, (_, i) => pool[i % pool.length]!);
          const run = (wasm: boolean) =>
            tidy(() => {
              const old = setSimdPool(wasm);
              try {
                const x = fromTypedArray(values, [N, C, H, W], 'float32');
                const { values: v, indices } = maxPool2d(x, k, { stride: s, padding: p, dilation: d, ceilMode: ceil, returnIndices: true });
                return [Array.from(v.dataSync()), Array.from(indices.dataSync())];
              } catch (e) {
                return [String(e)];
              } finally {
                setSimdPool(old);
              }
            });
          expect(run(true)).toEqual(run(false)); // values (NaN equal to NaN), indices, or the same error
        },
      ),
      runs(4),
    );
  });
});
