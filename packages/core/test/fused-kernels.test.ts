/**
 * The fused kernels (BatchNormTrain, BatchNormTrainGrad, AdamStep) of the CPU backend against
 * the reference backend's readable definitions, over generated shapes, layouts and options;
 * the batchNorm op on its fused path against its composed path (a CPU backend without fused
 * kernels); and adamStep_'s argument checks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adamStep_, type AdamScalars, batchNorm, channelAffine, type ChannelActivation, createCpuBackend, type DType, Generator, getBackend, grad, gradcheck, hasKernel, noGrad, randn, runKernel, type Tensor, tensor, tidy, zeros,
} from '../src/index.js';
import { setSimdAdam, simdAdam } from '../src/cpu/simd-adam.js';
import { wasmHeap } from '../src/cpu/wasm-heap.js';
import { expectClose, layoutArb, runs } from '@dynconv/testing';

const composed = createCpuBackend('cpu-composed', { fusedKernels: false });
const wrapT = (s: ReturnType<typeof runKernel<'Copy'>>, shape: number[]) => new (tensor(0).constructor as new (...a: unknown[]) => Tensor)(s, shape);

/** Shapes [N, C] or [N, C, H, W] with at least 2 values per channel. */
const bnShape = fc.oneof(
  fc.tuple(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 4 })).map(([n, c]) => [n, c]),
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 4 })).map(([n, c, h, w]) => [n, c, h, w]),
);

/** A tensor of `shape` on 'cpu' in a generated layout, with values of `dtype`. */
function laidOut(shape: number[], dtype: DType) {
  return fc.tuple(layoutArb(shape), fc.integer({ min: 0, max: 1e6 })).map(([layout, seed]) => {
    const base = randn(layout.baseShape, { generator: new Generator(seed), dtype }).mul(3).add(1);
    return layout.view(base);
  });
}

const tol = (dtype: DType) => (dtype === 'float64' ? [1e-11, 1e-12] : [2e-5, 2e-5]) as [number, number];
const onRef = (t: Tensor | null) => (t ? t.to('reference') : null);

describe('fused kernels: cpu = reference', () => {
  it('BatchNormTrain and BatchNormTrainGrad, shapes, layouts, optional weight and bias', () => {
    fc.assert(
      fc.property(
        bnShape.chain((shape) => fc.tuple(fc.constant(shape), fc.constantFrom<DType>('float32', 'float64')).chain(([s, dtype]) =>
          fc.tuple(fc.constant(s), fc.constant(dtype), laidOut(s, dtype), laidOut(s, dtype), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 1e6 })))),
        ([shape, dtype, x, dy, hasW, hasB, seed]) => {
          const C = shape[1]!;
          const g = new Generator(seed);
          const w = hasW ? randn([C], { generator: g, dtype }) : null;
          const b = hasB ? randn([C], { generator: g, dtype }) : null;
          const eps = 1e-3;
          const cpu = getBackend('cpu');
          const ref = getBackend('reference');
          const fast = runKernel(cpu, 'BatchNormTrain', x, w, b, eps);
          const slow = runKernel(ref, 'BatchNormTrain', onRef(x)!, onRef(w), onRef(b), eps);
          const [rt, at] = tol(dtype);
          expectClose(wrapT(fast[0], shape).dataSync(), wrapT(slow[0], shape).dataSync(), { rtol: rt, atol: at });
          for (let k = 1; k < 4; k++) expectClose(wrapT(fast[k]!, [C]).dataSync(), wrapT(slow[k]!, [C]).dataSync(), { rtol: rt, atol: at });
          const mean = wrapT(fast[1], [C]);
          const invStd = wrapT(fast[3], [C]);
          const gFast = runKernel(cpu, 'BatchNormTrainGrad', dy, x, mean, invStd, w);
          const gSlow = runKernel(ref, 'BatchNormTrainGrad', onRef(dy)!, onRef(x)!, onRef(mean)!, onRef(invStd)!, onRef(w));
          expectClose(wrapT(gFast[0], shape).dataSync(), wrapT(gSlow[0], shape).dataSync(), { rtol: rt * 10, atol: at * 10 });
          for (let k = 1; k < 3; k++) expectClose(wrapT(gFast[k]!, [C]).dataSync(), wrapT(gSlow[k]!, [C]).dataSync(), { rtol: rt * 10, atol: at * 10 });
        },
      ),
      runs(),
    );
  });

  it('ChannelAffine over shapes, layouts, activations and a missing scale (JavaScript and SIMD loops)', () => {
    // Channels with at least 8 values run the SIMD loop (tensors inside tidy live in wasm memory).
    const shapes = fc.oneof(bnShape, fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 7 }), fc.integer({ min: 4, max: 9 })).map(([n, c, h, w]) => [n, c, h, w]));
    const activation = fc.constantFrom<ChannelActivation>('none', 'relu', 'relu6');
    fc.assert(
      fc.property(
        shapes.chain((shape) => fc.tuple(fc.constant(shape), fc.constantFrom<DType>('float32', 'float64')).chain(([s, dtype]) => fc.tuple(fc.constant(s), fc.constant(dtype), laidOut(s, dtype), fc.integer({ min: 0, max: 1e6 })))),
        activation,
        fc.boolean(),
        ([shape, dtype, x, seed], act, hasScale) =>
          tidy(() => {
            const C = shape[1]!;
            const g = new Generator(seed);
            const scale = hasScale ? randn([C], { generator: g, dtype }) : null;
            const shift = randn([C], { generator: g, dtype }).mul(3);
            const xx = x.mul(1); // a copy made inside tidy: in wasm memory
            const fast = wrapT(runKernel(getBackend('cpu'), 'ChannelAffine', xx, scale, shift, act), shape).dataSync();
            const slow = wrapT(runKernel(getBackend('reference'), 'ChannelAffine', onRef(xx)!, onRef(scale), onRef(shift)!, act), shape).dataSync();
            // Both round the product to x's dtype first, so they agree exactly.
            expect(Array.from(fast)).toEqual(Array.from(slow));
          }),
      ),
      runs(),
    );
  });

  it('channelAffine: the fused kernel gives the same bits as the composed ops, and gradients are checked', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom<ChannelActivation>('none', 'relu', 'relu6'), fc.boolean(), (seed, act, hasScale) =>
        tidy(() => {
          const g = new Generator(seed);
          const x = randn([2, 3, 4, 5], { generator: g }).mul(4);
          const scale = hasScale ? randn([3], { generator: g }) : null;
          const shift = randn([3], { generator: g });
          const fused = noGrad(() => channelAffine(x, scale, shift, act)).dataSync();
          const viaOps = noGrad(() => channelAffine(x.to('cpu-composed'), scale?.to('cpu-composed') ?? null, shift.to('cpu-composed'), act)).dataSync();
          expect(Array.from(fused)).toEqual(Array.from(viaOps));
          // float64, away from the kinks at 0 and 6
          const x64 = randn([2, 3, 2, 2], { generator: g, dtype: 'float64' }).mul(0.5).add(2.5).requiresGrad_();
          const s64 = randn([3], { generator: g, dtype: 'float64' }).requiresGrad_();
          const b64 = randn([3], { generator: g, dtype: 'float64' }).mul(0.1).requiresGrad_();
          expect(gradcheck((a, b, c) => channelAffine(a, b, c, act), [x64, s64, b64])).toBe(true);
        }),
      ),
      runs(0.5),
    );
  });

  it('channelAffine refuses bad arguments, naming them', () => {
    const x = randn([2, 3, 4, 4]);
    expect(() => channelAffine(x, null, randn([4]))).toThrow(/channelAffine: shift must have shape \[3\]/);
    expect(() => channelAffine(x, randn([2]), randn([3]))).toThrow(/channelAffine: scale must have shape \[3\]/);
    expect(() => channelAffine(x, null, randn([3]), 'gelu' as ChannelActivation)).toThrow(/channelAffine: activation must be/);
    expect(() => channelAffine(randn([3]), null, randn([3]))).toThrow(/channelAffine: expects x of shape \[N, C, \.\.\.\]/);
  });

  it('AdamStep over options, steps and grad layouts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }).chain((shape) => fc.tuple(fc.constant(shape), fc.constantFrom<DType>('float32', 'float64')).chain(([s, dtype]) => fc.tuple(fc.constant(s), fc.constant(dtype), laidOut(s, dtype)))),
        fc.record({
          lr: fc.double({ min: 1e-4, max: 0.5, noNaN: true }), beta1: fc.double({ min: 0, max: 0.99, noNaN: true }), beta2: fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
          eps: fc.double({ min: 1e-10, max: 1e-2, noNaN: true }), weightDecay: fc.constantFrom(0, 0.01, 0.3), decoupled: fc.boolean(), amsgrad: fc.boolean(), maximize: fc.boolean(), step: fc.integer({ min: 1, max: 1000 }),
        }),
        fc.integer({ min: 0, max: 1e6 }),
        ([shape, dtype, gradView], s: AdamScalars, seed) => {
          const g = new Generator(seed);
          const p = randn(shape, { generator: g, dtype });
          const m = randn(shape, { generator: g, dtype }).mul(0.1);
          const v = randn(shape, { generator: g, dtype }).abs().mul(0.01);
          const vmax = s.amsgrad ? v.mul(1.5) : null;
          const run = (backend: string) => {
            const [pp, mm, vv, xx] = [p, m, v, vmax].map((t) => (t ? t.to(backend).clone() : null));
            runKernel(getBackend(backend), 'AdamStep', pp!, gradView.to(backend), mm!, vv!, xx, s);
            return [pp!, mm!, vv!, ...(xx ? [xx] : [])].map((t) => Array.from(t.dataSync()));
          };
          const fast = run('cpu');
          const slow = run('reference');
          const [rt, at] = dtype === 'float64' ? [1e-12, 1e-14] : [1e-6, 1e-7];
          fast.forEach((f, i) => expectClose(f, slow[i]!, { rtol: rt, atol: at }));
        },
      ),
      runs(),
    );
  });
});

describe('AdamStep: WebAssembly = JavaScript loop', () => {
  it('runs in WebAssembly for float32, staging arrays outside wasm memory', () => {
    const heap = wasmHeap()!;
    const k = { decay: 1, l2: 0, beta1: 0.9, beta2: 0.999, stepSize: 1e-3, bc2Sqrt: 1, eps: 1e-8 };
    const a = () => heap.view('float32', 9, true)!;
    expect(simdAdam(a(), 0, a(), 0, a(), 0, a(), 0, 9, k)).toBe(true);
    expect(simdAdam(a(), 0, new Float32Array(9), 0, a(), 0, a(), 0, 9, k)).toBe(true); // staged
    expect(simdAdam(a(), 0, a(), 0, heap.view('float64', 9, true)!, 0, a(), 0, 9, k)).toBe(false);
  });

  it('gives the same bits for float32 state in wasm memory or staged there (Adam and AdamW, odd and even lengths)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 301 }),
        fc.record({
          lr: fc.double({ min: 1e-4, max: 0.5, noNaN: true }), beta1: fc.double({ min: 0, max: 0.99, noNaN: true }), beta2: fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
          eps: fc.double({ min: 1e-10, max: 1e-2, noNaN: true }), weightDecay: fc.constantFrom(0, 0.01, 0.3), decoupled: fc.boolean(), amsgrad: fc.constant(false), maximize: fc.constant(false), step: fc.integer({ min: 1, max: 1000 }),
        }),
        fc.integer({ min: 0, max: 1e6 }),
        fc.boolean(),
        (n, s: AdamScalars, seed, outside) => {
          const scope = <T>(f: () => T): T => (outside ? f() : tidy(f)); // outside tidy: ordinary memory
          const run = (wasm: boolean) =>
            scope(() => {
              const g = new Generator(seed);
              const [p, grad_, m] = [randn([n], { generator: g }), randn([n], { generator: g }), randn([n], { generator: g }).mul(0.1)];
              const v = randn([n], { generator: g }).abs().mul(0.01);
              if (grad_.numel() > 2) grad_.dataSync()[1] = -0; // a -0 gradient keeps its sign without weight decay
              const old = setSimdAdam(wasm);
              try {
                runKernel(getBackend('cpu'), 'AdamStep', p, grad_, m, v, null, s);
              } finally {
                setSimdAdam(old);
              }
              return [p, m, v].map((t) => Array.from(t.dataSync()));
            });
          const [w, j] = [run(true), run(false)];
          w.forEach((a, i) => expect(a.every((x, k) => Object.is(x, j[i]![k])), `output ${i}`).toBe(true));
        },
      ),
      runs(2),
    );
  });
});

describe('batchNorm: fused path = composed path', () => {
  it('takes the fused kernels on cpu and the composition without them', () => {
    expect(hasKernel(getBackend('cpu'), 'BatchNormTrain')).toBe(true);
    expect(hasKernel(composed, 'BatchNormTrain')).toBe(false);
    expect(hasKernel(getBackend('reference'), 'AdamStep')).toBe(true);
  });

  it('forward, running statistics and first-order gradients agree (float64)', () => {
    fc.assert(
      fc.property(bnShape, fc.boolean(), fc.integer({ min: 0, max: 1e6 }), (shape, affine, seed) => {
        const C = shape[1]!;
        const run = (backend: string) => {
          const g = new Generator(seed);
          const x = randn(shape, { generator: g, dtype: 'float64', backend }).mul(2).add(0.5).requiresGrad_();
          const w = affine ? randn([C], { generator: g, dtype: 'float64', backend }).requiresGrad_() : null;
          const b = affine ? randn([C], { generator: g, dtype: 'float64', backend }).requiresGrad_() : null;
          const probe = randn(shape, { generator: g, dtype: 'float64', backend });
          const rm = zeros([C], { dtype: 'float64', backend });
          const rv = zeros([C], { dtype: 'float64', backend }).add(1);
          const y = batchNorm(x, rm, rv, w, b, true, 0.2, 1e-4);
          const grads = grad(y.mul(probe).sum(), [x, ...(affine ? [w!, b!] : [])]);
          return [y, rm, rv, ...grads].map((t) => Array.from(t!.dataSync()));
        };
        const fused = run('cpu');
        const plain = run('cpu-composed');
        fused.forEach((f, i) => expectClose(f, plain[i]!, { rtol: 1e-10, atol: 1e-11 }));
      }),
      runs(),
    );
  });
});

describe('batchNorm in eval mode: fused inference path = composed path', () => {
  it('under noGrad, with and without weight and bias', () => {
    fc.assert(
      fc.property(bnShape, fc.boolean(), fc.integer({ min: 0, max: 1e6 }), (shape, affine, seed) => {
        const C = shape[1]!;
        const run = (backend: string) => {
          const g = new Generator(seed);
          const x = randn(shape, { generator: g, dtype: 'float64', backend });
          const rm = randn([C], { generator: g, dtype: 'float64', backend });
          const rv = randn([C], { generator: g, dtype: 'float64', backend }).abs().add(0.1);
          const w = affine ? randn([C], { generator: g, dtype: 'float64', backend }) : null;
          const b = affine ? randn([C], { generator: g, dtype: 'float64', backend }) : null;
          return Array.from(noGrad(() => batchNorm(x, rm, rv, w, b, false, 0.1, 1e-5)).dataSync());
        };
        expectClose(run('cpu'), run('cpu-composed'), { rtol: 1e-13, atol: 1e-13 });
      }),
      runs(),
    );
  });
});

describe('adamStep_ refuses bad arguments', () => {
  const s: AdamScalars = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: true, amsgrad: false, maximize: false, step: 1 };
  const t = () => zeros([2, 3]);
  it('names the op and the argument', () => {
    noGrad(() => {
      expect(() => adamStep_(t(), zeros([3, 2]), t(), t(), null, s)).toThrow(/adamStep_: grad has shape \[3, 2\], the parameter \[2, 3\]/);
      expect(() => adamStep_(t(), t(), zeros([2, 3], { dtype: 'float64' }), t(), null, s)).toThrow(/adamStep_: expAvg is float64; every tensor must have the parameter's floating dtype \(float32\)/);
      expect(() => adamStep_(zeros([3, 2]).transpose(0, 1), t(), t(), t(), null, s)).toThrow(/adamStep_: param of shape \[2, 3\] must be contiguous/);
      const shared = t();
      expect(() => adamStep_(t(), t(), shared, shared, null, s)).toThrow(/must not share storage/);
      expect(() => adamStep_(t(), t(), t(), t(), null, { ...s, amsgrad: true })).toThrow(/maxExpAvgSq must be given exactly when amsgrad is set/);
      expect(() => adamStep_(t(), t(), t(), t(), null, { ...s, step: 0 })).toThrow(/step must be an integer >= 1, got 0/);
    });
    const p = zeros([2, 3]).requiresGrad_();
    expect(() => adamStep_(p, t(), t(), t(), null, s)).toThrow(/adamStep_: cannot update a parameter that requires grad while grad mode is on/);
  });
});
