/**
 * The five static backbones against torchvision: exact parameter counts with 1000 classes,
 * state-dict keys and shapes, strict loading of a PyTorch-style safetensors export, and
 * FLOPs equal to torchvision's published figures.
 */
import { describe, expect, it } from 'vitest';
import { Generator, type Tensor } from '@dynconv/core';
import { type BatchNorm2d, decodeSafetensors, type Module, type Sequential } from '@dynconv/nn';
import { type Bottleneck, type MobileNetV3, type ModelName, MODELS, mobilenetV2, profile, type ResNet, resnet18, shufflenetV2, TORCHVISION } from '../src/index.js';

const STATIC: ModelName[] = ['resnet18', 'resnet50', 'mobilenetV2', 'mobilenetV3Small', 'shufflenetV2'];

// Built once at full size (1000 classes); resnet50 alone is 25.6M parameters.
const full = new Map<ModelName, Module>(STATIC.map((n) => [n, MODELS[n]({ generator: new Generator(0) })]));

function shapes(m: Module): Record<string, number[]> {
  return Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, [...t.shape]]));
}

describe('parameter counts equal torchvision\'s exactly (1000 classes)', () => {
  it.each(STATIC)('%s', (name) => {
    expect(full.get(name)!.numParameters()).toBe(TORCHVISION[name]!.params);
  });

  it('the published numbers themselves', () => {
    expect(STATIC.map((n) => TORCHVISION[n]!.params)).toEqual([11_689_512, 25_557_032, 3_504_872, 2_542_856, 2_278_604]);
  });
});

describe('printing', () => {
  it('resnet18 prints torchvision\'s tree (ReLU without inplace) and its 11,689,512 parameters', () => {
    const net = full.get('resnet18')!;
    const lines = net.toString().split('\n');
    expect(lines.slice(0, 8)).toEqual([
      'ResNet(',
      '  (conv1): Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)',
      '  (bn1): BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)',
      '  (relu): ReLU()',
      '  (maxpool): MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)',
      '  (layer1): Sequential(',
      '    (0): BasicBlock(',
      '      (conv1): Conv2d(64, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)',
    ]);
    expect(lines).toContain('        (0): Conv2d(64, 128, kernel_size=(1, 1), stride=(2, 2), bias=False)');
    expect(lines.slice(-3)).toEqual(['  (fc): Linear(in_features=512, out_features=1000, bias=True)', ')', 'Total params: 11,689,512 (trainable 11,689,512)']);
    expect(lines.filter((l) => l.startsWith('Total params'))).toHaveLength(1);
    const sum = net.parameters().reduce((n, p) => n + p.numel(), 0);
    expect(sum).toBe(11_689_512);
    expect(lines.at(-1)).toBe(`Total params: ${sum.toLocaleString('en-US')} (trainable ${sum.toLocaleString('en-US')})`);
  });
});

describe('state-dict keys and shapes are torchvision\'s', () => {
  it('resnet18: 122 entries (62 parameters, 20 BatchNorms x 3 buffers)', () => {
    const s = shapes(full.get('resnet18')!);
    expect(Object.keys(s)).toHaveLength(122);
    expect(Object.keys(s).slice(0, 7)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked', 'layer1.0.conv1.weight']);
    expect(s['conv1.weight']).toEqual([64, 3, 7, 7]);
    expect(s['layer1.0.conv1.weight']).toEqual([64, 64, 3, 3]);
    expect(s['layer2.0.downsample.0.weight']).toEqual([128, 64, 1, 1]);
    expect(s['layer2.0.downsample.1.running_var']).toEqual([128]);
    expect(s['layer4.1.bn2.num_batches_tracked']).toEqual([]);
    expect(s['fc.weight']).toEqual([1000, 512]);
    expect(s['layer1.0.downsample.0.weight']).toBeUndefined();
    expect(Object.keys(s).at(-1)).toBe('fc.bias');
  });

  it('resnet50: 320 entries, v1.5 bottlenecks', () => {
    const s = shapes(full.get('resnet50')!);
    expect(Object.keys(s)).toHaveLength(320);
    expect(s['layer1.0.conv1.weight']).toEqual([64, 64, 1, 1]);
    expect(s['layer1.0.conv3.weight']).toEqual([256, 64, 1, 1]);
    expect(s['layer1.0.downsample.0.weight']).toEqual([256, 64, 1, 1]);
    expect(s['layer3.5.bn3.running_mean']).toEqual([1024]);
    expect(s['layer4.2.bn3.weight']).toEqual([2048]);
    expect(s['fc.weight']).toEqual([1000, 2048]);
    // v1.5: the stride is on the 3x3 conv of the first block of a stage.
    const block = (full.get('resnet50') as ResNet).layer2.at(0) as Bottleneck;
    expect([block.conv1.opts.stride, block.conv2.opts.stride]).toEqual([undefined, 2]);
  });

  it('mobilenet_v2: 314 entries', () => {
    const s = shapes(full.get('mobilenetV2')!);
    expect(Object.keys(s)).toHaveLength(314);
    expect(s['features.0.0.weight']).toEqual([32, 3, 3, 3]);
    expect(s['features.0.1.running_mean']).toEqual([32]);
    expect(s['features.1.conv.0.0.weight']).toEqual([32, 1, 3, 3]);
    expect(s['features.1.conv.1.weight']).toEqual([16, 32, 1, 1]);
    expect(s['features.1.conv.2.running_var']).toEqual([16]);
    expect(s['features.2.conv.0.0.weight']).toEqual([96, 16, 1, 1]);
    expect(s['features.2.conv.1.0.weight']).toEqual([96, 1, 3, 3]);
    expect(s['features.2.conv.2.weight']).toEqual([24, 96, 1, 1]);
    expect(s['features.17.conv.2.weight']).toEqual([320, 960, 1, 1]);
    expect(s['features.18.0.weight']).toEqual([1280, 320, 1, 1]);
    expect(s['classifier.1.weight']).toEqual([1000, 1280]);
  });

  it('mobilenet_v3_small: 244 entries, squeeze-excitation as block.N.fc1/fc2', () => {
    const s = shapes(full.get('mobilenetV3Small')!);
    expect(Object.keys(s)).toHaveLength(244);
    expect(s['features.0.0.weight']).toEqual([16, 3, 3, 3]);
    expect(s['features.1.block.0.0.weight']).toEqual([16, 1, 3, 3]);
    expect(s['features.1.block.1.fc1.weight']).toEqual([8, 16, 1, 1]);
    expect(s['features.1.block.1.fc2.bias']).toEqual([16]);
    expect(s['features.1.block.2.0.weight']).toEqual([16, 16, 1, 1]);
    expect(s['features.2.block.0.0.weight']).toEqual([72, 16, 1, 1]);
    expect(s['features.4.block.1.0.weight']).toEqual([96, 1, 5, 5]);
    expect(s['features.4.block.2.fc1.weight']).toEqual([24, 96, 1, 1]);
    expect(s['features.12.0.weight']).toEqual([576, 96, 1, 1]);
    expect(s['classifier.0.weight']).toEqual([1024, 576]);
    expect(s['classifier.3.weight']).toEqual([1000, 1024]);
    const bn = ((full.get('mobilenetV3Small') as MobileNetV3).features.at(0) as Sequential).at(1) as BatchNorm2d;
    expect([bn.eps, bn.momentum]).toEqual([0.001, 0.01]);
  });

  it('shufflenet_v2_x1_0: 338 entries', () => {
    const s = shapes(full.get('shufflenetV2')!);
    expect(Object.keys(s)).toHaveLength(338);
    expect(s['conv1.0.weight']).toEqual([24, 3, 3, 3]);
    expect(s['stage2.0.branch1.0.weight']).toEqual([24, 1, 3, 3]);
    expect(s['stage2.0.branch1.2.weight']).toEqual([58, 24, 1, 1]);
    expect(s['stage2.0.branch2.0.weight']).toEqual([58, 24, 1, 1]);
    expect(s['stage2.1.branch2.0.weight']).toEqual([58, 58, 1, 1]);
    expect(s['stage2.1.branch2.3.weight']).toEqual([58, 1, 3, 3]);
    expect(s['stage4.3.branch2.6.running_mean']).toEqual([232]);
    expect(s['stage2.1.branch1.0.weight']).toBeUndefined();
    expect(s['conv5.0.weight']).toEqual([1024, 464, 1, 1]);
    expect(s['fc.weight']).toEqual([1000, 1024]);
  });
});

/**
 * A safetensors file laid out as PyTorch's exporter writes one: float32 ('F32') parameters and
 * statistics, int64 ('I64') num_batches_tracked, written here byte by byte (not by our encoder).
 */
function pytorchStyleSafetensors(entries: [string, Tensor][]): Uint8Array {
  const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const [name, t] of entries) {
    const int = t.dtype === 'int32';
    const bytes = new Uint8Array(t.numel() * (int ? 8 : 4));
    const view = new DataView(bytes.buffer);
    const data = t.dataSync();
    for (let i = 0; i < data.length; i++) {
      if (int) view.setBigInt64(i * 8, BigInt(data[i] as number), true);
      else view.setFloat32(i * 4, data[i] as number, true);
    }
    header[name] = { dtype: int ? 'I64' : 'F32', shape: [...t.shape], data_offsets: [at, at + bytes.length] };
    parts.push(bytes);
    at += bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let o = 8 + json.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('weights exported from PyTorch load under strict checking', () => {
  it('shufflenet_v2_x1_0: every tensor (int64 num_batches_tracked included) lands in place', () => {
    const source = full.get('shufflenetV2')!;
    // Give the statistics recognisable values, as trained weights would have.
    for (const [k, t] of Object.entries(source.stateDict())) if (k.endsWith('num_batches_tracked')) t.fill_(12345);
    const file = pytorchStyleSafetensors(Object.entries(source.stateDict()));
    const target = shufflenetV2({ generator: new Generator(1) });
    expect(target.loadStateDict(decodeSafetensors(file).tensors)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const a = source.stateDict();
    const b = target.stateDict();
    for (const k of ['conv1.0.weight', 'stage3.4.branch2.5.weight', 'stage4.0.branch1.1.running_var', 'fc.bias']) expect(b[k]!.dataSync()).toEqual(a[k]!.dataSync());
    expect(b['stage2.0.branch1.1.num_batches_tracked']!.item()).toBe(12345);
  });

  it('a missing or misshapen tensor is refused with its name', () => {
    const dict = { ...mobilenetV2({ numClasses: 10, widthMult: 0.25 }).stateDict() };
    delete dict['features.3.conv.1.1.running_var'];
    expect(() => mobilenetV2({ numClasses: 10, widthMult: 0.25 }).loadStateDict(dict)).toThrow(/missing keys: features\.3\.conv\.1\.1\.running_var/);
    const other = resnet18({ numClasses: 10, widthMult: 0.25 }).stateDict();
    expect(() => resnet18({ numClasses: 12, widthMult: 0.25 }).loadStateDict(other)).toThrow(/fc\.weight: checkpoint has shape \[10, 128\], the model \[12, 128\]/);
  });
});

describe('multiply-adds equal torchvision\'s published FLOPs', () => {
  // Profiled at 64x64, where every feature map is exactly 1/3.5 the side of the 224x224 one
  // (112/32, 56/16, ..., 7/2), so each spatial conv's count scales by 3.5^2 = 12.25 to 224.
  // Convs on 1x1 maps (squeeze-excitation) and linear layers do not scale.
  it.each(STATIC)('%s', (name) => {
    const p = profile(full.get(name)!.eval(), [1, 3, 64, 64]);
    let macs224 = 0;
    for (const l of p.layers) {
      if (l.type === 'Conv2d') macs224 += l.macs * (l.outputShape[2]! * l.outputShape[3]! > 1 ? 12.25 : 1);
      if (l.type === 'Linear') macs224 += l.macs;
    }
    const published = TORCHVISION[name]!.gflops;
    const digits = String(published).split('.')[1]!.length;
    expect(macs224 / 1e9).toBeCloseTo(published, digits);
    if (name === 'resnet18') expect(macs224).toBe(1_813_561_344 + 512_000);
  });
});
