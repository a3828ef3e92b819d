/**
 * DynamicConv2d over generated configurations (batch, channels and groups, kernel, stride,
 * padding, dilation, group size, own or external predictor with or without a hidden layer),
 * float64: the two fusion paths agree in value and in every gradient, each passes gradcheck,
 * group size 1 with unit coefficients is a plain convolution; then the fusion mode switching,
 * 'auto' with injected timers, a predictor shared by two layers, cost accounting and errors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv2d, Generator, grad, ones, rand, randn, tensor, type Tensor } from '@dynconv/core';
import {
  CoefficientPredictor, Conv2d, DynamicConv2d, dynamicConvCost, type FusionPath, type FusionTimer, kernelFusionConv2d, Module, outputFusionConv2d,
  predictorCost, splitCoefficients, type StateDict, totalCoefficients,
} from '../src/index.js';
import { checkGradients, checkParamGradient, expectClose, inputArb, runs } from '@dynconv/testing';

// ---- generated configurations ------------------------------------------------------------------

interface Config {
  N: number;
  cin: number;
  cout: number;
  groups: number;
  kernel: [number, number];
  stride: number;
  padding: number;
  dilation: number;
  groupSize: number;
  predictor: 'own' | 'external';
  /** Hidden width of the predictor (the layer's own, or the external one that makes eta). */
  hidden: number | undefined;
  bias: boolean;
  H: number;
  W: number;
  seed: number;
}

/** Channels 1-6 that `groups` divides, and spatial sizes that leave a non-empty output. */
const configArb: fc.Arbitrary<Config> = fc
  .record({
    N: fc.integer({ min: 1, max: 3 }),
    groups: fc.integer({ min: 1, max: 3 }),
    a: fc.integer({ min: 0, max: 5 }),
    b: fc.integer({ min: 0, max: 5 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    padding: fc.integer({ min: 0, max: 1 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    groupSize: fc.integer({ min: 1, max: 4 }),
    predictor: fc.constantFrom('own' as const, 'external' as const),
    hidden: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    bias: fc.boolean(),
    extraH: fc.integer({ min: 0, max: 2 }),
    extraW: fc.integer({ min: 0, max: 2 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map((r): Config => {
    const per = Math.floor(6 / r.groups);
    const minSize = (k: number) => Math.max(1, r.dilation * (k - 1) + 1 - 2 * r.padding);
    return {
      N: r.N, groups: r.groups, cin: r.groups * ((r.a % per) + 1), cout: r.groups * ((r.b % per) + 1),
      kernel: [r.kh, r.kw], stride: r.stride, padding: r.padding, dilation: r.dilation, groupSize: r.groupSize,
      predictor: r.predictor, hidden: r.hidden, bias: r.bias, H: minSize(r.kh) + r.extraH, W: minSize(r.kw) + r.extraW, seed: r.seed,
    };
  });

/** A configuration plus an input in a generated layout (contiguous, permuted, strided, expanded). */
const caseArb = configArb.chain((c) => fc.tuple(fc.constant(c), inputArb([c.N, c.cin, c.H, c.W])));

/** The layer under test, plus (for an external predictor) the predictor that makes its eta. */
interface Setup {
  layer: DynamicConv2d;
  external: CoefficientPredictor | null;
  /** Every parameter the output depends on: the layer's, then the external predictor's. */
  params: Tensor[];
  /** Output through the current fusion path. */
  run: (x: Tensor) => Tensor;
}

function setup(c: Config): Setup {
  const g = new Generator(c.seed);
  const layer = new DynamicConv2d(c.cin, c.cout, c.kernel, {
    stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups, bias: c.bias, groupSize: c.groupSize,
    predictor: c.predictor, hidden: c.predictor === 'own' ? c.hidden : undefined, dtype: 'float64', generator: g,
  });
  const external = c.predictor === 'external' ? new CoefficientPredictor(c.cin, layer.numCoefficients, { hidden: c.hidden, dtype: 'float64', generator: g }) : null;
  const params = [...layer.parameters(), ...(external?.parameters() ?? [])];
  const run = (x: Tensor) => (external ? layer.forward(x, external.forward(x)) : layer.forward(x));
  return { layer, external, params, run };
}

type Variant = 'output' | 'kernel' | 'kernel-loop';
const VARIANTS: Variant[] = ['output', 'kernel', 'kernel-loop'];

function use(layer: DynamicConv2d, v: Variant): void {
  layer.fusion = v === 'output' ? 'output' : 'kernel';
  layer.kernelFusion = v === 'kernel-loop' ? 'loop' : 'batched';
}

const f64 = (t: Tensor) => Float64Array.from(t.dataSync());

// ---- the two paths -------------------------------------------------------------------------------

describe('DynamicConv2d: output fusion and kernel fusion', () => {
  it('give the same output and the same gradients (input, weight, bias, predictor parameters)', () => {
    fc.assert(
      fc.property(caseArb, ([c, x]) => {
        const s = setup(c);
        const [N, , Ho, Wo] = s.layer.outputShape([c.N, c.cin, c.H, c.W]);
        const v = randn([N, c.cout, Ho, Wo], { dtype: 'float64', generator: new Generator(c.seed + 1) });
        const results = VARIANTS.map((variant) => {
          use(s.layer, variant);
          const y = s.run(x.view());
          expect(s.layer.lastPath).toBe(variant === 'output' ? 'output' : 'kernel');
          const grads = grad(y.mul(v).sum(), [x.leaf, ...s.params]);
          return { y: f64(y), grads: grads.map((t) => f64(t!)) };
        });
        const [ref, ...others] = results;
        expect(ref!.y.length).toBe(N * c.cout * Ho * Wo);
        for (const r of others) {
          expectClose(r.y, ref!.y, { rtol: 1e-10, atol: 1e-12 });
          r.grads.forEach((gr, i) => expectClose(gr, ref!.grads[i]!, { rtol: 1e-10, atol: 1e-12 }));
        }
      }),
      runs(3),
    );
  });

  it('each path passes a float64 gradcheck w.r.t. the input (and eta when external)', () => {
    fc.assert(
      fc.property(caseArb, ([c, x]) => {
        const s = setup(c);
        const eta = rand([c.N, s.layer.numCoefficients], { dtype: 'float64', generator: new Generator(c.seed + 2) }).requiresGrad_();
        for (const variant of VARIANTS) {
          use(s.layer, variant);
          if (c.predictor === 'own') checkGradients((leaf) => s.layer.forward(x.view(leaf)), [x.leaf]);
          else checkGradients((leaf, e) => s.layer.forward(x.view(leaf), e), [x.leaf, eta]);
        }
      }),
      runs(2),
    );
  });

  it('parameter gradients of each path match finite differences (values perturbed in place)', () => {
    fc.assert(
      fc.property(caseArb, ([c, x]) => {
        const s = setup(c);
        const [N, , Ho, Wo] = s.layer.outputShape([c.N, c.cin, c.H, c.W]);
        const v = randn([N, c.cout, Ho, Wo], { dtype: 'float64', generator: new Generator(c.seed + 3) });
        const xs = x.view().detach();
        const loss = () => s.run(xs).mul(v).sum();
        for (const variant of ['output', 'kernel'] as const) {
          use(s.layer, variant);
          const analytic = grad(loss(), s.params).map((t) => f64(t!));
          s.params.forEach((p, k) => checkParamGradient(p, analytic[k]!, loss, { label: `${variant} param ${k} [${p.shape}]` }));
        }
      }),
      runs(1.5),
    );
  });

  it('with groupSize 1 and eta = 1 it is a plain convolution with the same weight and bias', () => {
    fc.assert(
      fc.property(configArb, (c0) => {
        const c = { ...c0, groupSize: 1, predictor: 'external' as const, hidden: undefined };
        const s = setup(c);
        const x = randn([c.N, c.cin, c.H, c.W], { dtype: 'float64', generator: new Generator(c.seed + 4) });
        const opts = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
        const conv = new Conv2d(c.cin, c.cout, c.kernel, { ...opts, bias: c.bias, dtype: 'float64' });
        conv.loadStateDict({ weight: s.layer.weight, ...(c.bias ? { bias: s.layer.bias! } : {}) });
        const want = f64(conv2d(x, s.layer.weight, s.layer.bias, opts));
        expectClose(f64(conv.forward(x)), want, { rtol: 0, atol: 0 });
        for (const variant of VARIANTS) {
          use(s.layer, variant);
          expectClose(f64(s.layer.forward(x, ones([c.N, c.cout], { dtype: 'float64' }))), want, { rtol: 1e-12, atol: 1e-12 });
        }
      }),
      runs(2),
    );
  });

  it("padding 'same' (asymmetric for even kernels) and 'valid' work on every path and outputShape predicts them", () => {
    for (const [padding, kernel] of [['same', [2, 3]], ['same', 4], ['valid', 2]] as const) {
      const layer = new DynamicConv2d(4, 3, kernel, { padding, dilation: [1, 2], groupSize: 2, dtype: 'float64', generator: new Generator(5) });
      const x = randn([2, 4, 6, 9], { dtype: 'float64', generator: new Generator(6) });
      const outs = VARIANTS.map((v) => {
        use(layer, v);
        return layer.forward(x);
      });
      expect(outs[0]!.shape).toEqual(layer.outputShape(x.shape));
      for (const y of outs.slice(1)) expectClose(f64(y), f64(outs[0]!), { rtol: 1e-10, atol: 1e-12 });
    }
  });

  it('the functional paths agree with a direct per-image reference for one hand-checkable case', () => {
    // N=2, one input channel, two outputs, g=2, 1x1 kernels: y[n, o] = (eta[n,2o] w[2o] + eta[n,2o+1] w[2o+1]) x[n].
    const x = tensor([[[[1, 2]]], [[[3, -1]]]], { dtype: 'float64' });
    const w = tensor([2, -1, 0.5, 4], { dtype: 'float64' }).reshape([4, 1, 1, 1]);
    const eta = tensor([[1, 0.5, 0, 1], [0.25, 1, 2, 0]], { dtype: 'float64' });
    const want = [1.5, 3, 4, 8, -1.5, 0.5, 3, -1];
    expectClose(f64(outputFusionConv2d(x, w, eta, 2)), want, { rtol: 1e-15, atol: 0 });
    expectClose(f64(kernelFusionConv2d(x, w, eta, 2)), want, { rtol: 1e-15, atol: 0 });
    expectClose(f64(kernelFusionConv2d(x, w, eta, 2, {}, 'loop')), want, { rtol: 1e-15, atol: 0 });
  });
});

// ---- fusion mode -------------------------------------------------------------------------------------

describe('DynamicConv2d: choosing the path', () => {
  const x = randn([2, 4, 5, 5], { dtype: 'float64', generator: new Generator(9) });
  const make = (opts: ConstructorParameters<typeof DynamicConv2d>[3] = {}) => new DynamicConv2d(4, 6, 3, { padding: 1, groupSize: 3, dtype: 'float64', generator: new Generator(1), ...opts });

  it("by default follows train()/eval(): output fusion in training, kernel fusion in eval; fixed modes stay fixed", () => {
    const layer = make();
    layer.forward(x);
    expect(layer.lastPath).toBe('output');
    layer.eval();
    expect(layer.predictor!.training).toBe(false);
    layer.forward(x);
    expect(layer.lastPath).toBe('kernel');
    layer.train();
    layer.forward(x);
    expect(layer.lastPath).toBe('output');
    for (const fusion of ['output', 'kernel'] as const) {
      const fixed = make({ fusion });
      fixed.forward(x);
      fixed.eval().forward(x);
      expect(fixed.lastPath).toBe(fusion);
    }
  });

  it("'auto' measures both paths once per (shape, dtype, train/eval) signature with the injected timer and caches the winner", () => {
    const calls: [FusionPath, string][] = [];
    let costs: Record<FusionPath, number> = { output: 5, kernel: 3 };
    const timer: FusionTimer = (run, path, signature) => {
      run(); // the measured run must leave no trace (checked below)
      calls.push([path, signature]);
      return costs[path];
    };
    const layer = make({ fusion: 'auto', timer });
    const y = layer.forward(x);
    expect(layer.lastPath).toBe('kernel');
    expect(calls).toEqual([['output', '[2, 4, 5, 5] float64 train'], ['kernel', '[2, 4, 5, 5] float64 train']]);
    expect([...layer.autoFusionCache]).toEqual([['[2, 4, 5, 5] float64 train', { path: 'kernel', outputMs: 5, kernelMs: 3 }]]);
    expect(layer.parameters().every((p) => p.grad === null)).toBe(true);
    y.sum().backward(); // the real output's tape is intact
    expect(layer.parameters().every((p) => p.grad !== null)).toBe(true);

    costs = { output: 1, kernel: 2 };
    layer.forward(x);
    expect(calls).toHaveLength(2); // cached: no new measurement, same answer
    expect(layer.lastPath).toBe('kernel');
    layer.forward(x.narrow(0, 0, 1)); // a new shape is measured
    expect(layer.lastPath).toBe('output');
    layer.eval().forward(x); // so is eval mode
    expect(layer.lastPath).toBe('output');
    expect(calls.map(([, s]) => s)).toEqual([
      '[2, 4, 5, 5] float64 train', '[2, 4, 5, 5] float64 train', '[1, 4, 5, 5] float64 train', '[1, 4, 5, 5] float64 train',
      '[2, 4, 5, 5] float64 eval', '[2, 4, 5, 5] float64 eval',
    ]);
    expect(layer.autoFusionCache.size).toBe(3);
    // Ties go to the paper's choice for the mode.
    costs = { output: 1, kernel: 1 };
    layer.autoFusionCache.clear();
    layer.forward(x);
    expect(layer.lastPath).toBe('kernel');
    layer.train().forward(x);
    expect(layer.lastPath).toBe('output');
  });

  it("'auto' skips timing for signatures already in the cache, and the default timer measures real runs", () => {
    const layer = make({ fusion: 'auto', timer: () => { throw new Error('timer must not run'); } });
    layer.autoFusionCache.set('[2, 4, 5, 5] float64 train', { path: 'kernel', outputMs: NaN, kernelMs: NaN });
    layer.forward(x);
    expect(layer.lastPath).toBe('kernel');
    expect(() => layer.forward(x.narrow(0, 0, 1))).toThrow(/timer must not run/);

    const real = make({ fusion: 'auto' });
    real.forward(x);
    const [choice] = [...real.autoFusionCache.values()];
    expect(choice!.outputMs).toBeGreaterThan(0);
    expect(choice!.kernelMs).toBeGreaterThan(0);
    expect(choice!.path).toBe(choice!.kernelMs < choice!.outputMs ? 'kernel' : 'output');
    expect(real.lastPath).toBe(choice!.path);
  });
});

// ---- a predictor shared by a block --------------------------------------------------------------------

describe('CoefficientPredictor', () => {
  it('is pooling, FC (ReLU, FC), sigmoid, with fc or fc1/fc2 state-dict keys', () => {
    const x = randn([3, 5, 4, 2], { dtype: 'float64', generator: new Generator(2) });
    const pooled = x.mean([2, 3]);
    const one = new CoefficientPredictor(5, 7, { dtype: 'float64', generator: new Generator(3) });
    expect(Object.keys(one.stateDict())).toEqual(['fc.weight', 'fc.bias']);
    expectClose(f64(one.forward(x)), f64(pooled.matmul(one.fc!.weight.t()).add(one.fc!.bias!).sigmoid()), { rtol: 1e-12, atol: 1e-14 });
    const two = new CoefficientPredictor(5, 7, { hidden: 2, dtype: 'float64', generator: new Generator(3) });
    expect(Object.keys(two.stateDict())).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const h = pooled.matmul(two.fc1!.weight.t()).add(two.fc1!.bias!).relu();
    const eta = two.forward(x);
    expectClose(f64(eta), f64(h.matmul(two.fc2!.weight.t()).add(two.fc2!.bias!).sigmoid()), { rtol: 1e-12, atol: 1e-14 });
    expect(eta.shape).toEqual([3, 7]);
    expect([...eta.dataSync()].every((e) => e > 0 && e < 1)).toBe(true);
  });

  it('serves two DynamicConv2d layers: the slices line up and both send gradients to it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 3 }), fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }), (seed, g, hidden) => {
        const gen = new Generator(seed);
        const opts = { padding: 1, groupSize: g, predictor: 'external' as const, dtype: 'float64' as const, generator: gen };
        const l1 = new DynamicConv2d(4, 3, 3, opts);
        const l2 = new DynamicConv2d(3, 2, 1, { ...opts, padding: 0 });
        const shared = new CoefficientPredictor(4, totalCoefficients([l1, l2]), { hidden, dtype: 'float64', generator: gen });
        expect(shared.outputs).toBe(3 * g + 2 * g);
        const x = randn([2, 4, 4, 4], { dtype: 'float64', generator: gen });
        const eta = shared.forward(x);
        const [e1, e2] = splitCoefficients(eta, [l1, l2]);
        expect([e1!.shape, e2!.shape]).toEqual([[2, 3 * g], [2, 2 * g]]);

        // Slices line up: a twin of layer 1 with its own predictor made of the shared predictor's
        // first rows computes the same thing; a predictor made of the last rows gives e2.
        const twin = new DynamicConv2d(4, 3, 3, { padding: 1, groupSize: g, hidden, dtype: 'float64' });
        const sd = shared.stateDict();
        const rows = (k: string, start: number, n: number) => sd[k]!.narrow(0, start, n);
        const last = hidden === undefined ? 'fc' : 'fc2';
        const fcKeys: StateDict = hidden === undefined ? {} : { 'predictor.fc1.weight': sd['fc1.weight']!, 'predictor.fc1.bias': sd['fc1.bias']! };
        twin.loadStateDict({
          weight: l1.weight, bias: l1.bias!, ...fcKeys,
          [`predictor.${last}.weight`]: rows(`${last}.weight`, 0, 3 * g), [`predictor.${last}.bias`]: rows(`${last}.bias`, 0, 3 * g),
        });
        const y1 = l1.forward(x, e1);
        expectClose(f64(twin.forward(x)), f64(y1), { rtol: 1e-12, atol: 1e-12 });
        const p2 = new CoefficientPredictor(4, 2 * g, { hidden, dtype: 'float64' });
        p2.loadStateDict({
          ...(hidden === undefined ? {} : { 'fc1.weight': sd['fc1.weight']!, 'fc1.bias': sd['fc1.bias']! }),
          [`${last}.weight`]: rows(`${last}.weight`, 3 * g, 2 * g), [`${last}.bias`]: rows(`${last}.bias`, 3 * g, 2 * g),
        });
        expectClose(f64(p2.forward(x)), f64(e2!), { rtol: 1e-12, atol: 1e-14 });

        // Gradients: the total reaching the shared predictor is the sum of what comes through
        // each layer's coefficients, and each part is non-zero.
        const v = randn([2, 2, 4, 4], { dtype: 'float64', generator: gen });
        const params = shared.parameters();
        const through = (detach1: boolean, detach2: boolean) => {
          const [a, b] = splitCoefficients(shared.forward(x), [l1, l2]);
          const h = l1.forward(x, detach1 ? a!.detach() : a);
          const loss = l2.forward(h, detach2 ? b!.detach() : b).mul(v).sum();
          return grad(loss, params, { allowUnused: true }).map((t) => (t ? f64(t) : null));
        };
        const total = through(false, false);
        const via1 = through(false, true);
        const via2 = through(true, false);
        total.forEach((t, i) => expectClose(t!, via1[i]!.map((z, j) => z + via2[i]![j]!), { rtol: 1e-10, atol: 1e-12 }));
        // The last FC layer's bias always gets some gradient (a ReLU may silence the rest).
        const bias = shared.namedParameters().findIndex(([n]) => n === `${last}.bias`);
        expect(via1[bias]!.some((z) => z !== 0)).toBe(true);
        expect(via2[bias]!.some((z) => z !== 0)).toBe(true);
      }),
      runs(1),
    );
  });
});

// ---- cost accounting -----------------------------------------------------------------------------------

describe('dynamicConvCost', () => {
  it('matches hand-computed multiply-adds for a small case', () => {
    // 4 -> 6 channels, groups 2 (K = 4/2 * 3*3 = 18), g = 3, pad 1: input [2, 4, 5, 5] -> [2, 6, 5, 5].
    const layer = new DynamicConv2d(4, 6, 3, { padding: 1, groups: 2, groupSize: 3 });
    const predictor = 2 * 4 * 25 + 2 * 4 * 18; // pooling + FC 4 -> 18
    expect(predictorCost(layer.predictor!, [2, 4, 5, 5])).toBe(predictor);
    expect(dynamicConvCost(layer, [2, 4, 5, 5])).toEqual({
      outputShape: [2, 6, 5, 5],
      output: { conv: 2 * 18 * 25 * 18, fusion: 2 * 18 * 25, predictor, total: 16200 + 900 + predictor },
      kernel: { conv: 2 * 6 * 25 * 18, fusion: 2 * 18 * 18, predictor, total: 5400 + 648 + predictor },
    });
    // Stride 2, no padding, hidden predictor, 2x3 kernel: [1, 4, 7, 9] -> [1, 5, 3, 4]; K = 24.
    const l2 = new DynamicConv2d(4, 5, [2, 3], { stride: 2, groupSize: 2, hidden: 3 });
    const p2 = 1 * 4 * 63 + (4 * 3 + 3 * 10);
    expect(dynamicConvCost(l2, [1, 4, 7, 9])).toEqual({
      outputShape: [1, 5, 3, 4],
      output: { conv: 10 * 12 * 24, fusion: 10 * 12, predictor: p2, total: 2880 + 120 + p2 },
      kernel: { conv: 5 * 12 * 24, fusion: 10 * 24, predictor: p2, total: 1440 + 240 + p2 },
    });
    // An external predictor is counted where it lives.
    expect(dynamicConvCost(new DynamicConv2d(4, 6, 3, { predictor: 'external' }), [1, 4, 5, 5]).kernel.predictor).toBe(0);
  });

  it('at batch 1 kernel fusion needs 1/groupSize of output fusion\'s convolution multiply-adds', () => {
    fc.assert(
      fc.property(configArb, (c) => {
        const { layer } = setup(c);
        const cost = dynamicConvCost(layer, [1, c.cin, c.H, c.W]);
        expect(cost.kernel.conv * c.groupSize).toBe(cost.output.conv);
      }),
      runs(2),
    );
    // The benchmark's layer: overall (conv + fusion + predictor) within 2% of 1/6.
    const cost = dynamicConvCost(new DynamicConv2d(64, 64, 3, { padding: 1 }), [1, 64, 28, 28]);
    expect(cost.output.conv).toBe(384 * 784 * 576);
    expect(Math.abs((cost.kernel.total / cost.output.total) * 6 - 1)).toBeLessThan(0.02);
  });
});

// ---- printing, keys and errors -----------------------------------------------------------------------

describe('DynamicConv2d: keys, printing, initialisation and errors', () => {
  it('has PyTorch-style keys and printing, and the conv default initialisation', () => {
    const layer = new DynamicConv2d(8, 4, 3, { stride: 2, padding: 1, groups: 2, groupSize: 6, hidden: 2, generator: new Generator(4) });
    expect(Object.keys(layer.stateDict())).toEqual(['weight', 'bias', 'predictor.fc1.weight', 'predictor.fc1.bias', 'predictor.fc2.weight', 'predictor.fc2.bias']);
    expect(layer.weight.shape).toEqual([24, 4, 3, 3]);
    expect(layer.numCoefficients).toBe(24);
    expect(layer.toString().split('\n')[0]).toBe('DynamicConv2d(8, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=2, group_size=6, fusion=paper');
    expect(new DynamicConv2d(3, 3, 1, { bias: false, fusion: 'auto', predictor: 'external' }).toString()).toBe(
      'DynamicConv2d(3, 3, kernel_size=(1, 1), stride=(1, 1), bias=False, group_size=6, fusion=auto, predictor=external)',
    );
    expect(new DynamicConv2d(3, 3, 1, { groupSize: 4, kernelFusion: 'loop', predictor: 'external' }).toString()).toBe(
      'DynamicConv2d(3, 3, kernel_size=(1, 1), stride=(1, 1), group_size=4, fusion=paper, kernel_fusion=loop, predictor=external)',
    );
    // With its own predictor it has a submodule, so the totals line: weight, bias, predictor.
    expect(layer.toString().split('\n').at(-1)).toBe(`Total params: ${layer.numParameters()} (trainable ${layer.numParameters()})`);
    expect(layer.numParameters()).toBe(24 * 4 * 9 + 4 + (8 * 2 + 2) + (2 * 24 + 24));
    const bound = 1 / Math.sqrt(4 * 9); // fan_in = inChannels / groups * kh * kw
    const w = [...layer.weight.dataSync(), ...layer.bias!.dataSync()];
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(layer).toBeInstanceOf(Module);
  });

  it('bad inputs give errors naming the layer and the shapes', () => {
    expect(() => new DynamicConv2d(6, 4, 3, { groups: 4 })).toThrow(/DynamicConv2d\(6, 4, kernel_size=\(3, 3\), group_size=6\): inChannels \(6\) and outChannels \(4\) must be divisible by groups \(4\)/);
    expect(() => new DynamicConv2d(4, 4, 3, { groupSize: 0 })).toThrow(/groupSize must be a positive integer, got 0/);
    expect(() => new DynamicConv2d(4, 4, 3, { predictor: 'external', hidden: 2 })).toThrow(/hidden \(2\) configures the layer's own predictor/);
    expect(() => new DynamicConv2d(4, 4, 3, { fusion: 'fast' as never })).toThrow(/fusion must be 'output', 'kernel' or 'auto'/);
    expect(() => new DynamicConv2d(4, 4, 3, { padding: 'same', stride: 2 })).toThrow(/padding 'same' needs stride 1/);
    const ext = new DynamicConv2d(4, 2, 3, { groupSize: 3, predictor: 'external' });
    const x = randn([2, 4, 5, 5]);
    expect(() => ext.forward(x)).toThrow(/DynamicConv2d\(4, 2, kernel_size=\(3, 3\), group_size=3\): predictor is 'external', so forward\(x, eta\) needs eta of shape \[2, 6\].*input \[2, 4, 5, 5\]/);
    expect(() => ext.forward(x, rand([2, 5]))).toThrow(/eta must have shape \[2, 6\] .*got \[2, 5\] for input \[2, 4, 5, 5\]/);
    expect(() => ext.forward(x, rand([1, 6]))).toThrow(/eta must have shape \[2, 6\]/);
    expect(() => ext.forward(randn([2, 3, 5, 5]), rand([2, 6]))).toThrow(/expects input \[N, 4, H, W\], got \[2, 3, 5, 5\]/);
    expect(() => ext.forward(randn([4, 5, 5]), rand([2, 6]))).toThrow(/expects input \[N, 4, H, W\], got \[4, 5, 5\]/);
    expect(() => splitCoefficients(rand([2, 7]), [ext, 2])).toThrow(/take 6 \+ 2 = 8 coefficients per image, but eta has shape \[2, 7\]/);
    expect(() => new CoefficientPredictor(4, 0)).toThrow(/outputs must be a positive integer/);
    expect(() => outputFusionConv2d(x, randn([7, 4, 3, 3]), rand([2, 7]), 2)).toThrow(/groupSize 2 must be a positive integer dividing the 7 kernels/);
  });
});

// ---- fixed coefficients (the paper's "Fix" ablation) ----------------------------------------------

describe("DynamicConv2d with predictor: 'fixed'", () => {
  it('is the convolution with each channel\'s g kernels summed: equal to eta = 1 on both fusion paths, and to a Conv2d holding the sums', () => {
    fc.assert(
      fc.property(configArb, (c0) => {
        const c = { ...c0, predictor: 'external' as const, hidden: undefined };
        const g = new Generator(c.seed);
        const opts = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
        const layer = new DynamicConv2d(c.cin, c.cout, c.kernel, { ...opts, bias: c.bias, groupSize: c.groupSize, predictor: 'fixed', dtype: 'float64', generator: g });
        expect(layer.predictor).toBeNull();
        expect(Object.keys(layer.stateDict())).toEqual(c.bias ? ['weight', 'bias'] : ['weight']);
        const x = randn([c.N, c.cin, c.H, c.W], { dtype: 'float64', generator: new Generator(c.seed + 1) });
        const y = layer.forward(x);
        expect(layer.lastPath).toBe('kernel');
        const conv = new Conv2d(c.cin, c.cout, c.kernel, { ...opts, bias: c.bias, dtype: 'float64' });
        conv.loadStateDict({ weight: layer.summedWeight(), ...(c.bias ? { bias: layer.bias! } : {}) });
        expectClose(f64(y), f64(conv.forward(x)), { rtol: 0, atol: 0 });
        const one = ones([c.N, layer.numCoefficients], { dtype: 'float64' });
        for (const variant of VARIANTS) {
          use(layer, variant);
          expectClose(f64(layer.forward(x, one)), f64(y), { rtol: 1e-12, atol: 1e-12 });
        }
        // The sums by hand: kernel o is weight[o*g] + ... + weight[o*g + g - 1].
        const w = f64(layer.weight);
        const size = w.length / (c.cout * c.groupSize);
        const want = new Float64Array(c.cout * size);
        for (let o = 0; o < c.cout; o++) for (let i = 0; i < c.groupSize; i++) for (let k = 0; k < size; k++) want[o * size + k]! += w[(o * c.groupSize + i) * size + k]!;
        expectClose(f64(layer.summedWeight()), want, { rtol: 1e-15, atol: 0 });
      }),
      runs(1),
    );
  });

  it('trains every kernel of the bank (each gets the gradient of the summed kernel) and has no predictor to cost', () => {
    const layer = new DynamicConv2d(3, 2, 3, { padding: 1, groupSize: 3, predictor: 'fixed', dtype: 'float64', generator: new Generator(1) });
    const x = randn([2, 3, 5, 5], { dtype: 'float64', generator: new Generator(2) });
    const [gw] = grad(layer.forward(x).square().sum(), [layer.weight]);
    const rows = f64(gw!);
    const size = 3 * 9;
    for (let o = 0; o < 2; o++) for (let i = 1; i < 3; i++) expectClose(rows.slice((o * 3 + i) * size, (o * 3 + i + 1) * size), rows.slice(o * 3 * size, (o * 3 + 1) * size), { rtol: 0, atol: 0 });
    checkGradients((w) => conv2d(x, w.reshape([2, 3, 3, 3, 3]).sum(1), layer.bias, { padding: 1 }), [layer.weight.detach().requiresGrad_()]);
    const cost = dynamicConvCost(layer, [4, 3, 5, 5]);
    expect(cost.kernel).toEqual({ conv: 4 * 2 * 25 * 27, fusion: 2 * 3 * 27, predictor: 0, total: 4 * 2 * 25 * 27 + 2 * 3 * 27 });
    expect(layer.toString()).toBe('DynamicConv2d(3, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), group_size=3, fusion=paper, predictor=fixed)');
    expect(() => new DynamicConv2d(3, 2, 3, { predictor: 'fixed', hidden: 2 })).toThrow(/hidden \(2\) configures the layer's own predictor, but predictor is 'fixed'/);
    expect(() => new DynamicConv2d(3, 2, 3, { predictor: 'none' as never })).toThrow(/predictor must be 'own', 'external' or 'fixed'/);
  });
});
