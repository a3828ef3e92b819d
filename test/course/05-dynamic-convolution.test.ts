/**
 * Solutions to the exercises of docs/course/05-dynamic-convolution.md. Each test states its
 * exercise and solves it. Everything runs in float64 on tiny tensors, so the file takes a few
 * seconds at most. DYNCONV_NUM_RUNS sets the cases per property (default 12), DYNCONV_SEED
 * replays one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv2d, type Conv2dOptions, Generator, grad, gradcheck, gradgradcheck, noGrad, ones, rand, randn, type Tensor } from '@dynconv/core';
import { DynamicConv2d, dynamicConvCost, kernelFusionConv2d, outputFusionConv2d } from '@dynconv/nn';

const NUM_RUNS = Number(process.env.DYNCONV_NUM_RUNS ?? 12);
const runs = (): fc.Parameters<unknown> => ({ numRuns: NUM_RUNS, ...(process.env.DYNCONV_SEED ? { seed: Number(process.env.DYNCONV_SEED) } : {}) });

const f64 = (shape: number[], g: Generator) => randn(shape, { dtype: 'float64', generator: g });
/** Coefficients in (0, 1), as a sigmoid would give. */
const coefficients = (shape: number[], g: Generator) => rand(shape, { dtype: 'float64', generator: g });

function expectClose(actual: Tensor, expected: Tensor, tol = 1e-10): void {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.dataSync();
  const b = expected.dataSync();
  let scale = 1;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!), `element ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol * scale);
}

/** A small dynamic-conv geometry: channels divisible by groups, an input big enough for a non-empty output. */
interface Geometry {
  N: number;
  cin: number;
  cout: number;
  groups: number;
  k: [number, number];
  g: number;
  H: number;
  W: number;
  opts: Conv2dOptions;
  seed: number;
}

const geometryArb: fc.Arbitrary<Geometry> = fc
  .record({
    N: fc.integer({ min: 1, max: 3 }),
    groups: fc.integer({ min: 1, max: 2 }),
    cinPer: fc.integer({ min: 1, max: 2 }),
    coutPer: fc.integer({ min: 1, max: 2 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    g: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    padding: fc.integer({ min: 0, max: 1 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    extraH: fc.integer({ min: 0, max: 2 }),
    extraW: fc.integer({ min: 0, max: 2 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map((r) => {
    // The smallest input side that leaves an output of at least one pixel.
    const minSide = (k: number) => Math.max(1, r.dilation * (k - 1) + 1 - 2 * r.padding);
    return {
      N: r.N, cin: r.groups * r.cinPer, cout: r.groups * r.coutPer, groups: r.groups, k: [r.kh, r.kw] as [number, number], g: r.g,
      H: minSide(r.kh) + r.extraH, W: minSide(r.kw) + r.extraW,
      opts: { stride: r.stride, padding: r.padding, dilation: r.dilation, groups: r.groups }, seed: r.seed,
    };
  });

/** x [N, cin, H, W], weight [cout * g, cin / groups, kh, kw], eta [N, cout * g]. */
function tensorsOf(c: Geometry) {
  const gen = new Generator(c.seed);
  return {
    x: f64([c.N, c.cin, c.H, c.W], gen),
    weight: f64([c.cout * c.g, c.cin / c.groups, ...c.k], gen),
    eta: coefficients([c.N, c.cout * c.g], gen),
  };
}

describe('chapter 5 exercises: dynamic convolution', () => {
  it('exercise 1: output fusion and kernel fusion (batched and loop) agree in float64 for any geometry', () => {
    // conv(x, sum_k a_k W_k) = sum_k a_k conv(x, W_k): the left side is kernel fusion, the right output fusion.
    fc.assert(
      fc.property(geometryArb, (c) => {
        const { x, weight, eta } = tensorsOf(c);
        const out = outputFusionConv2d(x, weight, eta, c.g, c.opts);
        expect(out.shape[0]).toBe(c.N);
        expect(out.shape[1]).toBe(c.cout);
        expectClose(kernelFusionConv2d(x, weight, eta, c.g, c.opts, 'batched'), out);
        expectClose(kernelFusionConv2d(x, weight, eta, c.g, c.opts, 'loop'), out);
      }),
      runs(),
    );
  });

  it('exercise 2: dL/d eta[n, o*g+k] = <dL/dy[n, o], conv(x, W_k)[n, o*g+k]> on both paths', () => {
    fc.assert(
      fc.property(geometryArb, (c) => {
        const { x, weight, eta } = tensorsOf(c);
        const leaf = eta.detach().requiresGrad_();
        // The fixed kernels' own outputs O_k: output fusion's first step, [N, cout * g, Ho, Wo].
        const O = conv2d(x, weight, null, c.opts);
        const [, , Ho, Wo] = O.shape as [number, number, number, number];
        const G = f64([c.N, c.cout, Ho, Wo], new Generator(c.seed + 1)); // dL/dy of L = sum(y * G)
        // By hand: for each image n, channel o and kernel k, the inner product of G[n, o] and O[n, o*g+k].
        const Gd = G.dataSync();
        const Od = O.dataSync();
        const P = Ho * Wo;
        const byHand = new Float64Array(c.N * c.cout * c.g);
        for (let n = 0; n < c.N; n++) {
          for (let o = 0; o < c.cout; o++) {
            for (let k = 0; k < c.g; k++) {
              let s = 0;
              for (let p = 0; p < P; p++) s += Gd[(n * c.cout + o) * P + p]! * Od[(n * c.cout * c.g + o * c.g + k) * P + p]!;
              byHand[n * c.cout * c.g + o * c.g + k] = s;
            }
          }
        }
        for (const path of [outputFusionConv2d, kernelFusionConv2d]) {
          const [dEta] = grad(path(x, weight, leaf, c.g, c.opts).mul(G).sum(), [leaf]);
          const got = dEta!.dataSync();
          const scale = Math.max(1, ...byHand.map(Math.abs));
          byHand.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThanOrEqual(1e-10 * scale));
        }
      }),
      runs(),
    );
  });

  it('exercise 2, continued: both paths pass gradcheck and gradgradcheck (float64) in x and eta', () => {
    const gen = new Generator(5);
    const x = f64([2, 2, 4, 4], gen).requiresGrad_();
    const weight = f64([3 * 2, 2, 3, 3], gen); // cout 3, g 2
    const eta = coefficients([2, 6], gen).requiresGrad_();
    const opts: Conv2dOptions = { padding: 1, stride: 2 };
    for (const path of [outputFusionConv2d, kernelFusionConv2d]) {
      const fn = (a: Tensor, e: Tensor) => path(a, weight, e, 2, opts);
      expect(gradcheck(fn, [x, eta])).toBe(true);
      // The layer is bilinear in (x, eta): its mixed second derivatives are not zero.
      expect(gradgradcheck(fn, [x, eta])).toBe(true);
    }
  });

  it('exercise 3: with groupSize 1 and all coefficients 1, DynamicConv2d is conv2d with the same weight and bias', () => {
    fc.assert(
      fc.property(geometryArb, (c) => {
        const layer = new DynamicConv2d(c.cin, c.cout, c.k, {
          ...c.opts, groupSize: 1, predictor: 'external', dtype: 'float64', generator: new Generator(c.seed),
        });
        const x = f64([c.N, c.cin, c.H, c.W], new Generator(c.seed + 1));
        const expected = noGrad(() => conv2d(x, layer.weight, layer.bias, c.opts));
        for (const fusion of ['output', 'kernel'] as const) {
          layer.fusion = fusion;
          expectClose(layer.forward(x, ones([c.N, c.cout], { dtype: 'float64' })), expected, 1e-12);
        }
      }),
      runs(),
    );
  });

  it('exercise 4: at batch 1 kernel fusion convolves with 1/g of the multiply-adds, and its mixing cost does not depend on the image size', () => {
    fc.assert(
      fc.property(geometryArb, fc.integer({ min: 0, max: 20 }), (c, grow) => {
        const layer = new DynamicConv2d(c.cin, c.cout, c.k, { ...c.opts, groupSize: c.g });
        const small = dynamicConvCost(layer, [1, c.cin, c.H, c.W]);
        const large = dynamicConvCost(layer, [1, c.cin, c.H + grow, c.W + 2 * grow]);
        const K = (c.cin / c.groups) * c.k[0] * c.k[1];
        for (const cost of [small, large]) {
          expect(cost.kernel.conv * c.g).toBe(cost.output.conv);
          // Mixing: every one of the cout * g kernels' K weights is multiplied by its coefficient once.
          expect(cost.kernel.fusion).toBe(c.cout * c.g * K);
        }
        // Output fusion's mixing grows with the output size; kernel fusion's does not.
        expect(large.kernel.fusion).toBe(small.kernel.fusion);
        const [, , Ho, Wo] = large.outputShape;
        expect(large.output.fusion).toBe(c.cout * c.g * Ho * Wo);
      }),
      runs(),
    );
  });
});
