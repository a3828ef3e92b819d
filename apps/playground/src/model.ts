/**
 * The nets of the playground, their weight files, and one forward pass that also reports what
 * the dynamic convolutions chose.
 *
 * The net is tools/models/dy-cnn.ts itself, the class the trainer trains, so any checkpoint of
 * tools/train.ts loads as it is. Weight files are safetensors in one of two forms:
 *   - a training checkpoint of tools/train.ts (`dynconv.checkpoint` metadata; the net's config
 *     is in its extras);
 *   - playground weights (`dynconv.playground` metadata): the state dict alone, with the config,
 *     written by the build step (from a checkpoint, a third of its size without the optimizer
 *     state) and by the Train tab's download.
 *
 * Browser- and Node-safe (the build step converts checkpoints with it): no DOM, no file system.
 */
import { noGrad, softmax, type Tensor, tensor } from '@dynconv/core';
import { MNIST_MEAN, MNIST_STD } from '@dynconv/data';
import { type DynamicConv2d, decodeCheckpoint, decodeSafetensors, encodeSafetensors, splitCoefficients, type StateDict } from '@dynconv/nn';
import { DynamicBlock, DyCnn, type DyCnnConfig, MODEL_KINDS } from '../../../tools/models/dy-cnn.js';

/** Metadata key of playground weight files. */
export const WEIGHTS_KEY = 'dynconv.playground';

/** What a weight file says about itself (shown on the page). */
export interface WeightsInfo {
  /** Where the weights came from, in words ("tools/train.ts, 12000 images, 1 epoch"). */
  source: string;
  /** Test accuracy the trainer measured, when known (a fraction). */
  testAccuracy?: number;
  /** Images on the test set it was measured on. */
  testImages?: number;
}

/** A decoded weight file: a net's config, its state dict and what it says about itself. */
export interface Weights {
  config: DyCnnConfig;
  stateDict: StateDict;
  info: WeightsInfo;
}

/** Playground weights for `model` (safetensors bytes: its state dict, config and info in the metadata). */
export function encodeWeights(model: DyCnn, info: WeightsInfo): Uint8Array {
  return encodeSafetensors(model.stateDict(), { [WEIGHTS_KEY]: JSON.stringify({ config: model.config, info }) });
}

/**
 * Reads playground weights or a tools/train.ts checkpoint.
 * @throws Error saying what the bytes are not, in words a user who dropped a file can act on.
 */
export function decodeWeights(bytes: Uint8Array): Weights {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata['dynconv.checkpoint'] !== undefined) {
    const ckpt = decodeCheckpoint(bytes);
    const extra = ckpt.extra as { config?: unknown; args?: { dataset?: string; limit?: number }; history?: { testAccuracy?: number }[] };
    const last = extra.history?.at(-1);
    const args = extra.args;
    // Fashion-MNIST nets have MNIST's shapes; only the settings tell them apart.
    if (args?.dataset !== undefined && args.dataset !== 'mnist') throw new Error(`this checkpoint was trained on ${args.dataset}; the playground classifies MNIST digits`);
    const source = `a tools/train.ts checkpoint (epoch ${ckpt.epoch}, step ${ckpt.step}${args ? `, ${args.limit ?? 60000} training images` : ''})`;
    return { config: checkConfig(extra.config), stateDict: ckpt.stateDict, info: { source, ...(last?.testAccuracy !== undefined ? { testAccuracy: last.testAccuracy } : {}) } };
  }
  const raw = metadata[WEIGHTS_KEY];
  if (raw === undefined) throw new Error('this safetensors file is neither a tools/train.ts checkpoint nor playground weights (no dynconv metadata)');
  const meta = JSON.parse(raw) as { config?: unknown; info?: WeightsInfo };
  return { config: checkConfig(meta.config), stateDict: tensors, info: meta.info ?? { source: 'playground weights' } };
}

/** The checks the page needs before building a net from a file: MNIST-shaped input and output. */
function checkConfig(c: unknown): DyCnnConfig {
  const config = c as Partial<DyCnnConfig> | undefined;
  if (!config || typeof config !== 'object') throw new Error('the file has no net configuration (is it from tools/train.ts?)');
  if (!MODEL_KINDS.includes(config.kind as never)) throw new Error(`unknown net kind ${JSON.stringify(config.kind)}`);
  if (config.inChannels !== 1 || config.numClasses !== 10) throw new Error(`this net takes ${config.inChannels} channel(s) and has ${config.numClasses} classes; the playground needs MNIST's 1 and 10 (a Fashion-MNIST checkpoint?)`);
  return config as DyCnnConfig;
}

/** The net of a weight file, in eval mode (BatchNorm on its running statistics, kernel fusion). */
export function buildModel(weights: Weights): DyCnn {
  const model = new DyCnn(weights.config);
  model.loadStateDict(weights.stateDict);
  return model.eval();
}

/** What one dynamic conv chose for one image. */
export interface LayerChoice {
  /** Dotted name in the net ("stage1.conv1"). */
  name: string;
  inChannels: number;
  outChannels: number;
  /** The paper's g: fixed kernels per output channel. */
  groupSize: number;
  /** The predicted coefficients, [outChannels * groupSize]: eta[o * g + i] weighs kernel i of channel o. */
  eta: Float32Array;
  /** The fixed bank [outChannels * groupSize, inChannels, kh, kw], row-major. */
  bank: Float32Array;
  kernelSize: [number, number];
}

/** A forward pass of one image, with the dynamic layers' choices. */
export interface Explanation {
  /** Softmax of the logits, [10]. */
  probs: Float32Array;
  /** One per dynamic conv, in order (none for a static net). */
  layers: LayerChoice[];
}

/** The dynamic convs of a net with their dotted names, in forward order (none for a static net). */
export function dynamicLayers(model: DyCnn): { name: string; conv: DynamicConv2d }[] {
  return (['stage1', 'stage2'] as const).flatMap((stage) => {
    const block = model[stage];
    return block instanceof DynamicBlock ? [{ name: `${stage}.conv1`, conv: block.conv1 }, { name: `${stage}.conv2`, conv: block.conv2 }] : [];
  });
}

/** The fixed banks, read from the backend once per net (they do not change between drawings). */
const banks = new WeakMap<DynamicConv2d, Float32Array>();

/** An image's tensor [1, 1, 28, 28], normalised as the trainer does (MNIST mean and std). */
export function inputTensor(pixels: Float32Array): Tensor {
  const data = Float32Array.from(pixels, (v) => (v - MNIST_MEAN) / MNIST_STD);
  return tensor(data).reshape([1, 1, 28, 28]);
}

/**
 * Runs `model` on a 28x28 image (intensities in [0, 1]) and returns the class probabilities and
 * each dynamic conv's coefficients. The blocks are stepped through as DynamicBlock.forward does
 * (predictor, split, two convs), keeping the coefficients on the way; a unit test checks the
 * logits against model.forward.
 */
export function explain(model: DyCnn, pixels: Float32Array): Explanation {
  return noGrad(() => {
    const x = inputTensor(pixels);
    const layers: LayerChoice[] = [];
    let h = model.stem.forward(x);
    for (const [stage, block] of [['stage1', model.stage1], ['stage2', model.stage2]] as const) {
      if (!(block instanceof DynamicBlock)) {
        h = block.forward(h);
        continue;
      }
      const [eta1, eta2] = splitCoefficients(block.predictor.forward(h), [block.conv1, block.conv2]);
      const mid = block.bn1.forward(block.conv1.forward(h, eta1)).relu();
      h = block.bn2.forward(block.conv2.forward(mid, eta2!)).relu();
      layers.push(choice(`${stage}.conv1`, block.conv1, eta1!), choice(`${stage}.conv2`, block.conv2, eta2!));
    }
    const probs = softmax(model.head.forward(h), 1).dataSync() as Float32Array;
    return { probs: Float32Array.from(probs), layers };
  });
}

function choice(name: string, conv: DynamicConv2d, eta: Tensor): LayerChoice {
  let bank = banks.get(conv);
  if (!bank) banks.set(conv, (bank = Float32Array.from(conv.weight.dataSync() as Float32Array)));
  return { name, inChannels: conv.inChannels, outChannels: conv.outChannels, groupSize: conv.groupSize, eta: Float32Array.from(eta.dataSync() as Float32Array), bank, kernelSize: conv.kernelSize };
}

/**
 * The kernel output channel `o` of a layer convolves with for this image: the paper's
 * w~ = sum_i eta[o * g + i] * W[o * g + i], [inChannels * kh * kw].
 */
export function mixedKernel(layer: LayerChoice, o: number): Float32Array {
  const size = layer.inChannels * layer.kernelSize[0] * layer.kernelSize[1];
  const out = new Float32Array(size);
  for (let i = 0; i < layer.groupSize; i++) {
    const k = o * layer.groupSize + i;
    const e = layer.eta[k]!;
    for (let j = 0; j < size; j++) out[j] += e * layer.bank[k * size + j]!;
  }
  return out;
}

/** Fixed kernel i of output channel o, [inChannels * kh * kw] (a view into the bank). */
export function bankKernel(layer: LayerChoice, o: number, i: number): Float32Array {
  const size = layer.inChannels * layer.kernelSize[0] * layer.kernelSize[1];
  const k = o * layer.groupSize + i;
  return layer.bank.subarray(k * size, (k + 1) * size);
}

/** The index of the largest value. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
