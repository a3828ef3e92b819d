/**
 * The unrolled depthwise 3x3 loops (cpu/depthwise3x3.ts) against the reference backend:
 * forward, input and filter gradients over strides, asymmetric paddings, channel multipliers
 * and map sizes, in float64 and float32; and the WebAssembly sweep (cpu/simd-depthwise.ts)
 * gives the same bits as the JavaScript one.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { conv2d, Generator, grad, randn, tidy } from '../src/index.js';
import { depthwiseKernels, setSimdDepthwise } from '../src/cpu/simd-depthwise.js';
import { expectClose, runs } from '@dynconv/testing';

/** Images, channels with a multiplier, map sizes up to `maxSize`, strides 1-2, asymmetric padding [top, bottom, left, right]. */
const geometryArb = (maxSize: number) =>
  fc.record({
    N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), mult: fc.integer({ min: 1, max: 2 }),
    H: fc.integer({ min: 1, max: maxSize }), W: fc.integer({ min: 1, max: maxSize }), stride: fc.constantFrom(1, 2),
    pad: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
    seed: fc.integer({ min: 0, max: 1e6 }),
  });

describe('depthwise 3x3 on the CPU = reference', () => {
  it('forward and both gradients', () => {
    fc.assert(
      fc.property(
        geometryArb(7),
        fc.constantFrom('float32', 'float64' as const),
        ({ N, C, mult, H, W, stride, pad, seed }, dtype) => {
          // Explicit padding [top, bottom, left, right]; skip sizes whose output would be empty.
          const Ho = Math.floor((H + pad[0] + pad[1] - 3) / stride) + 1;
          const Wo = Math.floor((W + pad[2] + pad[3] - 3) / stride) + 1;
          fc.pre(Ho >= 1 && Wo >= 1);
          const run = (backend: string) => {
            const g = new Generator(seed);
            const x = randn([N, C, H, W], { generator: g, dtype, backend }).requiresGrad_();
            const w = randn([C * mult, 1, 3, 3], { generator: g, dtype, backend }).requiresGrad_();
            const y = conv2d(x, w, null, { stride, padding: pad as unknown as [number, number], groups: C });
            const probe = randn(y.shape, { generator: g, dtype, backend });
            const [dx, dw] = grad(y.mul(probe).sum(), [x, w]);
            return [y, dx!, dw!].map((t) => Array.from(t.dataSync()));
          };
          const fast = run('cpu');
          const ref = run('reference');
          const [rt, at] = dtype === 'float64' ? [1e-12, 1e-12] : [1e-5, 1e-5];
          fast.forEach((f, i) => expectClose(f, ref[i]!, { rtol: rt, atol: at }));
          expect(fast[0]!.length).toBe(N * C * mult * Ho * Wo);
        },
      ),
      runs(2),
    );
  });
});

afterEach(() => void setSimdDepthwise(true));

describe('depthwise 3x3: WebAssembly sweep = JavaScript sweep', () => {
  it('gives the same bits for the forward and the input gradient (float32 in wasm memory)', () => {
    expect(depthwiseKernels()).not.toBeNull();
    fc.assert(
      fc.property(
        geometryArb(9),
        ({ N, C, mult, H, W, stride, pad, seed }) => {
          fc.pre(Math.floor((H + pad[0] + pad[1] - 3) / stride) >= 0 && Math.floor((W + pad[2] + pad[3] - 3) / stride) >= 0);
          const run = (wasm: boolean) =>
            tidy(() => {
              const old = setSimdDepthwise(wasm);
              try {
                const g = new Generator(seed);
                const x = randn([N, C, H, W], { generator: g }).requiresGrad_();
                const w = randn([C * mult, 1, 3, 3], { generator: g });
                const y = conv2d(x, w, null, { stride, padding: pad as unknown as [number, number], groups: C });
                const [dx] = grad(y.mul(randn(y.shape, { generator: g })).sum(), [x]);
                return [y, dx!].map((t) => Array.from(t.dataSync()));
              } finally {
                setSimdDepthwise(old);
              }
            });
          const [a, b] = [run(true), run(false)];
          a.forEach((v, i) => expect(v.every((e, k) => Object.is(e, b[i]![k])), `output ${i}`).toBe(true));
        },
      ),
      runs(3),
    );
  });
});
