/**
 * The Dy- variants are built as docs/models.md describes: which convs are dynamic, their
 * widths and group size, one predictor per block serving exactly the block's dynamic convs,
 * and static stems, shortcuts and classifiers.
 */
import { describe, expect, it } from 'vitest';
import { Generator } from '@dynconv/core';
import { CoefficientPredictor, Conv2d, DynamicConv2d, Linear, type Module, SqueezeExcitation } from '@dynconv/nn';
import {
  DyBasicBlock, DyBottleneck, DyChain, DyInvertedResidual, DyInvertedResidualV3, dyMobile, dyMobilenetV3Small, dyResnet18, dyResnet50, DyShuffleUnit, dyShufflenetV2,
} from '../src/index.js';

const gen = () => new Generator(0);

function byName(m: Module): Map<string, Module<never[], unknown>> {
  return new Map(m.namedModules());
}

/** Every block that owns a predictor: the predictor's outputs are exactly its dynamic convs' coefficients. */
function checkPredictors(m: Module): number {
  let blocks = 0;
  for (const [, block] of m.namedModules()) {
    const kids = new Map(block.namedChildren());
    const predictor = kids.get('predictor');
    if (!(predictor instanceof CoefficientPredictor)) continue;
    blocks++;
    const convs = block.modules().filter((d): d is DynamicConv2d => d instanceof DynamicConv2d);
    expect(convs.length).toBeGreaterThan(0);
    expect(predictor.outputs).toBe(convs.reduce((n, c) => n + c.numCoefficients, 0));
    expect(convs.every((c) => c.predictor === null)).toBe(true); // external: the block's
  }
  return blocks;
}

describe('Dy-ResNets', () => {
  it('dyResnet18: half-width dynamic blocks, static 64-channel stem, shortcuts and fc; two-FC predictor with C_in/4 hidden', () => {
    const m = dyResnet18({ numClasses: 10, generator: gen() });
    const mods = byName(m);
    expect(mods.get('conv1')).toBeInstanceOf(Conv2d);
    expect((mods.get('conv1') as Conv2d).outChannels).toBe(64);
    const b = mods.get('layer1.0') as DyBasicBlock;
    expect(b).toBeInstanceOf(DyBasicBlock);
    expect([b.conv1.inChannels, b.conv1.outChannels, b.conv1.groupSize]).toEqual([64, 32, 6]);
    expect(b.conv1.weight.shape).toEqual([32 * 6, 64, 3, 3]);
    expect(b.predictor.hidden).toBe(16);
    // The 64-channel stem meets 32-channel blocks: a static 1x1 projection in layer1.0.
    expect(mods.get('layer1.0.downsample.0')).toBeInstanceOf(Conv2d);
    expect(mods.get('layer1.1.downsample')).toBeUndefined();
    expect((mods.get('layer4.1') as DyBasicBlock).conv2.outChannels).toBe(256);
    expect(mods.get('fc')).toBeInstanceOf(Linear);
    expect((mods.get('fc') as Linear).inFeatures).toBe(256);
    expect(checkPredictors(m)).toBe(8);
    expect(Object.keys(m.stateDict())).toContain('layer2.0.predictor.fc2.weight');
  });

  it('dyResnet50: three dynamic convs per bottleneck; blockWidth and groupSize are configurable', () => {
    const m = dyResnet50({ numClasses: 10, widthMult: 0.25, groupSize: 4, generator: gen() });
    const b = byName(m).get('layer3.2') as DyBottleneck;
    expect(b).toBeInstanceOf(DyBottleneck);
    expect([b.conv1.outChannels, b.conv2.outChannels, b.conv3.outChannels]).toEqual([32, 32, 128]); // 256 * 0.25 * 0.5, x4
    expect([b.conv1.groupSize, b.conv2.groupSize, b.conv3.groupSize]).toEqual([4, 4, 4]);
    expect(checkPredictors(m)).toBe(16);
    const full = dyResnet18({ numClasses: 10, widthMult: 0.25, blockWidth: 1, generator: gen() });
    expect((byName(full).get('layer1.0') as DyBasicBlock).conv1.outChannels).toBe(16);
    expect(() => dyResnet18({ groupSize: 0 })).toThrow(/groupSize must be a positive integer/);
  });
});

describe('Dy-mobile', () => {
  it('three dynamic layers per block, no expansion, widths multiples of 6, 3x3 groups of 6 channels', () => {
    const m = dyMobile({ numClasses: 10, generator: gen() });
    const mods = byName(m);
    expect((mods.get('features.0.0') as Conv2d).outChannels).toBe(32); // static stem
    const b = mods.get('features.2') as DyInvertedResidual;
    expect(b).toBeInstanceOf(DyInvertedResidual);
    const [c1, c2, c3] = b.conv.dynamicLayers.map((l) => l.conv) as [DynamicConv2d, DynamicConv2d, DynamicConv2d];
    expect([c1.inChannels, c1.outChannels, c1.kernelSize[0]]).toEqual([18, 24, 1]);
    expect([c2.outChannels, c2.groups, c2.kernelSize[0], c2.opts.stride]).toEqual([24, 4, 3, 2]);
    expect([c3.outChannels, c3.kernelSize[0]]).toEqual([24, 1]);
    const widths = m.modules().filter((d): d is DyInvertedResidual => d instanceof DyInvertedResidual).map((d) => d.conv.dynamicLayers[2]!.conv.outChannels);
    expect([...new Set(widths)]).toEqual([18, 24, 30, 66, 96, 162, 318]);
    expect(mods.get('features.18.0')).toBeInstanceOf(Conv2d); // static 1x1 to 1280
    expect(mods.get('classifier.1')).toBeInstanceOf(Linear);
    expect(checkPredictors(m)).toBe(17);
    expect(Object.keys(m.stateDict())).toEqual(expect.arrayContaining(['features.1.predictor.fc.weight', 'features.1.conv.0.0.weight', 'features.1.conv.2.1.running_var']));
  });
});

describe('Dy-MobileNetV3-Small', () => {
  it('MobileNetV3-Small\'s widths with dynamic expansion, depthwise and projection convs; SE static', () => {
    const m = dyMobilenetV3Small({ numClasses: 10, generator: gen() });
    const mods = byName(m);
    const b = mods.get('features.4') as DyInvertedResidualV3;
    expect(b).toBeInstanceOf(DyInvertedResidualV3);
    expect(b.block).toBeInstanceOf(DyChain);
    expect(mods.get('features.4.block.0.0')).toBeInstanceOf(DynamicConv2d);
    const dw = mods.get('features.4.block.1.0') as DynamicConv2d;
    expect([dw.inChannels, dw.outChannels, dw.groups, dw.kernelSize[0]]).toEqual([96, 96, 96, 5]);
    expect(mods.get('features.4.block.2')).toBeInstanceOf(SqueezeExcitation);
    expect(mods.get('features.4.block.3.0')).toBeInstanceOf(DynamicConv2d);
    expect(mods.get('features.0.0')).toBeInstanceOf(Conv2d);
    expect(mods.get('features.12.0')).toBeInstanceOf(Conv2d);
    expect(checkPredictors(m)).toBe(11);
  });
});

describe('Dy-shuffle', () => {
  it('stride-1 units split 3:1 with the quarter dynamic; downsampling units keep a static left branch', () => {
    const m = dyShufflenetV2({ numClasses: 10, generator: gen() });
    const mods = byName(m);
    const unit = mods.get('stage3.1') as DyShuffleUnit;
    expect(unit).toBeInstanceOf(DyShuffleUnit);
    expect(unit.right).toBe(58); // 232 / 4
    const convs = unit.branch2.dynamicLayers.map((l) => l.conv);
    expect(convs.map((c) => [c.inChannels, c.outChannels, c.groups])).toEqual([[58, 58, 1], [58, 58, 58], [58, 58, 1]]);
    expect(unit.predictor.inChannels).toBe(58);
    const down = mods.get('stage3.0') as DyShuffleUnit;
    expect(down.right).toBe(116);
    expect(mods.get('stage3.0.branch1.2')).toBeInstanceOf(Conv2d);
    expect((mods.get('stage3.0.branch1.2') as Conv2d).outChannels).toBe(116);
    expect(mods.get('conv1.0')).toBeInstanceOf(Conv2d);
    expect(mods.get('conv5.0')).toBeInstanceOf(Conv2d);
    expect(checkPredictors(m)).toBe(16);
    expect(() => dyShufflenetV2({ stagesOutChannels: [8, 18, 36, 72, 96] })).toThrow(/divisible by shuffleGroups/);
  });
});
