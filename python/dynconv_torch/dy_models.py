"""The Dy- models of @dynconv/models (packages/models/src/dy/) in PyTorch, with dynconv's state-dict
keys, order and shapes, so a dynconv `saveStateDict` file loads with `load_state_dict(strict=True)`
and gives the same logits, and PyTorch-trained weights load back into dynconv.

    dy_resnet18, dy_resnet50      ResNet trunk; every conv inside a block dynamic, blocks at half
                                  torchvision's width, one two-FC predictor (hidden C_in / 4) per
                                  block; stem, projection shortcuts and fc static
    dy_mobile                     MobileNetV2 trunk; each inverted residual is three dynamic layers
                                  with no expansion (1x1, 3x3 grouped with 6 channels per group,
                                  linear 1x1), widths rounded to multiples of 6
    dy_mobilenet_v3_small         MobileNetV3-Small trunk; every conv of every bneck dynamic,
                                  squeeze-excitation static
    dy_shufflenet_v2              ShuffleNetV2 trunk; the right branch of each unit dynamic, 3:1
                                  channel split at stride 1, channel shuffle with 4 groups

The static models of @dynconv/models are torchvision's own (`torchvision.models.resnet18` etc.,
same keys). Options are dynconv's (snake_case here; `build()` also takes dynconv's camelCase
names): num_classes (1000), width_mult (1), group_size (6), fusion (None: output fusion in
training, kernel fusion in eval), dropout (MobileNets: 0.2), and the per-model ones below.
Initial weights are PyTorch's layer defaults, as the Dy- builders of dynconv keep.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .dynamic import CoefficientPredictor, DynamicConv2d, split_coefficients

__all__ = ['dy_resnet18', 'dy_resnet50', 'dy_mobile', 'dy_mobilenet_v3_small', 'dy_shufflenet_v2', 'DY_MODELS', 'build',
           'make_divisible', 'DyConvNormActivation', 'DyChain', 'DyBasicBlock', 'DyBottleneck', 'DyInvertedResidual',
           'DyInvertedResidualV3', 'DyShuffleUnit', 'SqueezeExcitation']


def make_divisible(v, divisor, min_value=None):
    """torchvision's _make_divisible: v rounded to a multiple of divisor, never 10% below v."""
    min_value = divisor if min_value is None else min_value
    n = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if n < 0.9 * v:
        n += divisor
    return n


def _check(name, num_classes, width_mult, group_size):
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f'{name}: num_classes must be a positive integer, got {num_classes}')
    if not width_mult > 0:
        raise ValueError(f'{name}: width_mult must be positive, got {width_mult}')
    if not isinstance(group_size, int) or group_size < 1:
        raise ValueError(f'{name}: group_size must be a positive integer, got {group_size}')


def dynamic_conv(in_c, out_c, kernel_size, group_size, fusion, stride=1, groups=1):
    """A bias-free dynamic conv with (k - 1) / 2 padding and an external (block-shared) predictor."""
    return DynamicConv2d(in_c, out_c, kernel_size, stride=stride, padding=(kernel_size - 1) // 2, groups=groups, bias=False,
                         group_size=group_size, fusion=fusion, predictor='external')


def conv_norm_activation(in_c, out_c, kernel_size, stride=1, groups=1, activation=None, eps=1e-5, momentum=0.1):
    """torchvision's Conv2dNormActivation: keys `0.weight`, `1.*` (conv, BN, activation)."""
    layers = [nn.Conv2d(in_c, out_c, kernel_size, stride, (kernel_size - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(out_c, eps=eps, momentum=momentum)]
    if activation is not None:
        layers.append(activation())
    return nn.Sequential(*layers)


class DyConvNormActivation(nn.Module):
    """Dynamic conv (`0`), BatchNorm (`1`), optional activation (`2`); forward(x, eta)."""

    def __init__(self, in_c, out_c, kernel_size, group_size, fusion=None, stride=1, groups=1, activation=None, eps=1e-5, momentum=0.1):
        super().__init__()
        self.add_module('0', dynamic_conv(in_c, out_c, kernel_size, group_size, fusion, stride, groups))
        self.add_module('1', nn.BatchNorm2d(out_c, eps=eps, momentum=momentum))
        if activation is not None:
            self.add_module('2', activation())

    @property
    def conv(self):
        return self._modules['0']

    @property
    def num_coefficients(self):
        return self.conv.num_coefficients

    def forward(self, x, eta):
        y = self._modules['1'](self.conv(x, eta))
        act = self._modules.get('2')
        return y if act is None else act(y)


class DyChain(nn.Module):
    """Layers registered `0`, `1`, ... run in order; eta is cut into one slice per dynamic layer."""

    def __init__(self, *layers):
        super().__init__()
        for i, m in enumerate(layers):
            self.add_module(str(i), m)
        self.dynamic_layers = [m for m in layers if isinstance(m, DyConvNormActivation)]

    @property
    def num_coefficients(self):
        return sum(m.num_coefficients for m in self.dynamic_layers)

    def forward(self, x, eta):
        etas = iter(split_coefficients(eta, [m.conv for m in self.dynamic_layers]))
        for m in self._modules.values():
            x = m(x, next(etas)) if isinstance(m, DyConvNormActivation) else m(x)
        return x


class SqueezeExcitation(nn.Module):
    """torchvision's SqueezeExcitation as MobileNetV3 uses it: pool, fc1, ReLU, fc2, hardsigmoid."""

    def __init__(self, input_channels, squeeze_channels):
        super().__init__()
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = nn.ReLU()
        self.scale_activation = nn.Hardsigmoid()

    def forward(self, x):
        scale = self.scale_activation(self.fc2(self.activation(self.fc1(F.adaptive_avg_pool2d(x, 1)))))
        return x * scale


# ---- ResNet ---------------------------------------------------------------------------------

def _downsample(in_c, out_c, stride):
    return nn.Sequential(nn.Conv2d(in_c, out_c, 1, stride=stride, bias=False), nn.BatchNorm2d(out_c))


def _resnet_predictor(in_c, outputs):
    return CoefficientPredictor(in_c, outputs, hidden=max(1, in_c // 4))


class DyBasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_c, planes, stride, downsample, group_size, fusion=None):
        super().__init__()
        conv1 = dynamic_conv(in_c, planes, 3, group_size, fusion, stride=stride)
        conv2 = dynamic_conv(planes, planes, 3, group_size, fusion)
        self.predictor = _resnet_predictor(in_c, conv1.num_coefficients + conv2.num_coefficients)
        self.conv1 = conv1
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = conv2
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        eta1, eta2 = split_coefficients(self.predictor(x), [self.conv1, self.conv2])
        identity = x if self.downsample is None else self.downsample(x)
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x, eta1))), eta2))
        return self.relu(out + identity)


class DyBottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_c, planes, stride, downsample, group_size, fusion=None):
        super().__init__()
        out_c = planes * self.expansion
        conv1 = dynamic_conv(in_c, planes, 1, group_size, fusion)
        conv2 = dynamic_conv(planes, planes, 3, group_size, fusion, stride=stride)
        conv3 = dynamic_conv(planes, out_c, 1, group_size, fusion)
        self.predictor = _resnet_predictor(in_c, conv1.num_coefficients + conv2.num_coefficients + conv3.num_coefficients)
        self.conv1 = conv1
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv2
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv3
        self.bn3 = nn.BatchNorm2d(out_c)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        eta1, eta2, eta3 = split_coefficients(self.predictor(x), [self.conv1, self.conv2, self.conv3])
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x, eta1)))
        out = self.relu(self.bn2(self.conv2(out, eta2)))
        out = self.bn3(self.conv3(out, eta3))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """torchvision's ResNet trunk (keys conv1, bn1, layer1.0..., fc) with a block factory."""

    def __init__(self, block, layers, stem, planes, num_classes, make_block):
        super().__init__()
        self.conv1 = nn.Conv2d(3, stem, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        in_c = stem
        for i in range(4):
            blocks = []
            for b in range(layers[i]):
                s = (1 if i == 0 else 2) if b == 0 else 1
                out_c = planes[i] * block.expansion
                ds = _downsample(in_c, out_c, s) if b == 0 and (s != 1 or in_c != out_c) else None
                blocks.append(make_block(in_c, planes[i], s, ds))
                in_c = out_c
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_c, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _js_round(x):
    """Math.round: halves go up (Python's round() goes to even)."""
    import math
    return math.floor(x + 0.5)


def _dy_resnet(name, block, layers, num_classes=1000, width_mult=1, group_size=6, fusion=None, block_width=0.5):
    _check(name, num_classes, width_mult, group_size)
    if not block_width > 0:
        raise ValueError(f'{name}: block_width must be positive, got {block_width}')
    w = lambda c, m: max(1, _js_round(c * m))  # noqa: E731
    stem = w(64, width_mult)
    planes = [w(c, width_mult * block_width) for c in (64, 128, 256, 512)]
    return ResNet(block, layers, stem, planes, num_classes, lambda i, p, s, ds: block(i, p, s, ds, group_size, fusion))


def dy_resnet18(num_classes=1000, width_mult=1, group_size=6, fusion=None, block_width=0.5):
    """Dy-ResNet18: ResNet18 with dynamic basic blocks of `block_width` (0.5) torchvision's width."""
    return _dy_resnet('dyResnet18', DyBasicBlock, [2, 2, 2, 2], num_classes, width_mult, group_size, fusion, block_width)


def dy_resnet50(num_classes=1000, width_mult=1, group_size=6, fusion=None, block_width=0.5):
    """Dy-ResNet50: ResNet50 with dynamic bottlenecks of `block_width` (0.5) torchvision's width."""
    return _dy_resnet('dyResnet50', DyBottleneck, [3, 4, 6, 3], num_classes, width_mult, group_size, fusion, block_width)


# ---- Dy-mobile (MobileNetV2) ----------------------------------------------------------------

MOBILENET_V2_SETTING = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


class DyInvertedResidual(nn.Module):
    """Dy-mobile's block: predictor on the block input, then dynamic 1x1 (inp -> oup) + BN + ReLU6,
    dynamic 3x3 grouped (stride) + BN + ReLU6, dynamic 1x1 + BN; residual when the shape holds."""

    def __init__(self, inp, oup, stride, group_size, channels_per_group=6, fusion=None):
        super().__init__()
        self.use_res_connect = stride == 1 and inp == oup
        groups = max(1, oup // channels_per_group)
        chain = DyChain(
            DyConvNormActivation(inp, oup, 1, group_size, fusion, activation=nn.ReLU6),
            DyConvNormActivation(oup, oup, 3, group_size, fusion, stride=stride, groups=groups, activation=nn.ReLU6),
            DyConvNormActivation(oup, oup, 1, group_size, fusion),
        )
        self.predictor = CoefficientPredictor(inp, chain.num_coefficients)
        self.conv = chain

    def forward(self, x):
        y = self.conv(x, self.predictor(x))
        return y + x if self.use_res_connect else y


class MobileNetV2(nn.Module):
    """torchvision's MobileNetV2 trunk (features.0 ... features.18, classifier.1) with a block
    factory; block widths rounded to multiples of `divisor`."""

    def __init__(self, make_block, divisor=8, num_classes=1000, width_mult=1, dropout=0.2):
        super().__init__()
        in_c = make_divisible(32 * width_mult, 8)
        last = make_divisible(1280 * max(1.0, width_mult), 8)
        features = [conv_norm_activation(3, in_c, 3, stride=2, activation=nn.ReLU6)]
        for t, c, n, s in MOBILENET_V2_SETTING:
            out_c = make_divisible(c * width_mult, divisor)
            for i in range(n):
                features.append(make_block(in_c, out_c, s if i == 0 else 1, t))
                in_c = out_c
        features.append(conv_norm_activation(in_c, last, 1, activation=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(last, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


def dy_mobile(num_classes=1000, width_mult=1, group_size=6, fusion=None, dropout=0.2, channels_per_group=6):
    """The paper's Dy-mobile (from MobileNetV2)."""
    _check('dyMobile', num_classes, width_mult, group_size)
    return MobileNetV2(lambda i, o, s, t: DyInvertedResidual(i, o, s, group_size, channels_per_group, fusion), channels_per_group, num_classes, width_mult, dropout)


# ---- Dy-MobileNetV3-Small -------------------------------------------------------------------

_V3_NORM = dict(eps=0.001, momentum=0.01)
_V3_SMALL = [
    (16, 3, 16, 16, True, 'RE', 2), (16, 3, 72, 24, False, 'RE', 2), (24, 3, 88, 24, False, 'RE', 1),
    (24, 5, 96, 40, True, 'HS', 2), (40, 5, 240, 40, True, 'HS', 1), (40, 5, 240, 40, True, 'HS', 1),
    (40, 5, 120, 48, True, 'HS', 1), (48, 5, 144, 48, True, 'HS', 1), (48, 5, 288, 96, True, 'HS', 2),
    (96, 5, 576, 96, True, 'HS', 1), (96, 5, 576, 96, True, 'HS', 1),
]


class DyInvertedResidualV3(nn.Module):
    """A bneck with dynamic expansion (when it changes the width), depthwise and projection convs,
    static SE, and one predictor on its input; `block` mirrors torchvision's indices."""

    def __init__(self, inp, kernel, expanded, out, use_se, activation, stride, group_size, fusion=None):
        super().__init__()
        self.use_res_connect = stride == 1 and inp == out
        act = nn.Hardswish if activation == 'HS' else nn.ReLU
        layers = []
        if expanded != inp:
            layers.append(DyConvNormActivation(inp, expanded, 1, group_size, fusion, activation=act, **_V3_NORM))
        layers.append(DyConvNormActivation(expanded, expanded, kernel, group_size, fusion, stride=stride, groups=expanded, activation=act, **_V3_NORM))
        if use_se:
            layers.append(SqueezeExcitation(expanded, make_divisible(expanded // 4, 8)))
        layers.append(DyConvNormActivation(expanded, out, 1, group_size, fusion, **_V3_NORM))
        chain = DyChain(*layers)
        self.predictor = CoefficientPredictor(inp, chain.num_coefficients)
        self.block = chain

    def forward(self, x):
        y = self.block(x, self.predictor(x))
        return y + x if self.use_res_connect else y


class MobileNetV3(nn.Module):
    """torchvision's MobileNetV3 trunk (features, classifier.0, classifier.3) with a block factory."""

    def __init__(self, setting, last_channel, num_classes, make_block, dropout=0.2):
        super().__init__()
        features = [conv_norm_activation(3, setting[0][0], 3, stride=2, activation=nn.Hardswish, **_V3_NORM)]
        features += [make_block(*row) for row in setting]
        last_in = setting[-1][3]
        features.append(conv_norm_activation(last_in, 6 * last_in, 1, activation=nn.Hardswish, **_V3_NORM))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Linear(6 * last_in, last_channel), nn.Hardswish(), nn.Dropout(dropout), nn.Linear(last_channel, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


def dy_mobilenet_v3_small(num_classes=1000, width_mult=1, group_size=6, fusion=None, dropout=0.2):
    """Dy-MobileNetV3-Small: every conv of every bneck dynamic; SE, stem, last conv, classifier static."""
    _check('dyMobilenetV3Small', num_classes, width_mult, group_size)
    adj = lambda c: make_divisible(c * width_mult, 8)  # noqa: E731
    setting = [(adj(i), k, adj(e), adj(o), se, a, s) for i, k, e, o, se, a, s in _V3_SMALL]
    return MobileNetV3(setting, make_divisible(1024 * width_mult, 8), num_classes,
                       lambda *row: DyInvertedResidualV3(*row, group_size, fusion), dropout)


# ---- Dy-shuffle (ShuffleNetV2) --------------------------------------------------------------

SHUFFLENET_V2_REPEATS = (4, 8, 4)
SHUFFLENET_V2_WIDTHS = {0.5: (24, 48, 96, 192, 1024), 1: (24, 116, 232, 464, 1024), 1.5: (24, 176, 352, 704, 1024), 2: (24, 244, 488, 976, 2048)}


def channel_shuffle(x, groups):
    n, c, h, w = x.shape
    if groups in (1, c):
        return x
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


def _shuffle_branch1(inp, out, stride):
    return nn.Sequential(nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False), nn.BatchNorm2d(inp),
                         nn.Conv2d(inp, out, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU())


class DyShuffleUnit(nn.Module):
    """Dy-shuffle's unit: at stride 1 the last `right = oup * right_fraction` channels go through
    the dynamic branch; at stride 2 the static branch1 and dynamic branch2 both see the input."""

    def __init__(self, inp, oup, stride, shuffle_groups, right_fraction, group_size, fusion=None):
        super().__init__()
        right = oup // 2 if stride > 1 else _js_round(oup * right_fraction)
        if right < 1 or right >= oup or (stride == 1 and inp != oup) or oup % shuffle_groups:
            raise ValueError(f'DyShuffleUnit: needs 0 < right ({right}) < oup ({oup}), inp = oup at stride 1 (inp {inp}, stride {stride}), oup divisible by shuffle_groups ({shuffle_groups})')
        self.stride, self.shuffle_groups, self.right = stride, shuffle_groups, right
        branch_in = inp if stride > 1 else right
        self.branch1 = _shuffle_branch1(inp, oup - right, stride) if stride > 1 else nn.Sequential()
        chain = DyChain(
            DyConvNormActivation(branch_in, right, 1, group_size, fusion, activation=nn.ReLU),
            DyConvNormActivation(right, right, 3, group_size, fusion, stride=stride, groups=right),
            DyConvNormActivation(right, right, 1, group_size, fusion, activation=nn.ReLU),
        )
        self.predictor = CoefficientPredictor(branch_in, chain.num_coefficients)
        self.branch2 = chain

    def forward(self, x):
        if self.stride == 1:
            c = x.shape[1]
            x1, x2 = x[:, :c - self.right], x[:, c - self.right:]
            out = torch.cat([x1, self.branch2(x2, self.predictor(x2))], 1)
        else:
            out = torch.cat([self.branch1(x), self.branch2(x, self.predictor(x))], 1)
        return channel_shuffle(out, self.shuffle_groups)


class ShuffleNetV2(nn.Module):
    """torchvision's ShuffleNetV2 trunk (conv1, stage2..4, conv5, fc) with a unit factory."""

    def __init__(self, widths, num_classes, make_unit):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, widths[0], 3, 2, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        in_c = widths[0]
        for i, repeats in enumerate(SHUFFLENET_V2_REPEATS):
            out_c = widths[i + 1]
            units = [make_unit(in_c, out_c, 2)] + [make_unit(out_c, out_c, 1) for _ in range(repeats - 1)]
            self.add_module(f'stage{i + 2}', nn.Sequential(*units))
            in_c = out_c
        self.conv5 = nn.Sequential(nn.Conv2d(in_c, widths[4], 1, bias=False), nn.BatchNorm2d(widths[4]), nn.ReLU())
        self.fc = nn.Linear(widths[4], num_classes)

    def forward(self, x):
        x = self.stage4(self.stage3(self.stage2(self.maxpool(self.conv1(x)))))
        return self.fc(self.conv5(x).mean([2, 3]))


def dy_shufflenet_v2(num_classes=1000, width_mult=1, group_size=6, fusion=None, stages_out_channels=None, right_fraction=0.25, shuffle_groups=4):
    """The paper's Dy-shuffle (from ShuffleNetV2; torchvision's widths for width_mult 0.5, 1, 1.5, 2,
    or explicit `stages_out_channels`: stem, stage2..4, conv5)."""
    _check('dyShufflenetV2', num_classes, 1, group_size)
    widths = stages_out_channels or SHUFFLENET_V2_WIDTHS.get(width_mult)
    if widths is None:
        raise ValueError(f'dyShufflenetV2: width_mult must be one of {", ".join(map(str, SHUFFLENET_V2_WIDTHS))} (or give stages_out_channels), got {width_mult}')
    return ShuffleNetV2(widths, num_classes, lambda i, o, s: DyShuffleUnit(i, o, s, shuffle_groups, right_fraction, group_size, fusion))


#: The builders by their dynconv names (@dynconv/models' MODELS).
DY_MODELS = {
    'dyResnet18': dy_resnet18,
    'dyResnet50': dy_resnet50,
    'dyMobile': dy_mobile,
    'dyMobilenetV3Small': dy_mobilenet_v3_small,
    'dyShufflenetV2': dy_shufflenet_v2,
}

_OPTION_NAMES = {'numClasses': 'num_classes', 'widthMult': 'width_mult', 'groupSize': 'group_size', 'blockWidth': 'block_width',
                 'channelsPerGroup': 'channels_per_group', 'stagesOutChannels': 'stages_out_channels', 'rightFraction': 'right_fraction',
                 'shuffleGroups': 'shuffle_groups'}
#: dynconv options with no effect on the architecture (its weights' dtype and initialisation).
_IGNORED = {'dtype', 'generator', 'init'}


def build(name, **options):
    """A Dy- model by its dynconv name ('dyResnet18', ...; snake_case names work too) with dynconv's
    options (camelCase or snake_case): `build('dyMobile', numClasses=10, groupSize=4)`."""
    aliases = {'dy_resnet18': 'dyResnet18', 'dy_resnet50': 'dyResnet50', 'dy_mobile': 'dyMobile', 'dy_mobilenet_v3_small': 'dyMobilenetV3Small', 'dy_shufflenet_v2': 'dyShufflenetV2'}
    builder = DY_MODELS.get(aliases.get(name, name))
    if builder is None:
        raise ValueError(f'unknown Dy- model {name!r}; known: {", ".join(DY_MODELS)} (the static ones are torchvision.models\')')
    kw = {_OPTION_NAMES.get(k, k): v for k, v in options.items() if k not in _IGNORED}
    if 'stages_out_channels' in kw and kw['stages_out_channels'] is not None:
        kw['stages_out_channels'] = tuple(kw['stages_out_channels'])
    return builder(**kw)
