/**
 * Every model runs: an eval forward pass and a training forward + backward on small inputs
 * (narrow widths, 32x32), and a Dy-model's training path (output fusion) equals its inference
 * path (kernel fusion) for the same weights with BatchNorm in eval mode.
 */
import { describe, expect, it } from 'vitest';
import { Generator, noGrad, randn } from '@dynconv/core';
import { BatchNorm2d, Dropout, DynamicConv2d, type Module } from '@dynconv/nn';
import { type DyModelOptions, type ModelName, MODELS, STATIC_DY_PAIRS } from '../src/index.js';
import { expectClose } from '@dynconv/testing';

/** Narrow versions of each model, for 32x32 inputs and 10 classes. */
const SMALL: Record<ModelName, DyModelOptions & Record<string, unknown>> = {
  resnet18: { widthMult: 0.125 },
  dyResnet18: { widthMult: 0.25 },
  resnet50: { widthMult: 0.0625 },
  dyResnet50: { widthMult: 0.125 },
  mobilenetV2: { widthMult: 0.25 },
  dyMobile: { widthMult: 0.25 },
  mobilenetV3Small: { widthMult: 0.25 },
  dyMobilenetV3Small: { widthMult: 0.25 },
  shufflenetV2: { stagesOutChannels: [8, 16, 32, 64, 96] },
  dyShufflenetV2: { stagesOutChannels: [8, 16, 32, 64, 96] },
};

const small = (name: ModelName, extra: DyModelOptions = {}): Module => MODELS[name]({ numClasses: 10, generator: new Generator(7), ...SMALL[name], ...extra } as DyModelOptions);

const NAMES = STATIC_DY_PAIRS.flat();
const DY = STATIC_DY_PAIRS.map(([, d]) => d);

describe('eval forward pass (32x32, batch 2)', () => {
  it.each(NAMES)('%s', (name) => {
    const m = small(name).eval();
    const y = noGrad(() => m.forward(randn([2, 3, 32, 32], { generator: new Generator(1) })));
    expect(y.shape).toEqual([2, 10]);
    expect([...y.dataSync()].every(Number.isFinite)).toBe(true);
    const dynamic = m.modules().filter((x): x is DynamicConv2d => x instanceof DynamicConv2d);
    expect(dynamic.length > 0).toBe(name.startsWith('dy'));
    expect(dynamic.every((d) => d.lastPath === 'kernel')).toBe(true); // eval: kernel fusion
  });
});

describe('training forward and backward (32x32, batch 2)', () => {
  it.each(NAMES)('%s: every parameter gets a finite gradient', (name) => {
    const m = small(name).train();
    const y = m.forward(randn([2, 3, 32, 32], { generator: new Generator(2) }));
    y.mul(randn([2, 10], { generator: new Generator(3) })).sum().backward();
    const params = m.namedParameters();
    const missing = params.filter(([, p]) => !p.grad).map(([n]) => n);
    expect(missing).toEqual([]);
    expect(params.every(([, p]) => [...p.grad!.dataSync()].every(Number.isFinite))).toBe(true);
    for (const d of m.modules()) if (d instanceof DynamicConv2d) expect(d.lastPath).toBe('output'); // training: output fusion
  });
});

describe('Dy-models: the training path (output fusion) equals the inference path (kernel fusion)', () => {
  it.each(DY)('%s (float64, BatchNorm and dropout in eval)', (name) => {
    const m = small(name, { dtype: 'float64' });
    // Non-trivial BatchNorm statistics, so the comparison sees them.
    const g = new Generator(4);
    for (const bn of m.modules()) {
      if (bn instanceof BatchNorm2d) {
        bn.runningMean!.copy_(randn(bn.runningMean!.shape, { dtype: 'float64', generator: g }).mul(0.1));
        bn.runningVar!.copy_(randn(bn.runningVar!.shape, { dtype: 'float64', generator: g }).abs().add(0.5));
      }
    }
    const x = randn([2, 3, 32, 32], { dtype: 'float64', generator: new Generator(5) });
    m.train();
    for (const mod of m.modules()) if (mod instanceof BatchNorm2d || mod instanceof Dropout) mod.training = false;
    const yTrain = noGrad(() => m.forward(x));
    const convs = m.modules().filter((d): d is DynamicConv2d => d instanceof DynamicConv2d);
    expect(convs.every((d) => d.lastPath === 'output')).toBe(true);
    m.eval();
    const yEval = noGrad(() => m.forward(x));
    expect(convs.every((d) => d.lastPath === 'kernel')).toBe(true);
    expectClose(yEval.dataSync(), yTrain.dataSync(), { rtol: 1e-9, atol: 1e-9 });
  });
});
