/**
 * The layer classes and loss modules vs PyTorch's: the same state-dict keys in the same order,
 * PyTorch's state loaded strictly, then outputs (and, in train mode, BatchNorm buffers) and input
 * gradients through the op runner.
 */
import type { Tensor } from '@dynconv/core';
import * as nn from '@dynconv/nn';
import { expect, it } from 'vitest';
import { ParitySummary } from './compare.js';
import { describeTorch } from './harness.js';
import { caseTitle, type OpInput, runOpCase } from './op-runner.js';

type Options = Record<string, any>;
type Build = (k: Options, state: Record<string, Tensor>) => nn.Module<any[], Tensor>;

const f64 = { dtype: 'float64' } as const;

/** dynconv's side of gen_layers.py's BUILD, from the case's options and PyTorch's state. */
const BUILD: Record<string, Build> = {
  GroupNorm: (k) => new nn.GroupNorm(k.numGroups, k.numChannels, { ...f64, eps: k.eps, affine: k.affine }),
  BatchNorm1d: (k) => new nn.BatchNorm1d(k.numFeatures, { ...f64, momentum: k.momentum, affine: k.affine }),
  ConvTranspose2d: (k) => new nn.ConvTranspose2d(k.inChannels, k.outChannels, k.kernelSize, { ...f64, stride: k.stride, padding: k.padding, outputPadding: k.outputPadding, groups: k.groups, bias: k.bias, dilation: k.dilation }),
  AdaptiveMaxPool2d: (k) => new nn.AdaptiveMaxPool2d(k.outputSize),
  GELU: (k) => new nn.GELU({ approximate: k.approximate }),
  ELU: (k) => new nn.ELU({ alpha: k.alpha }),
  LeakyReLU: (k) => new nn.LeakyReLU({ negativeSlope: k.negativeSlope }),
  Softplus: (k) => new nn.Softplus({ beta: k.beta, threshold: k.threshold }),
  Tanh: () => new nn.Tanh(),
  Softmax: (k) => new nn.Softmax(k.dim),
  LogSoftmax: (k) => new nn.LogSoftmax(k.dim),
  Upsample: (k) => new nn.Upsample(k),
  MSELoss: (k) => new nn.MSELoss({ reduction: k.reduction }),
  L1Loss: (k) => new nn.L1Loss({ reduction: k.reduction }),
  SmoothL1Loss: (k) => new nn.SmoothL1Loss({ reduction: k.reduction, beta: k.beta }),
  BCEWithLogitsLoss: (k, s) => new nn.BCEWithLogitsLoss({ reduction: k.reduction, weight: s.weight ?? null, posWeight: s.pos_weight ?? null }),
  NLLLoss: (k, s) => new nn.NLLLoss({ reduction: k.reduction, weight: s.weight ?? null, ignoreIndex: k.ignoreIndex }),
  CrossEntropyLoss: (k, s) => new nn.CrossEntropyLoss({ reduction: k.reduction, weight: s.weight ?? null, ignoreIndex: k.ignoreIndex, labelSmoothing: k.labelSmoothing }),
};

/** The case's state.<key> inputs as a state dict. */
function stateOf(inputs: Record<string, OpInput>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(inputs).filter(([k]) => k.startsWith('state.')).map(([k, v]) => [k.slice(6), v as Tensor]));
}

describeTorch('PyTorch parity: layer classes and loss modules', 'layers', ({ cases }) => {
  const summary = new ParitySummary('layers');
  cases.forEach((c, i) => {
    it(`${caseTitle(c, i)}`, () => {
      const build = BUILD[c.op];
      if (!build) throw new Error(`no dynconv layer for generated ${c.op}`);
      runOpCase(c, (inputs, k) => {
        const state = stateOf(inputs);
        const layer = build(k, state);
        expect(Object.keys(layer.stateDict()), 'state-dict keys in PyTorch\'s order').toEqual((c.stateKeys as string[]).map((s) => s.slice(6)));
        layer.loadStateDict(state);
        layer.train(c.train === true);
        const args = ['x', 'target'].filter((n) => n in inputs).map((n) => inputs[n] as Tensor);
        const y = layer.forward(...args);
        if (layer instanceof nn.BatchNorm && c.train && layer.runningMean) return [y, layer.runningMean, layer.runningVar!, layer.numBatchesTracked!];
        return y;
      }, summary);
    });
  });
});
