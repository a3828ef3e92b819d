/**
 * The CPU convolution's column copies: the WebAssembly im2col / col2im (cpu/simd-im2col.ts)
 * give the same bits as the JavaScript loops (cpu/im2col.ts), and both agree with the reference
 * backend, for forward, input and filter gradients over generated geometries (groups, strides,
 * asymmetric padding, dilation, several images per GEMM).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { conv2d, Generator, grad, randn, type Tensor, tidy } from '../src/index.js';
import { paddedPlane } from '../src/cpu/im2col.js';
import { setSimdIm2col, wasmColumns } from '../src/cpu/simd-im2col.js';
import { geometry } from '../src/cpu/conv-geometry.js';
import { wasmHeap } from '../src/cpu/wasm-heap.js';
import { type ConvGeometry, convGeometryArb, expectClose, runs } from '@dynconv/testing';

afterEach(() => void setSimdIm2col(true));

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]) || (Number.isNaN(v) && Number.isNaN(b[i]!)));

/** y, dx, dw of a convolution with a random probe, as plain arrays. */
function convAndGrads(c: ConvGeometry, N: number, seed: number, dtype: 'float32' | 'float64', backend: string, outside = false): number[][] {
  const g = new Generator(seed);
  // Made outside tidy, x and w live in ordinary memory: the wasm loops stage them.
  const made = outside ? [randn([N, ...c.inShape.slice(1)], { generator: g, dtype, backend }).requiresGrad_(), randn(c.filterShape, { generator: g, dtype, backend }).requiresGrad_()] : null;
  return tidy(() => {
    const x = made?.[0] ?? randn([N, ...c.inShape.slice(1)], { generator: g, dtype, backend }).requiresGrad_();
    const w = made?.[1] ?? randn(c.filterShape, { generator: g, dtype, backend }).requiresGrad_();
    const y: Tensor = conv2d(x, w, null, { stride: c.stride, padding: c.padding as unknown as [number, number], dilation: c.dilation, groups: c.groups });
    const probe = randn(y.shape, { generator: g, dtype, backend });
    const [dx, dw] = grad(y.mul(probe).sum(), [x, w]);
    return [y, dx!, dw!].map((t) => Array.from(t.dataSync()));
  });
}

const caseArb = fc.record({ geo: convGeometryArb(8), N: fc.integer({ min: 1, max: 5 }), seed: fc.integer({ min: 0, max: 1e6 }), outside: fc.boolean() });

describe('im2col / col2im on the CPU', () => {
  it('WebAssembly and JavaScript give the same bits (float32), for the forward and both gradients, inputs in wasm memory or staged', () => {
    fc.assert(
      fc.property(caseArb, ({ geo, N, seed, outside }) => {
        const wasm = convAndGrads(geo, N, seed, 'float32', 'cpu', outside);
        setSimdIm2col(false);
        const js = convAndGrads(geo, N, seed, 'float32', 'cpu', outside);
        setSimdIm2col(true);
        wasm.forEach((a, i) => expect(sameBits(a, js[i]!), `output ${i}`).toBe(true));
      }),
      runs(4),
    );
  });

  it('the JavaScript loops match the reference backend (float64 and float32)', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom('float32', 'float64' as const), ({ geo, N, seed }, dtype) => {
        setSimdIm2col(false);
        const js = convAndGrads(geo, N, seed, dtype, 'cpu');
        setSimdIm2col(true);
        const ref = convAndGrads(geo, N, seed, dtype, 'reference');
        const tol = dtype === 'float64' ? 1e-12 : 1e-5;
        js.forEach((a, i) => expectClose(a, ref[i]!, { rtol: tol, atol: tol, label: `output ${i}` }));
      }),
      runs(2),
    );
  });

  it('run in WebAssembly only for float32 arrays in wasm memory', () => {
    const heap = wasmHeap()!;
    const g = geometry([2, 3, 5, 5], [4, 3, 3, 3], [2, 4, 5, 5], { stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1, outHeight: 5, outWidth: 5 } as never);
    const pp = paddedPlane(g);
    const f32 = (n: number) => heap.view('float32', n, true)!;
    expect(wasmColumns(g, pp, f32(150), f32(27 * 50), f32(pp.Hp * pp.Wp), f32(25))).not.toBeNull();
    expect(wasmColumns(g, pp, new Float32Array(150), f32(27 * 50), f32(pp.Hp * pp.Wp), f32(25))).toBeNull();
    expect(wasmColumns(g, pp, heap.view('float64', 150, true)!, f32(27 * 50), f32(pp.Hp * pp.Wp), f32(25))).toBeNull();
    setSimdIm2col(false);
    expect(wasmColumns(g, pp, f32(150), f32(27 * 50), f32(pp.Hp * pp.Wp), f32(25))).toBeNull();
  });
});
