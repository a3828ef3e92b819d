/** profile(): per-layer and total multiply-adds and parameters, from one forward pass. */
import { describe, expect, it } from 'vitest';
import { Generator } from '@dynconv/core';
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, DynamicConv2d, dynamicConvCost, Flatten, Linear, Module, ReLU, Sequential } from '@dynconv/nn';
import { dyMobilenetV3Small, dyResnet18, profile, resnet18 } from '../src/index.js';

describe('profile', () => {
  it('counts a small net by hand', () => {
    const net = new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new BatchNorm2d(4), new ReLU(), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(4, 2));
    const p = profile(net.eval(), [2, 3, 8, 8]);
    expect(p.layers.map((l) => [l.name, l.type, l.macs, l.params])).toEqual([
      ['0', 'Conv2d', 2 * 4 * 64 * 27, 4 * 27 + 4],
      ['1', 'BatchNorm2d', 0, 8],
      ['3', 'AdaptiveAvgPool2d', 2 * 4 * 64, 0],
      ['5', 'Linear', 2 * 4 * 2, 10],
    ]);
    expect(p.macs).toBe(2 * 4 * 64 * 27 + 2 * 4 * 64 + 16);
    expect(p.params).toBe(net.numParameters());
    expect(p.layers[0]!.outputShape).toEqual([2, 4, 8, 8]);
    expect(p.breakdown).toEqual({ conv: 2 * 4 * 64 * 27, dynamicConv: 0, fusion: 0, predictor: 0, linear: 16, pool: 2 * 4 * 64 });
  });

  it('a module called twice is counted twice but owns its parameters once; forward is restored', () => {
    class Twice extends Module {
      readonly conv = this.module('conv', new Conv2d(2, 2, 1, { bias: false }));
      forward(x: Parameters<Conv2d['forward']>[0]) {
        return this.conv.forward(this.conv.forward(x));
      }
    }
    const m = new Twice();
    const p = profile(m, [1, 2, 3, 3]);
    expect(p.layers.map((l) => [l.macs, l.params])).toEqual([[36, 4], [36, 0]]);
    expect(Object.hasOwn(m, 'forward') || Object.hasOwn(m.conv, 'forward')).toBe(false);
  });

  it('resnet18: per-layer rows add up; every parameter is in a row', () => {
    const m = resnet18({ numClasses: 10, widthMult: 0.25, generator: new Generator(0) }).eval();
    const p = profile(m, [1, 3, 64, 64]);
    expect(p.layers.reduce((n, l) => n + l.params, 0)).toBe(m.numParameters());
    expect(p.layers.find((l) => l.name === 'layer2.0.conv1')!.macs).toBe(32 * 8 * 8 * 16 * 9);
    const b = p.breakdown;
    expect(b.conv + b.linear + b.pool).toBe(p.macs);
  });

  it('a Dy-model in eval mode counts kernel fusion, the fusion and the shared predictors; in training mode output fusion, leaving the model as it was', () => {
    const m = dyResnet18({ numClasses: 10, widthMult: 0.25, generator: new Generator(0) });
    const ev = profile(m.eval(), [1, 3, 64, 64]);
    const dyn = ev.layers.filter((l) => l.type === 'DynamicConv2d');
    expect(dyn.length).toBe(16);
    expect(dyn.every((l) => l.dynamic!.path === 'kernel')).toBe(true);
    const conv = m.namedModules().find(([n]) => n === 'layer3.0.conv1')![1] as DynamicConv2d;
    const row = ev.layers.find((l) => l.name === 'layer3.0.conv1')!;
    expect(row.macs).toBe(dynamicConvCost(conv, row.inputShape).kernel.total);
    expect(ev.layers.filter((l) => l.type === 'CoefficientPredictor')).toHaveLength(8);
    expect(ev.breakdown.fusion).toBeGreaterThan(0);
    expect(ev.breakdown.predictor).toBeGreaterThan(0);
    const { conv: c, dynamicConv, fusion, predictor, linear, pool } = ev.breakdown;
    expect(c + dynamicConv + fusion + predictor + linear + pool).toBe(ev.macs);

    const before = Object.entries(m.stateDict()).map(([k, t]) => [k, [...t.dataSync()]]);
    const tr = profile(m.train(), [2, 3, 64, 64]);
    expect(tr.layers.filter((l) => l.type === 'DynamicConv2d').every((l) => l.dynamic!.path === 'output')).toBe(true);
    expect(tr.breakdown.dynamicConv).toBe(2 * 6 * ev.breakdown.dynamicConv); // batch 2, g = 6 kernels each
    expect(Object.entries(m.stateDict()).map(([k, t]) => [k, [...t.dataSync()]])).toEqual(before);
  });

  it('squeeze-excitation: its pooling and its two 1x1 convs', () => {
    const m = dyMobilenetV3Small({ numClasses: 10, widthMult: 0.25, generator: new Generator(0) }).eval();
    const p = profile(m, [1, 3, 32, 32]);
    const se = p.layers.find((l) => l.name === 'features.1.block.1')!;
    expect(se.type).toBe('SqueezeExcitation');
    expect(se.macs).toBe(se.inputShape.reduce((a, b) => a * b, 1));
    expect(p.layers.find((l) => l.name === 'features.1.block.1.fc1')!.type).toBe('Conv2d');
  });
});
