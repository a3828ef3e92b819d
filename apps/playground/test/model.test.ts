/**
 * The playground's model code (apps/playground/src/model.ts): explain() is the net's forward
 * pass, the mixed kernels it shows are the ones the dynamic convs convolve with, weight files
 * round-trip and trainer checkpoints load; and the Train tab trains with the trainer's defaults.
 */
import { conv2d, Generator, noGrad, randn, softmax, tensor } from '@dynconv/core';
import { encodeCheckpoint, encodeSafetensors, splitCoefficients } from '@dynconv/nn';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, DynamicBlock, DyCnn, type ModelKind } from '../../../tools/models/dy-cnn.js';
import { DEFAULTS, OPTIMIZER_DEFAULTS } from '../../../tools/train/args.js';
import { buildModel, decodeWeights, encodeWeights, explain, inputTensor, mixedKernel } from '../src/model.js';
import { TRAINING } from '../src/settings.js';

/** A net with random weights and BatchNorm statistics that are not the defaults. */
function net(kind: ModelKind, seed = 1): DyCnn {
  const model = new DyCnn({ ...DEFAULT_CONFIG, kind }, { generator: new Generator(seed) });
  noGrad(() => {
    for (const [name, t] of model.namedBuffers()) {
      if (name.endsWith('running_mean')) t.copy_(randn(t.shape, { generator: new Generator(seed + 7) }).mul(0.1));
      if (name.endsWith('running_var')) t.copy_(randn(t.shape, { generator: new Generator(seed + 8) }).abs().add(0.5));
    }
  });
  return model.eval();
}

/** A 28x28 image with some ink. */
function digit(seed: number): Float32Array {
  const g = new Generator(seed);
  return Float32Array.from(randn([784], { generator: g }).dataSync() as Float32Array, (v) => Math.max(0, Math.min(1, v)));
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('explain', () => {
  for (const kind of ['dynamic', 'static'] as const) {
    it(`gives the probabilities of model.forward (${kind})`, () => {
      const model = net(kind);
      const pixels = digit(3);
      const { probs, layers } = explain(model, pixels);
      const expected = noGrad(() => softmax(model.forward(inputTensor(pixels)), 1).dataSync());
      expect(maxDiff(probs, expected)).toBeLessThan(1e-6);
      expect(layers.map((l) => l.name)).toEqual(kind === 'dynamic' ? ['stage1.conv1', 'stage1.conv2', 'stage2.conv1', 'stage2.conv2'] : []);
    });
  }

  it('reports coefficients of shape outChannels x g, in (0, 1), that depend on the image', () => {
    const model = net('dynamic');
    const a = explain(model, digit(3)).layers;
    const b = explain(model, digit(4)).layers;
    expect(a.map((l) => [l.outChannels, l.groupSize, l.eta.length])).toEqual([[32, 4, 128], [32, 4, 128], [64, 4, 256], [64, 4, 256]]);
    for (const [i, l] of a.entries()) {
      expect(l.eta.every((e) => e > 0 && e < 1)).toBe(true);
      expect(maxDiff(l.eta, b[i]!.eta)).toBeGreaterThan(1e-4);
    }
  });

  it('shows the mixed kernels the dynamic conv convolves with', () => {
    const model = net('dynamic');
    const pixels = digit(5);
    const layer = explain(model, pixels).layers[0]!; // stage1.conv1
    const block = model.stage1 as DynamicBlock;
    noGrad(() => {
      const h = model.stem.forward(inputTensor(pixels));
      const [eta1] = splitCoefficients(block.predictor.forward(h), [block.conv1, block.conv2]);
      const viaLayer = block.conv1.forward(h, eta1);
      // One ordinary convolution with the kernels the page draws, stacked.
      const kernels = new Float32Array(layer.outChannels * layer.inChannels * 9);
      for (let o = 0; o < layer.outChannels; o++) kernels.set(mixedKernel(layer, o), o * layer.inChannels * 9);
      const viaMixed = conv2d(h, tensor(kernels).reshape([layer.outChannels, layer.inChannels, 3, 3]), null, block.conv1.convOptions);
      expect(maxDiff(viaMixed.dataSync(), viaLayer.dataSync())).toBeLessThan(1e-4);
    });
  });
});

describe('weight files', () => {
  it('round-trip playground weights: config, tensors and info', () => {
    const model = net('dynamic');
    const info = { source: 'a test', testAccuracy: 0.97, testImages: 2000 };
    const weights = decodeWeights(encodeWeights(model, info));
    expect(weights.config).toEqual(model.config);
    expect(weights.info).toEqual(info);
    const copy = buildModel(weights);
    const pixels = digit(6);
    expect(maxDiff(explain(copy, pixels).probs, explain(model, pixels).probs)).toBe(0);
  });

  it('load a tools/train.ts checkpoint, with its test accuracy', () => {
    const model = net('static');
    const bytes = encodeCheckpoint({ model, epoch: 1, step: 187, extra: { config: model.config, args: { dataset: 'mnist', limit: 12000 }, history: [{ testAccuracy: 0.966 }] } });
    const weights = decodeWeights(bytes);
    expect(weights.config.kind).toBe('static');
    expect(weights.info.testAccuracy).toBe(0.966);
    expect(weights.info.source).toMatch(/tools\/train.ts checkpoint \(epoch 1, step 187, 12000 training images\)/);
    const pixels = digit(7);
    expect(maxDiff(explain(buildModel(weights), pixels).probs, explain(model, pixels).probs)).toBe(0);
  });

  it('refuse what the page cannot use, saying why', () => {
    const model = net('dynamic');
    expect(() => decodeWeights(encodeSafetensors(model.stateDict()))).toThrow(/neither a tools\/train.ts checkpoint nor playground weights/);
    const fashion = encodeCheckpoint({ model, epoch: 1, step: 1, extra: { config: model.config, args: { dataset: 'fashion' } } });
    expect(() => decodeWeights(fashion)).toThrow(/trained on fashion; the playground classifies MNIST digits/);
    const rgb = new DyCnn({ ...DEFAULT_CONFIG, kind: 'dynamic', inChannels: 3 });
    expect(() => decodeWeights(encodeWeights(rgb, { source: 'x' }))).toThrow(/takes 3 channel\(s\).*needs MNIST's 1 and 10/);
  });
});

describe('the Train tab', () => {
  it("trains with the trainer's defaults", () => {
    const { lr, weightDecay } = OPTIMIZER_DEFAULTS[DEFAULTS.optimizer];
    expect(TRAINING).toEqual({ optimizer: DEFAULTS.optimizer, lr, weightDecay, momentum: 0.9, schedule: DEFAULTS.schedule, warmup: DEFAULTS.warmup, labelSmoothing: DEFAULTS.labelSmoothing, trainFusion: DEFAULTS.trainFusion });
  });
});
