/**
 * ShuffleNetV2 (Ma et al. 2018) as torchvision builds it (`torchvision.models.shufflenetv2`):
 * keys `conv1.0`, `stage2.0.branch1.0`, `stage2.1.branch2.3`, `conv5.0`, `fc`, ...
 */
import { cat, type Tensor } from '@dynconv/core';
import { AdaptiveAvgPool2d, BatchNorm2d, channelShuffle, Conv2d, Linear, MaxPool2d, Module, ReLU, Sequential } from '@dynconv/nn';
import { layerOptions, type ModelOptions, resolveOptions } from './common.js';

/** Units per stage (stage2, stage3, stage4). */
export const SHUFFLENET_V2_REPEATS = [4, 8, 4] as const;

/** torchvision's published widths: stem, stage2..4, conv5 for each width multiplier. */
export const SHUFFLENET_V2_WIDTHS: Readonly<Record<string, readonly [number, number, number, number, number]>> = {
  '0.5': [24, 48, 96, 192, 1024],
  '1': [24, 116, 232, 464, 1024],
  '1.5': [24, 176, 352, 704, 1024],
  '2': [24, 244, 488, 976, 2048],
};

/** Options of {@link shufflenetV2}: torchvision's width multipliers, or explicit widths. */
export interface ShuffleNetV2Options extends ModelOptions {
  /** Stem, stage2, stage3, stage4 and conv5 widths; overrides `widthMult` (small nets for tests). */
  stagesOutChannels?: readonly [number, number, number, number, number];
}

/** The widths for `opts`: explicit ones, or torchvision's table entry for `widthMult`. */
export function shufflenetV2Widths(name: string, opts: ShuffleNetV2Options): readonly [number, number, number, number, number] {
  if (opts.stagesOutChannels) return opts.stagesOutChannels;
  const w = SHUFFLENET_V2_WIDTHS[String(opts.widthMult ?? 1)];
  if (!w) throw new Error(`${name}: widthMult must be one of torchvision's ${Object.keys(SHUFFLENET_V2_WIDTHS).join(', ')} (or give stagesOutChannels), got ${opts.widthMult}`);
  return w;
}

function conv(inC: number, outC: number, k: number, opts: ModelOptions, extra: { stride?: number; groups?: number } = {}): Conv2d {
  return new Conv2d(inC, outC, k, { stride: extra.stride ?? 1, padding: (k - 1) / 2, groups: extra.groups ?? 1, bias: false, ...layerOptions(opts) });
}

/**
 * The left branch of a downsampling unit: 3x3 depthwise conv with stride, BN, 1x1 conv, BN,
 * ReLU (torchvision's `branch1`).
 */
export function shuffleBranch1(inp: number, out: number, stride: number, opts: ModelOptions): Sequential {
  const bn = (c: number) => new BatchNorm2d(c, { dtype: opts.dtype });
  return new Sequential(conv(inp, inp, 3, opts, { stride, groups: inp }), bn(inp), conv(inp, out, 1, opts), bn(out), new ReLU());
}

/**
 * ShuffleNetV2's unit. Stride 1: the channels are split in half, the second half goes through
 * `branch2` (1x1 conv, BN, ReLU, 3x3 depthwise, BN, 1x1 conv, BN, ReLU), the first passes
 * unchanged. Stride 2: both branches see the whole input and each outputs half the channels.
 * The halves are concatenated and shuffled with 2 groups.
 */
export class ShuffleUnit extends Module {
  /**
   * The left branch of a stride-2 unit (depthwise conv, BN, 1x1 conv, BN, ReLU); empty at stride 1.
   */
  readonly branch1: Sequential;
  /**
   * The right branch: 1x1 conv, BN, ReLU, 3x3 depthwise (with the stride), BN, 1x1 conv, BN, ReLU.
   */
  readonly branch2: Sequential;

  constructor(
    inp: number,
    oup: number,
    /** 1 (split the channels) or 2 (downsample, both branches). */
    readonly stride: number,
    opts: ModelOptions = {},
  ) {
    super();
    const bf = oup / 2;
    if (!Number.isInteger(bf) || (stride === 1 && inp !== oup)) {
      throw new Error(`ShuffleUnit: needs an even output width, equal to the input width when stride is 1; got inp ${inp}, oup ${oup}, stride ${stride}`);
    }
    const bn = (c: number) => new BatchNorm2d(c, { dtype: opts.dtype });
    // Stride 1: torchvision registers an empty Sequential (no keys), kept for the same module tree.
    this.branch1 = this.module('branch1', stride > 1 ? shuffleBranch1(inp, bf, stride, opts) : new Sequential());
    this.branch2 = this.module(
      'branch2',
      new Sequential(conv(stride > 1 ? inp : bf, bf, 1, opts), bn(bf), new ReLU(), conv(bf, bf, 3, opts, { stride, groups: bf }), bn(bf), conv(bf, bf, 1, opts), bn(bf), new ReLU()),
    );
  }

  forward(x: Tensor): Tensor {
    let out: Tensor;
    if (this.stride === 1) {
      const [x1, x2] = x.chunk(2, 1) as [Tensor, Tensor];
      out = cat([x1, this.branch2.forward(x2)], 1);
    } else {
      out = cat([this.branch1.forward(x), this.branch2.forward(x)], 1);
    }
    return channelShuffle(out, 2);
  }
}

/**
 * ShuffleNetV2: 3x3 stride-2 stem conv (`conv1`), 3x3 stride-2 max pooling, stages 2-4 (the
 * first unit of each with stride 2), a 1x1 conv (`conv5`), global average pooling and `fc`.
 * `avgpool` has no parameters and no state-dict key (torchvision takes a mean); it is a module
 * so that the profiler sees the pooling. The units come from a factory, so Dy-ShuffleNetV2
 * reuses this class.
 */
export class ShuffleNetV2 extends Module {
  /** Stem: 3x3 stride-2 conv, BN, ReLU. */
  readonly conv1: Sequential;
  /** 3x3 stride-2 max pooling after the stem. */
  readonly maxpool: MaxPool2d;
  /** Stage 2: 4 units, the first with stride 2. */
  readonly stage2: Sequential;
  /** Stage 3: 8 units, the first with stride 2. */
  readonly stage3: Sequential;
  /** Stage 4: 4 units, the first with stride 2. */
  readonly stage4: Sequential;
  /** The final 1x1 conv, BN, ReLU. */
  readonly conv5: Sequential;
  /** Global average pooling (no parameters). */
  readonly avgpool: AdaptiveAvgPool2d;
  /** The classifier. */
  readonly fc: Linear;

  constructor(
    widths: readonly [number, number, number, number, number],
    numClasses: number,
    makeUnit: (inp: number, oup: number, stride: number) => Module,
    opts: ModelOptions = {},
  ) {
    super();
    const bn = (c: number) => new BatchNorm2d(c, { dtype: opts.dtype });
    this.conv1 = this.module('conv1', new Sequential(conv(3, widths[0], 3, opts, { stride: 2 }), bn(widths[0]), new ReLU()));
    this.maxpool = this.module('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    let inC = widths[0];
    const stage = (i: 0 | 1 | 2): Sequential => {
      const outC = widths[i + 1]!;
      const units = [makeUnit(inC, outC, 2)];
      for (let r = 1; r < SHUFFLENET_V2_REPEATS[i]; r++) units.push(makeUnit(outC, outC, 1));
      inC = outC;
      return new Sequential(...units);
    };
    this.stage2 = this.module('stage2', stage(0));
    this.stage3 = this.module('stage3', stage(1));
    this.stage4 = this.module('stage4', stage(2));
    this.conv5 = this.module('conv5', new Sequential(conv(inC, widths[4], 1, opts), bn(widths[4]), new ReLU()));
    this.avgpool = this.module('avgpool', new AdaptiveAvgPool2d(1));
    this.fc = this.module('fc', new Linear(widths[4], numClasses, layerOptions(opts)));
  }

  forward(x: Tensor): Tensor {
    let h = this.maxpool.forward(this.conv1.forward(x));
    h = this.stage4.forward(this.stage3.forward(this.stage2.forward(h)));
    return this.fc.forward(this.avgpool.forward(this.conv5.forward(h)).flatten(1));
  }
}

/** torchvision's `shufflenet_v2_x1_0` (widthMult 1, the default): 2,278,604 parameters with 1000 classes. */
export function shufflenetV2(opts: ShuffleNetV2Options = {}): ShuffleNetV2 {
  const { numClasses } = resolveOptions('shufflenetV2', { ...opts, widthMult: undefined });
  const widths = shufflenetV2Widths('shufflenetV2', opts);
  return new ShuffleNetV2(widths, numClasses, (inp, oup, stride) => new ShuffleUnit(inp, oup, stride, opts), opts);
}
