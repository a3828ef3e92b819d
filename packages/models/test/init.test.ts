/**
 * torchvision's initialisation: the static builders draw convs kaiming-normal (fan-out, ReLU
 * gain), set BatchNorm to 1/0 and (MobileNets) the classifier to N(0, 0.01); 'pytorch' keeps
 * the layers' kaiming-uniform defaults.
 */
import { manualSeed, type Tensor } from '@dynconv/core';
import { BatchNorm2d, Conv2d, Linear, type Module } from '@dynconv/nn';
import { describe, expect, it } from 'vitest';
import { mobilenetV2, resnet18, torchvisionInit } from '../src/index.js';

function stats(t: Tensor): { mean: number; std: number; maxAbs: number } {
  const v = Array.from(t.dataSync());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std, maxAbs: Math.max(...v.map(Math.abs)) };
}

function first<T>(model: Module, cls: new (...a: never[]) => T): T {
  const m = model.modules().find((x) => x instanceof cls);
  if (!m) throw new Error(`no ${cls.name}`);
  return m as T;
}

describe('torchvision initialisation', () => {
  it('ResNet: convs kaiming-normal with fan-out and ReLU gain, BatchNorm 1 and 0', () => {
    const model = resnet18({ widthMult: 0.25, numClasses: 10, generator: manualSeed(1) });
    const conv1 = first(model, Conv2d);
    const [cOut, , kh, kw] = conv1.weight.shape as [number, number, number, number];
    const s = stats(conv1.weight);
    expect(s.std).toBeGreaterThan(0.93 * Math.sqrt(2 / (cOut * kh * kw)));
    expect(s.std).toBeLessThan(1.07 * Math.sqrt(2 / (cOut * kh * kw)));
    // A normal draw reaches past the uniform default's bound sqrt(3) * std.
    expect(s.maxAbs).toBeGreaterThan(Math.sqrt(3) * s.std);
    for (const bn of model.modules().filter((m): m is BatchNorm2d => m instanceof BatchNorm2d)) {
      expect(Array.from(bn.weight!.dataSync()).every((x) => x === 1)).toBe(true);
      expect(Array.from(bn.bias!.dataSync()).every((x) => x === 0)).toBe(true);
    }
  });

  it('MobileNetV2: the classifier from N(0, 0.01) with zero bias', () => {
    const model = mobilenetV2({ widthMult: 0.25, numClasses: 100, generator: manualSeed(2) });
    const fc = first(model, Linear);
    const s = stats(fc.weight);
    expect(Math.abs(s.mean)).toBeLessThan(0.001);
    expect(s.std).toBeGreaterThan(0.0095);
    expect(s.std).toBeLessThan(0.0105);
    expect(Array.from(fc.bias!.dataSync()).every((x) => x === 0)).toBe(true);
  });

  it("init: 'pytorch' keeps the layers' kaiming-uniform defaults (bounded by 1 / sqrt(fan-in))", () => {
    const model = resnet18({ widthMult: 0.25, numClasses: 10, generator: manualSeed(1), init: 'pytorch' });
    const conv1 = first(model, Conv2d);
    const [, cIn, kh, kw] = conv1.weight.shape as [number, number, number, number];
    expect(stats(conv1.weight).maxAbs).toBeLessThanOrEqual(1 / Math.sqrt(cIn * kh * kw));
  });

  it('is seeded: the same generator seed gives the same weights', () => {
    const a = torchvisionInit(resnet18({ widthMult: 0.25, numClasses: 10, init: 'pytorch' }), 'resnet', manualSeed(5));
    const b = torchvisionInit(resnet18({ widthMult: 0.25, numClasses: 10, init: 'pytorch' }), 'resnet', manualSeed(5));
    expect(Array.from(first(a, Conv2d).weight.dataSync())).toEqual(Array.from(first(b, Conv2d).weight.dataSync()));
  });

  it('rejects an unknown init choice', () => {
    expect(() => resnet18({ widthMult: 0.25, init: 'xavier' as 'pytorch' })).toThrow(/init must be 'torchvision' or 'pytorch'/);
  });
});
