import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv2d, convTranspose2d, randn, Generator, type Conv2dOptions, type Tensor } from '../src/index.js';
import { checkGradients, expectClose, inputArb, runs } from '@dynconv/testing';

/** A generated convolution: shapes that fit, options, and layouts for x and the weight. */
interface ConvCase {
  N: number; C: number; H: number; W: number; K: number; kh: number; kw: number;
  opts: { stride: [number, number]; padding: [number, number] | 'same'; dilation: [number, number]; groups: number };
}

const convCaseArb = (maxChannels = 6): fc.Arbitrary<ConvCase> =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 3 }),
      groups: fc.integer({ min: 1, max: 3 }),
      cPer: fc.integer({ min: 1, max: 2 }),
      kPer: fc.integer({ min: 1, max: 2 }),
      kh: fc.integer({ min: 1, max: 5 }),
      kw: fc.integer({ min: 1, max: 5 }),
      stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      dilation: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      padding: fc.oneof(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), fc.constant('same' as const)),
      extraH: fc.integer({ min: 0, max: 3 }),
      extraW: fc.integer({ min: 0, max: 3 }),
    })
    .map((r) => {
      const stride: [number, number] = r.padding === 'same' ? [1, 1] : r.stride;
      const pad = r.padding === 'same' ? [0, 0] : r.padding;
      // Smallest size with a positive output, plus a little more (odd and even sizes both occur).
      const need = (k: number, d: number, p: number) => Math.max(1, d * (k - 1) + 1 - 2 * p);
      const C = Math.min(maxChannels, r.groups * r.cPer);
      const groups = C % r.groups === 0 ? r.groups : 1;
      return {
        N: r.N, C, K: groups * r.kPer, kh: r.kh, kw: r.kw,
        H: need(r.kh, r.dilation[0], pad[0]!) + r.extraH,
        W: need(r.kw, r.dilation[1], pad[1]!) + r.extraW,
        opts: { stride, padding: r.padding, dilation: r.dilation, groups },
      };
    });

/** Direct seven-loop convolution in float64, the reference for every configuration. */
function referenceConv(x: Tensor, w: Tensor, c: ConvCase): { data: Float64Array; shape: number[] } {
  const xd = x.dataSync();
  const wd = w.dataSync();
  const { N, C, H, W, K, kh, kw } = c;
  const [sh, sw] = c.opts.stride;
  const [dh, dw] = c.opts.dilation;
  let pt: number, pl: number, pb: number, pr: number;
  if (c.opts.padding === 'same') {
    const th = dh * (kh - 1), tw = dw * (kw - 1);
    [pt, pb, pl, pr] = [Math.floor(th / 2), th - Math.floor(th / 2), Math.floor(tw / 2), tw - Math.floor(tw / 2)];
  } else {
    [pt, pl] = c.opts.padding;
    [pb, pr] = [pt, pl];
  }
  const Ho = Math.floor((H + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const Wo = Math.floor((W + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const G = c.opts.groups;
  const Cg = C / G, Kg = K / G;
  const out = new Float64Array(N * K * Ho * Wo);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++)
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++) {
          let acc = 0;
          const g = Math.floor(k / Kg);
          for (let ci = 0; ci < Cg; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const iy = oy * sh - pt + i * dh, ix = ox * sw - pl + j * dw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                acc += xd[((n * C + g * Cg + ci) * H + iy) * W + ix]! * wd[((k * Cg + ci) * kh + i) * kw + j]!;
              }
          out[((n * K + k) * Ho + oy) * Wo + ox] = acc;
        }
  return { data: out, shape: [N, K, Ho, Wo] };
}

const caseWithInputs = (maxChannels?: number) =>
  convCaseArb(maxChannels).chain((c) =>
    fc.tuple(fc.constant(c), inputArb([c.N, c.C, c.H, c.W]), inputArb([c.K, c.C / c.opts.groups, c.kh, c.kw])),
  );

describe('conv2d', () => {
  it('matches a direct float64 convolution for every generated configuration and layout', () => {
    fc.assert(
      fc.property(caseWithInputs(), ([c, xi, wi]) => {
        const x = xi.view();
        const w = wi.view();
        const y = conv2d(x, w, null, c.opts);
        const ref = referenceConv(x, w, c);
        expect(y.shape).toEqual(ref.shape);
        expectClose(y.dataSync(), ref.data, { rtol: 1e-12, atol: 1e-12 });
      }),
      runs(3),
    );
  });

  it('float32 agrees with the float64 reference to float32 precision', () => {
    fc.assert(
      fc.property(convCaseArb(), fc.integer(), (c, seed) => {
        const g = new Generator(seed);
        const x = randn([c.N, c.C, c.H, c.W], { generator: g });
        const w = randn([c.K, c.C / c.opts.groups, c.kh, c.kw], { generator: g });
        const ref = referenceConv(x, w, c);
        expectClose(conv2d(x, w, null, c.opts).dataSync(), ref.data, { rtol: 1e-4, atol: 1e-4 });
      }),
      runs(2),
    );
  });

  it('gradients w.r.t. input, weight and bias pass gradcheck (float64, all layouts)', () => {
    fc.assert(
      fc.property(caseWithInputs(), fc.integer(), ([c, xi, wi], seed) => {
        const b = randn([c.K], { dtype: 'float64', generator: new Generator(seed) }).requiresGrad_();
        checkGradients((x, w, bb) => conv2d(xi.view(x), wi.view(w), bb, c.opts), [xi.leaf, wi.leaf, b]);
      }),
      runs(2),
    );
  });

  it('second derivatives w.r.t. input and weight pass gradgradcheck', () => {
    fc.assert(
      fc.property(caseWithInputs(4), ([c, xi, wi]) => {
        checkGradients((x, w) => conv2d(xi.view(x), wi.view(w), null, c.opts), [xi.leaf, wi.leaf], { second: true });
      }),
      runs(1),
    );
  });

  it('edge cases: 1x1 kernels, a kernel as large as the input, output size 1, stride larger than the kernel', () => {
    const g = new Generator(3);
    const f64 = (s: number[]) => randn(s, { dtype: 'float64', generator: g }).requiresGrad_();
    const cases: [number[], number[], Conv2dOptions][] = [
      [[2, 3, 4, 5], [4, 3, 1, 1], {}],
      [[2, 3, 4, 5], [4, 3, 4, 5], {}],
      [[1, 2, 3, 3], [2, 2, 3, 3], { padding: 0 }],
      [[1, 2, 7, 7], [2, 1, 2, 2], { stride: 3, groups: 2 }],
      [[1, 4, 5, 5], [8, 1, 3, 3], { groups: 4, padding: 'same' }],
    ];
    for (const [xs, ws, o] of cases) {
      const x = f64(xs), w = f64(ws);
      const y = conv2d(x, w, null, o);
      const c: ConvCase = { N: xs[0]!, C: xs[1]!, H: xs[2]!, W: xs[3]!, K: ws[0]!, kh: ws[2]!, kw: ws[3]!,
        opts: { stride: typeof o.stride === 'number' ? [o.stride, o.stride] : [1, 1], padding: o.padding === 'same' ? 'same' : [0, 0], dilation: [1, 1], groups: o.groups ?? 1 } };
      expectClose(y.dataSync(), referenceConv(x, w, c).data, { rtol: 1e-12, atol: 1e-12 });
      checkGradients((a, b) => conv2d(a, b, null, o), [x, w], { second: true });
    }
    expect(conv2d(randn([1, 2, 3, 3]), randn([5, 2, 3, 3])).shape).toEqual([1, 5, 1, 1]);
  });

  it('accepts unbatched [C, H, W] input', () => {
    const x = randn([2, 5, 5]);
    const w = randn([3, 2, 3, 3]);
    expectClose(conv2d(x, w).dataSync(), conv2d(x.unsqueeze(0), w).squeeze(0).dataSync(), { rtol: 0, atol: 0 });
  });

  it('gives clear errors for bad configurations', () => {
    const x = randn([1, 4, 5, 5]);
    expect(() => conv2d(x, randn([3, 2, 3, 3]), null, { groups: 2 })).toThrow(/conv2d: .*divisible by groups \(2\)/);
    expect(() => conv2d(x, randn([4, 3, 3, 3]))).toThrow(/conv2d: weight \[4, 3, 3, 3\] expects 3 input channels.*\[1, 4, 5, 5\] has 4/);
    expect(() => conv2d(x, randn([2, 4, 7, 7]))).toThrow(/conv2d: output size would be -1x-1 for input \[1, 4, 5, 5\] with kernel 7x7/);
    expect(() => conv2d(x, randn([2, 4, 3, 3]), null, { padding: 'same', stride: 2 })).toThrow(/'same' needs stride 1/);
    expect(() => conv2d(randn([4, 5]), randn([2, 4, 3, 3]))).toThrow(/conv2d: expects input of shape \[N, C, H, W\].*\[4, 5\]/);
    expect(() => conv2d(x, randn([2, 4, 3, 3]), randn([3]))).toThrow(/conv2d: bias must have shape \[2\], got \[3\]/);
    expect(() => conv2d(x, randn([2, 4, 3, 3]), null, { stride: 0 })).toThrow(/stride must be integers >= 1/);
  });
});

describe('convTranspose2d', () => {
  it('is the adjoint of conv2d: <conv(x, w), y> = <x, convT(y, w)>', () => {
    fc.assert(
      fc.property(convCaseArb(), fc.integer(), (c, seed) => {
        if (c.opts.padding === 'same') return;
        const g = new Generator(seed);
        const x = randn([c.N, c.C, c.H, c.W], { dtype: 'float64', generator: g });
        const w = randn([c.K, c.C / c.opts.groups, c.kh, c.kw], { dtype: 'float64', generator: g });
        const y = conv2d(x, w, null, c.opts);
        const v = randn(y.shape, { dtype: 'float64', generator: g });
        // Choose outputPadding so the transposed output has x's size again.
        const op = [2, 3].map((d, i) => {
          const k = i === 0 ? c.kh : c.kw;
          const s = c.opts.stride[i]!, p = (c.opts.padding as [number, number])[i]!, dl = c.opts.dilation[i]!;
          return x.shape[d]! - ((y.shape[d]! - 1) * s - 2 * p + dl * (k - 1) + 1);
        }) as [number, number];
        if (op.some((o, i) => o >= Math.max(c.opts.stride[i]!, c.opts.dilation[i]!))) return;
        const xt = convTranspose2d(v, w, null, { ...c.opts, padding: c.opts.padding as [number, number], outputPadding: op });
        expect(xt.shape).toEqual(x.shape);
        expect(xt.mul(x).sum().item()).toBeCloseTo(y.mul(v).sum().item(), 9);
      }),
      runs(3),
    );
  });

  it('passes gradcheck and gradgradcheck', () => {
    const g = new Generator(5);
    const f64 = (s: number[]) => randn(s, { dtype: 'float64', generator: g }).requiresGrad_();
    const o = { stride: 2, padding: 1, outputPadding: 1, groups: 2 } as const;
    checkGradients((x, w, b) => convTranspose2d(x, w, b, o), [f64([1, 4, 3, 2]), f64([4, 3, 3, 3]), f64([6])], { second: true });
  });

  it('gives a clear error for a bad outputPadding and channel mismatch', () => {
    expect(() => convTranspose2d(randn([1, 2, 3, 3]), randn([2, 2, 3, 3]), null, { outputPadding: 1 })).toThrow(/outputPadding/);
    expect(() => convTranspose2d(randn([1, 3, 3, 3]), randn([2, 2, 3, 3]))).toThrow(/convTranspose2d: weight \[2, 2, 3, 3\] expects 2 input channels/);
  });
});

