/**
 * Converters of @dynconv/models: the backbones, their blocks, and the Dy- blocks. Each mirrors
 * its class's forward() line for line.
 */
import {
  BasicBlock, Bottleneck, DyBasicBlock, DyBottleneck, DyChain, DyConvNormActivation, DyInvertedResidual, DyInvertedResidualV3, DyMobile, DyShuffleUnit, InvertedResidual,
  InvertedResidualV3, MobileNetV2, MobileNetV3, ResNet, ShuffleNetV2, ShuffleUnit,
} from '@dynconv/models';
import type { DynamicConv2d } from '@dynconv/nn';
import { type ConvertContext, converter, type ConverterEntry } from '../converter.js';
import type { OnnxValue } from '../graph.js';
import { channelShuffleNodes } from './nn.js';

/** A predictor's output cut into one slice per dynamic conv (splitCoefficients). */
function splitEta(cx: ConvertContext, eta: OnnxValue, convs: readonly DynamicConv2d[]): OnnxValue[] {
  const sizes = convs.map((c) => c.numCoefficients);
  return sizes.length === 1 ? [eta] : cx.graph.split(eta, 1, sizes);
}

/** The classifier head of MobileNetV2/V3: pooling, flatten, classifier. */
function mobileNetForward(cx: ConvertContext, m: MobileNetV2 | MobileNetV3, x: OnnxValue): OnnxValue {
  return cx.call(m.classifier, cx.graph.flatten(cx.call(m.avgpool, cx.call(m.features, x)), 1));
}

/** Converters of every model and block in @dynconv/models. */
export const MODEL_CONVERTERS: readonly ConverterEntry[] = [
  // ---- ResNet ----
  converter(ResNet, (cx, m, x) => {
    let h = cx.call(m.maxpool, cx.call(m.relu, cx.call(m.bn1, cx.call(m.conv1, x!))));
    for (const layer of [m.layer1, m.layer2, m.layer3, m.layer4]) h = cx.call(layer, h);
    return cx.call(m.fc, cx.graph.flatten(cx.call(m.avgpool, h), 1));
  }),
  converter(BasicBlock, (cx, m, x) => {
    const identity = m.downsample ? cx.call(m.downsample, x!) : x!;
    const out = cx.call(m.bn2, cx.call(m.conv2, cx.call(m.relu, cx.call(m.bn1, cx.call(m.conv1, x!)))));
    return cx.call(m.relu, cx.graph.add(out, identity));
  }),
  converter(Bottleneck, (cx, m, x) => {
    const identity = m.downsample ? cx.call(m.downsample, x!) : x!;
    let out = cx.call(m.relu, cx.call(m.bn1, cx.call(m.conv1, x!)));
    out = cx.call(m.relu, cx.call(m.bn2, cx.call(m.conv2, out)));
    out = cx.call(m.bn3, cx.call(m.conv3, out));
    return cx.call(m.relu, cx.graph.add(out, identity));
  }),
  converter(DyBasicBlock, (cx, m, x) => {
    const [eta1, eta2] = splitEta(cx, cx.call(m.predictor, x!), [m.conv1, m.conv2]) as [OnnxValue, OnnxValue];
    const identity = m.downsample ? cx.call(m.downsample, x!) : x!;
    const out = cx.call(m.bn2, cx.call(m.conv2, cx.call(m.relu, cx.call(m.bn1, cx.call(m.conv1, x!, eta1))), eta2));
    return cx.call(m.relu, cx.graph.add(out, identity));
  }),
  converter(DyBottleneck, (cx, m, x) => {
    const [eta1, eta2, eta3] = splitEta(cx, cx.call(m.predictor, x!), [m.conv1, m.conv2, m.conv3]) as [OnnxValue, OnnxValue, OnnxValue];
    const identity = m.downsample ? cx.call(m.downsample, x!) : x!;
    let out = cx.call(m.relu, cx.call(m.bn1, cx.call(m.conv1, x!, eta1)));
    out = cx.call(m.relu, cx.call(m.bn2, cx.call(m.conv2, out, eta2)));
    out = cx.call(m.bn3, cx.call(m.conv3, out, eta3));
    return cx.call(m.relu, cx.graph.add(out, identity));
  }),

  // ---- MobileNetV2 and Dy-mobile ----
  converter(MobileNetV2, (cx, m, x) => mobileNetForward(cx, m, x!)),
  converter(DyMobile, (cx, m, x) => mobileNetForward(cx, m, x!)),
  converter(InvertedResidual, (cx, m, x) => {
    const y = cx.call(m.conv, x!);
    return m.useResConnect ? cx.graph.add(y, x!) : y;
  }),
  converter(DyInvertedResidual, (cx, m, x) => {
    const y = cx.call(m.conv, x!, cx.call(m.predictor, x!));
    return m.useResConnect ? cx.graph.add(y, x!) : y;
  }),

  // ---- MobileNetV3 and Dy-MobileNetV3 ----
  converter(MobileNetV3, (cx, m, x) => mobileNetForward(cx, m, x!)),
  converter(InvertedResidualV3, (cx, m, x) => {
    const y = cx.call(m.block, x!);
    return m.useResConnect ? cx.graph.add(y, x!) : y;
  }),
  converter(DyInvertedResidualV3, (cx, m, x) => {
    const y = cx.call(m.block, x!, cx.call(m.predictor, x!));
    return m.useResConnect ? cx.graph.add(y, x!) : y;
  }),

  // ---- ShuffleNetV2 and Dy-shuffle ----
  converter(ShuffleNetV2, (cx, m, x) => {
    let h = cx.call(m.maxpool, cx.call(m.conv1, x!));
    h = cx.call(m.stage4, cx.call(m.stage3, cx.call(m.stage2, h)));
    return cx.call(m.fc, cx.graph.flatten(cx.call(m.avgpool, cx.call(m.conv5, h)), 1));
  }),
  converter(ShuffleUnit, (cx, m, x) => {
    const g = cx.graph;
    let out: OnnxValue;
    if (m.stride === 1) {
      const c = x!.shape[1]!;
      const [x1, x2] = g.split(x!, 1, [c / 2, c / 2]) as [OnnxValue, OnnxValue];
      out = g.concat([x1, cx.call(m.branch2, x2)], 1);
    } else {
      out = g.concat([cx.call(m.branch1, x!), cx.call(m.branch2, x!)], 1);
    }
    return channelShuffleNodes(g, out, 2);
  }),
  converter(DyShuffleUnit, (cx, m, x) => {
    const g = cx.graph;
    let out: OnnxValue;
    if (m.stride === 1) {
      const c = x!.shape[1]!;
      const [x1, x2] = g.split(x!, 1, [c - m.right, m.right]) as [OnnxValue, OnnxValue];
      out = g.concat([x1, cx.call(m.branch2, x2, cx.call(m.predictor, x2))], 1);
    } else {
      out = g.concat([cx.call(m.branch1, x!), cx.call(m.branch2, x!, cx.call(m.predictor, x!))], 1);
    }
    return channelShuffleNodes(g, out, m.shuffleGroups);
  }),

  // ---- the Dy- building blocks ----
  converter(DyChain, (cx, m, x, eta) => {
    const etas = splitEta(cx, eta!, m.dynamicLayers.map((l) => l.conv));
    let i = 0;
    let h = x!;
    for (const [, layer] of m.namedChildren()) h = layer instanceof DyConvNormActivation ? cx.call(layer, h, etas[i++]!) : cx.call(layer, h);
    return h;
  }),
  converter(DyConvNormActivation, (cx, m, x, eta) => {
    const y = cx.call(m.bn, cx.call(m.conv, x!, eta!));
    return m.activation ? cx.call(m.activation, y) : y;
  }),
];
