/**
 * The layer classes over functions core already has, and the loss modules: each forward is its
 * function with the layer's options, state-dict keys are PyTorch's, parameters get gradients,
 * and bad shapes are refused with the layer's name.
 */
import * as dc from '@dynconv/core';
import { Generator, randn, type Tensor, tensor } from '@dynconv/core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '@dynconv/testing';
import {
  AdaptiveMaxPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, BCEWithLogitsLoss, ConvTranspose2d, CrossEntropyLoss, ELU, GELU, GroupNorm, L1Loss, LayerNorm,
  LeakyReLU, LogSoftmax, MaxPool2d, MSELoss, NLLLoss, SmoothL1Loss, Softmax, Softplus, Tanh, Upsample,
} from '../src/index.js';

const f64 = (shape: number[], seed: number): Tensor => randn(shape, { dtype: 'float64', generator: new Generator(seed) });
const same = (a: Tensor, b: Tensor) => expectClose(a.dataSync(), b.dataSync(), { rtol: 0, atol: 0 });

describe('activation and pooling layers call their functions with their options', () => {
  const x = f64([2, 3, 4, 4], 1);
  it.each([
    ['GELU tanh', new GELU({ approximate: 'tanh' }), dc.gelu(x, 'tanh')],
    ['ELU', new ELU({ alpha: 0.5 }), dc.elu(x, 0.5)],
    ['LeakyReLU', new LeakyReLU({ negativeSlope: 0.2 }), dc.leakyRelu(x, 0.2)],
    ['Softplus', new Softplus({ beta: 2, threshold: 1 }), dc.softplus(x, 2, 1)],
    ['Tanh', new Tanh(), x.tanh()],
    ['Softmax', new Softmax(1), dc.softmax(x, 1)],
    ['LogSoftmax', new LogSoftmax(-1), dc.logSoftmax(x, -1)],
    ['AdaptiveMaxPool2d', new AdaptiveMaxPool2d([3, 2]), dc.adaptiveMaxPool2d(x, [3, 2])],
    ['Upsample', new Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: true }), dc.interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: true })],
  ] as const)('%s', (_, layer, want) => {
    same(layer.forward(x), want);
    expect(Object.keys(layer.stateDict())).toEqual([]);
  });

  it('defaults are PyTorch\'s', () => {
    same(new ELU().forward(x), dc.elu(x, 1));
    same(new LeakyReLU().forward(x), dc.leakyRelu(x, 0.01));
    same(new Softplus().forward(x), dc.softplus(x, 1, 20));
    same(new GELU().forward(x), dc.gelu(x));
    expect(new LeakyReLU().toString()).toBe('LeakyReLU(negative_slope=0.01)');
  });
});

describe('printing: hyperparameters as PyTorch writes them', () => {
  it.each([
    [new BatchNorm2d(8), 'BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)'],
    [new BatchNorm1d(4, { eps: 0.001, momentum: null, affine: false, trackRunningStats: false }), 'BatchNorm1d(4, eps=0.001, momentum=None, affine=False, track_running_stats=False)'],
    [new BatchNorm2d(2, { eps: 1.5e-7 }), 'BatchNorm2d(2, eps=1.5e-07, momentum=0.1, affine=True, track_running_stats=True)'],
    [new GroupNorm(2, 4), 'GroupNorm(2, 4, eps=1e-05, affine=True)'],
    [new LayerNorm([3, 4], { elementwiseAffine: false }), 'LayerNorm((3, 4), eps=1e-05, elementwise_affine=False)'],
    [new LayerNorm(5), 'LayerNorm((5,), eps=1e-05, elementwise_affine=True)'],
    [new MaxPool2d(3, { stride: 2, padding: 1 }), 'MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)'],
    [new MaxPool2d([2, 3], { ceilMode: true }), 'MaxPool2d(kernel_size=(2, 3), stride=(2, 3), padding=0, dilation=1, ceil_mode=True)'],
    [new AvgPool2d(2), 'AvgPool2d(kernel_size=2, stride=2, padding=0)'],
  ] as const)('%s', (layer, text) => {
    expect(layer.toString()).toBe(text);
  });
});

describe('GroupNorm, BatchNorm1d, ConvTranspose2d', () => {
  it('GroupNorm: weight and bias [C] (ones, zeros), groupNorm with them; refuses channels not divisible by groups', () => {
    const g = new GroupNorm(2, 4, { dtype: 'float64' });
    expect(Object.keys(g.stateDict())).toEqual(['weight', 'bias']);
    const x = f64([2, 4, 3], 2);
    same(g.forward(x), dc.groupNorm(x, 2, g.weight, g.bias));
    expect(Object.keys(new GroupNorm(1, 3, { affine: false }).stateDict())).toEqual([]);
    expect(() => new GroupNorm(3, 4)).toThrow(/GroupNorm: numChannels \(4\) must be divisible by numGroups \(3\)/);
  });

  it('BatchNorm1d: [N, C] and [N, C, L], the BatchNorm2d state dict, running statistics updated in training', () => {
    const bn = new BatchNorm1d(3, { dtype: 'float64' });
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    const x = f64([5, 3], 3);
    bn.forward(x);
    expect(bn.numBatchesTracked!.item()).toBe(1);
    expectClose(bn.runningMean!.dataSync(), x.mean(0).mul(0.1).dataSync(), { rtol: 1e-14, atol: 1e-15 });
    expect(bn.forward(f64([2, 3, 4], 4)).shape).toEqual([2, 3, 4]);
    expect(() => bn.forward(f64([2, 3, 4, 4], 5))).toThrow(/BatchNorm1d: expects input of shape \[N, C\] or \[N, C, L\], got \[2, 3, 4, 4\]/);
  });

  it('ConvTranspose2d: weight [in, out / groups, kh, kw], PyTorch\'s init bounds, convTranspose2d with the options', () => {
    const layer = new ConvTranspose2d(4, 6, [3, 2], { dtype: 'float64', stride: 2, outputPadding: 1, groups: 2, generator: new Generator(7) });
    expect(Object.keys(layer.stateDict())).toEqual(['weight', 'bias']);
    expect(layer.weight.shape).toEqual([4, 3, 3, 2]);
    // kaiming_uniform(a = sqrt(5)) and the bias bound both come from fan-in = weight.shape[1] * kh * kw = 18.
    const bound = 1 / Math.sqrt(18);
    expect(Math.max(...Array.from(layer.weight.dataSync(), Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...Array.from(layer.bias!.dataSync(), Math.abs))).toBeLessThanOrEqual(bound);
    const x = f64([1, 4, 3, 3], 8);
    same(layer.forward(x), dc.convTranspose2d(x, layer.weight, layer.bias, { stride: 2, outputPadding: 1, groups: 2 }));
    expect(() => new ConvTranspose2d(3, 4, 3, { groups: 2 })).toThrow(/ConvTranspose2d: inChannels \(3\) and outChannels \(4\) must be divisible by groups \(2\)/);
    expect(layer.toString()).toBe('ConvTranspose2d(4, 6, kernel_size=(3, 2), stride=(2, 2), output_padding=(1, 1), groups=2)');
  });
});

describe('loss modules', () => {
  const x = f64([3, 4], 9);
  const t = f64([3, 4], 10);
  const labels = tensor([0, 3, 1], { dtype: 'int32' });
  const w = tensor([1, 2, 0.5, 1], { dtype: 'float64' });

  it('call their functions with their options; class weights are buffers under PyTorch\'s names', () => {
    same(new MSELoss({ reduction: 'sum' }).forward(x, t), dc.mseLoss(x, t, { reduction: 'sum' }));
    same(new L1Loss().forward(x, t), dc.l1Loss(x, t));
    same(new SmoothL1Loss({ beta: 0.5, reduction: 'none' }).forward(x, t), dc.smoothL1Loss(x, t, { beta: 0.5, reduction: 'none' }));
    const bce = new BCEWithLogitsLoss({ posWeight: w });
    same(bce.forward(x, t.sigmoid()), dc.binaryCrossEntropyWithLogits(x, t.sigmoid(), { posWeight: w }));
    expect(Object.keys(bce.stateDict())).toEqual(['pos_weight']);
    const nll = new NLLLoss({ weight: w, ignoreIndex: 3 });
    same(nll.forward(dc.logSoftmax(x, 1), labels), dc.nllLoss(dc.logSoftmax(x, 1), labels, { weight: w, ignoreIndex: 3 }));
    expect(Object.keys(nll.stateDict())).toEqual(['weight']);
    const ce = new CrossEntropyLoss({ labelSmoothing: 0.1 });
    same(ce.forward(x, labels), dc.crossEntropy(x, labels, { labelSmoothing: 0.1 }));
    expect(Object.keys(ce.stateDict())).toEqual([]);
    expect(ce.toString()).toBe("CrossEntropyLoss(reduction='mean')");
  });

  it('the gradient reaches the input', () => {
    const xi = x.detach().requiresGrad_();
    new CrossEntropyLoss().forward(xi, labels).backward();
    expect(xi.grad!.shape).toEqual([3, 4]);
    expectClose(xi.grad!.sum(1).dataSync(), [0, 0, 0], { rtol: 0, atol: 1e-15 });
  });
});
