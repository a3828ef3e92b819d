/**
 * Inference cost of a {@link DyCnn} per image, in multiply-adds, counted the way the paper
 * compares FLOPs: convolutions, the dynamic layers' kernel mixing and coefficient predictors
 * (global pooling + FC), and the classifier. BatchNorm (foldable into the conv at inference),
 * ReLU and biases are not counted. Dynamic layers are costed on their inference path (kernel
 * fusion) with {@link dynamicConvCost}. The `fixed` net's convs are costed as plain convs: their
 * summed kernels do not depend on the image, so (like BatchNorm) they fold into one kernel each
 * once training is done.
 */
import { type Conv2d, dynamicConvCost, predictorCost } from '@dynconv/nn';
import { type Block, DynamicBlock, type DyCnn, FixedBlock } from './dy-cnn.js';

/** One row of {@link inferenceCost}'s breakdown. */
export interface LayerCost {
  name: string;
  macs: number;
}

/** Multiply-adds per image by layer, and their total. */
export interface InferenceCost {
  layers: LayerCost[];
  total: number;
}

function convOut(n: number, k: number, stride: number, pad: number): number {
  return Math.floor((n + 2 * pad - k) / stride) + 1;
}

/** A static Conv2d (3x3 or any size, numeric padding) on [1, C, H, W]: its MACs and output size. */
function staticConv(conv: Conv2d, [h, w]: [number, number]): { macs: number; size: [number, number] } {
  const stride = typeof conv.opts.stride === 'number' ? conv.opts.stride : (conv.opts.stride?.[0] ?? 1);
  const pad = typeof conv.opts.padding === 'number' ? conv.opts.padding : 0;
  const [kh, kw] = conv.kernelSize;
  const size: [number, number] = [convOut(h, kh, stride, pad), convOut(w, kw, stride, pad)];
  const k = (conv.inChannels / (conv.opts.groups ?? 1)) * kh * kw;
  return { macs: conv.outChannels * size[0] * size[1] * k, size };
}

/** Per-image multiply-adds of `model` on inputs of `height x width` (28 x 28 by default). */
export function inferenceCost(model: DyCnn, height = 28, width = 28): InferenceCost {
  const layers: LayerCost[] = [];
  let size: [number, number] = [height, width];
  let channels = model.config.inChannels;
  const stem = staticConv(model.stem.conv, size);
  layers.push({ name: 'stem.conv', macs: stem.macs });
  size = stem.size;
  channels = model.stem.conv.outChannels;
  for (const [name, block] of [['stage1', model.stage1], ['stage2', model.stage2]] as [string, Block][]) {
    if (block instanceof FixedBlock) {
      for (const [convName, conv] of [['conv1', block.conv1], ['conv2', block.conv2]] as const) {
        const cost = dynamicConvCost(conv, [1, channels, ...size]);
        layers.push({ name: `${name}.${convName} (summed kernels, folded)`, macs: cost.kernel.conv });
        size = [cost.outputShape[2], cost.outputShape[3]];
        channels = conv.outChannels;
      }
    } else if (block instanceof DynamicBlock) {
      layers.push({ name: `${name}.predictor`, macs: predictorCost(block.predictor, [1, channels, ...size]) });
      for (const [convName, conv] of [['conv1', block.conv1], ['conv2', block.conv2]] as const) {
        const cost = dynamicConvCost(conv, [1, channels, ...size]);
        layers.push({ name: `${name}.${convName} (kernel fusion: conv + mixing)`, macs: cost.kernel.total });
        size = [cost.outputShape[2], cost.outputShape[3]];
        channels = conv.outChannels;
      }
    } else {
      for (const [layerName, layer] of [['layer1', block.layer1], ['layer2', block.layer2]] as const) {
        const c = staticConv(layer.conv, size);
        layers.push({ name: `${name}.${layerName}.conv`, macs: c.macs });
        size = c.size;
        channels = layer.conv.outChannels;
      }
    }
  }
  // Global average pooling (one accumulation per input element), then the classifier.
  layers.push({ name: 'head (pool + linear)', macs: channels * size[0] * size[1] + channels * model.config.numClasses });
  return { layers, total: layers.reduce((a, l) => a + l.macs, 0) };
}
