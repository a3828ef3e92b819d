/**
 * Property tests of interpolate: nearest and bilinear (alignCorners both ways, size or
 * scaleFactor) against a per-pixel reference written from PyTorch's formulas, and gradients
 * (first and second order) with the input in a generated layout.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interpolate, type InterpolateOptions, randn, tensor } from '../src/index.js';
import { checkGradients, expectClose, inputArb, runs } from '@dynconv/testing';

const optsArb: fc.Arbitrary<InterpolateOptions> = fc.tuple(
  fc.constantFrom<'nearest' | 'bilinear'>('nearest', 'bilinear'),
  fc.boolean(),
  fc.oneof(
    fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 })).map((size) => ({ size })),
    fc.tuple(fc.constantFrom(0.5, 1, 1.5, 2, 3), fc.constantFrom(0.75, 2, 2.5)).map((scaleFactor) => ({ scaleFactor })),
  ),
).map(([mode, align, sizing]) => ({ mode, ...sizing, ...(mode === 'bilinear' ? { alignCorners: align } : {}) }));

const caseArb = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), optsArb)
  .filter(([, , h, w, o]) => o.size !== undefined || (Math.floor(h * (o.scaleFactor as readonly number[])[0]!) >= 1 && Math.floor(w * (o.scaleFactor as readonly number[])[1]!) >= 1))
  .chain(([n, c, h, w, o]) => fc.tuple(inputArb([n, c, h, w]), fc.constant(o)));

/** Output size and the source coordinate of output position o along one axis, PyTorch's way. */
function axis(inSize: number, o: InterpolateOptions, a: 0 | 1): { out: number; src: (i: number) => number } {
  const factor = o.scaleFactor !== undefined ? (o.scaleFactor as readonly number[])[a]! : undefined;
  const out = o.size !== undefined ? (o.size as readonly number[])[a]! : Math.floor(inSize * factor!);
  const scale = factor !== undefined ? 1 / factor : inSize / out;
  if (o.mode === 'nearest') return { out, src: (i) => Math.min(Math.floor(Math.fround(i * Math.fround(scale))), inSize - 1) };
  if (o.alignCorners) return { out, src: (i) => (out > 1 ? (i * (inSize - 1)) / (out - 1) : 0) };
  return { out, src: (i) => Math.max((i + 0.5) * scale - 0.5, 0) };
}

describe('interpolate', () => {
  it('matches a per-pixel reference (nearest: floor; bilinear: the four neighbours)', () => {
    fc.assert(
      fc.property(caseArb, ([inp, o]) => {
        const x = inp.view();
        const [N, C, H, W] = x.shape as [number, number, number, number];
        const ah = axis(H, o, 0);
        const aw = axis(W, o, 1);
        const xv = x.dataSync();
        const at = (n: number, c: number, h: number, w: number) => xv[((n * C + c) * H + h) * W + w]!;
        const expected: number[] = [];
        for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < ah.out; i++) for (let j = 0; j < aw.out; j++) {
          const sh = ah.src(i);
          const sw = aw.src(j);
          if (o.mode === 'nearest') {
            expected.push(at(n, c, sh, sw));
            continue;
          }
          const h0 = Math.min(Math.floor(sh), H - 1);
          const w0 = Math.min(Math.floor(sw), W - 1);
          const [h1, w1] = [Math.min(h0 + 1, H - 1), Math.min(w0 + 1, W - 1)];
          const [lh, lw] = [sh - h0, sw - w0];
          expected.push((1 - lh) * ((1 - lw) * at(n, c, h0, w0) + lw * at(n, c, h0, w1)) + lh * ((1 - lw) * at(n, c, h1, w0) + lw * at(n, c, h1, w1)));
        }
        const y = interpolate(x, o);
        expect(y.shape).toEqual([N, C, ah.out, aw.out]);
        expectClose(y.dataSync(), expected, { rtol: 1e-12, atol: 1e-12 });
      }),
      runs(),
    );
  });

  it('passes gradcheck and gradgradcheck', () => {
    fc.assert(
      fc.property(caseArb, ([inp, o]) => {
        checkGradients((l) => interpolate(inp.view(l), o), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('hand-checked examples; unbatched input; bad options are refused', () => {
    const x = tensor([[[[1, 2], [3, 4]]]], { dtype: 'float64' });
    expect(interpolate(x, { scaleFactor: 2 }).toArray()).toEqual([[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]);
    expect(interpolate(x, { size: [1, 3], mode: 'bilinear', alignCorners: true }).toArray()).toEqual([[[[1, 1.5, 2]]]]);
    expect(interpolate(x, { size: 1, mode: 'bilinear' }).toArray()).toEqual([[[[2.5]]]]);
    expect(interpolate(randn([2, 3, 3]), { size: [5, 4] }).shape).toEqual([2, 5, 4]);
    expect(() => interpolate(x, {})).toThrow(/interpolate: give exactly one of size and scaleFactor/);
    expect(() => interpolate(x, { size: 2, scaleFactor: 2 })).toThrow(/exactly one/);
    expect(() => interpolate(x, { size: 2, mode: 'bicubic' as 'nearest' })).toThrow(/interpolate: mode must be 'nearest' or 'bilinear', got "bicubic"/);
    expect(() => interpolate(x, { size: 2, alignCorners: true })).toThrow(/alignCorners only applies to mode 'bilinear'/);
    expect(() => interpolate(x, { scaleFactor: 0.25 })).toThrow(/output size would be 0x0 for input \[1, 1, 2, 2\]/);
    expect(() => interpolate(tensor([1, 2], { dtype: 'float64' }), { size: 2 })).toThrow(/interpolate: expects input of shape \[N, C, H, W\]/);
  });
});
