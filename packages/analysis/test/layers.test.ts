/**
 * recordConvLayers and ModelCorrelation on a small model with a static and a dynamic conv:
 * what is recorded, that the layers are restored, and that the streamed per-layer summaries
 * equal the correlations of the whole data computed at once.
 */
import { describe, expect, it } from 'vitest';
import { cat, conv2d, Generator, noGrad, randn, type Tensor } from '@dynconv/core';
import { Conv2d, DynamicConv2d, fuseKernels, Module } from '@dynconv/nn';
import { convLayers, featureMapCorrelations, kernelCorrelations, ModelCorrelation, perImageKernelCorrelations, recordConvLayers, summarizeCorrelations } from '../src/index.js';

class Tiny extends Module {
  readonly conv: Conv2d;
  readonly dyn: DynamicConv2d;
  readonly fix: DynamicConv2d;

  constructor(seed = 1) {
    super();
    const generator = new Generator(seed);
    this.conv = this.module('conv', new Conv2d(1, 4, 3, { padding: 1, generator }));
    this.dyn = this.module('dyn', new DynamicConv2d(4, 3, 3, { padding: 1, groupSize: 2, generator }));
    this.fix = this.module('fix', new DynamicConv2d(3, 2, 1, { groupSize: 3, predictor: 'fixed', generator }));
  }

  forward(x: Tensor): Tensor {
    return this.fix.forward(this.dyn.forward(this.conv.forward(x).relu()).relu());
  }
}

const f64 = (t: Tensor) => Array.from(t.dataSync());

describe('recordConvLayers', () => {
  it('records every conv call with its input, output and coefficients, and restores the layers', () => {
    const model = new Tiny().eval();
    expect(convLayers(model).map(([n]) => n)).toEqual(['conv', 'dyn', 'fix']);
    const x = randn([2, 1, 5, 5], { generator: new Generator(2) });
    const { result, records } = noGrad(() => recordConvLayers(model, () => model.forward(x)));
    expect(records.map((r) => r.name)).toEqual(['conv', 'dyn', 'fix']);
    expect(f64(records[2]!.output)).toEqual(f64(result));
    expect(f64(records[1]!.input)).toEqual(f64(records[0]!.output.relu()));
    expect(records[0]!.coefficients).toBeUndefined();
    expect(f64(records[1]!.coefficients!)).toEqual(f64(noGrad(() => model.dyn.predictor!.forward(records[1]!.input))));
    expect(f64(records[2]!.coefficients!)).toEqual(new Array(2 * 6).fill(1));
    for (const m of [model.conv, model.dyn, model.fix]) expect(Object.prototype.hasOwnProperty.call(m, 'forward')).toBe(false);
    expect(() => recordConvLayers(model, () => { throw new Error('boom'); })).toThrow('boom');
    expect(Object.prototype.hasOwnProperty.call(model.dyn, 'forward')).toBe(false);
    // include: only the named layer is recorded.
    expect(noGrad(() => recordConvLayers(model, () => model.forward(x), (n) => n === 'dyn')).records.map((r) => r.name)).toEqual(['dyn']);
  });
});

describe('ModelCorrelation', () => {
  it('streams batches to the same summaries as all the data at once: maps, bank maps, kernels, generated kernels', () => {
    const model = new Tiny().eval();
    const g = new Generator(5);
    const batches = [randn([3, 1, 6, 6], { generator: g }), randn([4, 1, 6, 6], { generator: g })];
    const analysis = new ModelCorrelation(model, { kernelImages: 5 });
    for (const b of batches) analysis.addBatch(b);
    expect(analysis.images).toBe(7);
    const got = analysis.result();
    expect(got.map((l) => [l.name, l.type, l.outChannels, l.groupSize, l.predictor])).toEqual([['conv', 'Conv2d', 4, null, null], ['dyn', 'DynamicConv2d', 3, 2, 'own'], ['fix', 'DynamicConv2d', 2, 3, 'fixed']]);

    const all = cat(batches, 0);
    const { records } = noGrad(() => recordConvLayers(model, () => model.forward(all)));
    const dyn = records[1]!;
    const close = (a: { meanAbs: number; pairs: number }, b: { meanAbs: number; pairs: number }) => {
      expect(a.pairs).toBe(b.pairs);
      expect(a.meanAbs).toBeCloseTo(b.meanAbs, 6);
    };
    close(got[0]!.featureMaps, summarizeCorrelations(featureMapCorrelations(records[0]!.output).values));
    close(got[1]!.featureMaps, summarizeCorrelations(featureMapCorrelations(dyn.output).values));
    close(got[1]!.bankFeatureMaps!, summarizeCorrelations(featureMapCorrelations(noGrad(() => conv2d(dyn.input, model.dyn.weight, null, { padding: 1 }))).values));
    close(got[1]!.kernels, summarizeCorrelations(kernelCorrelations(model.dyn.weight).values));
    expect(got[1]!.kernels.pairs).toBe(15); // the bank: 6 kernels
    const fused = noGrad(() => fuseKernels(model.dyn.weight, dyn.coefficients!, 2));
    close(got[1]!.generatedKernels!, summarizeCorrelations(perImageKernelCorrelations(fused, 5).values));
    expect(got[1]!.generatedKernels!.pairs).toBe(5 * 3); // 5 images, 3 pairs each
    expect(got[0]!.bankFeatureMaps).toBeNull();
    expect(got[0]!.generatedKernels).toBeNull();
    // Fixed coefficients: every image's kernels are the same sums.
    const sums = perImageKernelCorrelations(model.fix.summedWeight().reshape([1, 2, 3, 1, 1])).values[0]!;
    expect(got[2]!.generatedKernels!.mean).toBeCloseTo(sums, 12);
  });

  it('analyzes only the named layers, and names the conv layers when one is unknown', () => {
    const model = new Tiny().eval();
    const a = new ModelCorrelation(model, { layers: ['dyn'] });
    a.addBatch(randn([2, 1, 4, 4], { generator: new Generator(1) }));
    expect(a.result().map((l) => l.name)).toEqual(['dyn']);
    expect(() => new ModelCorrelation(model, { layers: ['stage9'] })).toThrow(/no conv layer named "stage9"; the model's conv layers are conv, dyn, fix/);
    expect(() => new ModelCorrelation(model).result()).toThrow(/never called/);
  });
});
