"""The trainer's Dy-CNN (tools/models/dy-cnn.ts) in PyTorch, with dynconv's state-dict keys, order
and shapes, so weights move both ways with `load_state_dict(strict=True)`.

    stem:   Conv2d(in_channels, stem, 3, stride stem_stride, pad 1, bias=False) + BN + ReLU
    stage1: block(stem -> widths[0]), two 3x3 convs, the first with stride strides[0]
    stage2: block(widths[0] -> widths[1]), the same with strides[1]
    head:   AdaptiveAvgPool2d(1), Flatten, Linear(widths[1], num_classes)

Every conv is followed by BatchNorm and ReLU. kind='dynamic': each block is two bias-free 3x3
DynamicConv2d with an external predictor, fed by ONE CoefficientPredictor on the block input
(registered last, after conv1, bn1, conv2, bn2, as in dynconv); its output is cut into the two
convs' coefficients in order. kind='static': plain ConvBnRelu pairs (`layer1`, `layer2`) with the
same channels; kind='static-wide': group_size times the block channels.

The config is dynconv's DyCnnConfig; a checkpoint of tools/train.ts stores it (camelCase) and
DyCnnConfig.from_dict reads it.
"""
from dataclasses import dataclass, field

import torch.nn as nn
import torch.nn.functional as F

from .dynamic import CoefficientPredictor, DynamicConv2d, split_coefficients

__all__ = ['MODEL_KINDS', 'DyCnnConfig', 'DEFAULT_CONFIG', 'ConvBnRelu', 'StaticBlock', 'DynamicBlock', 'DyCnn']

MODEL_KINDS = ('dynamic', 'static', 'static-wide')

_CAMEL = {'stemStride': 'stem_stride', 'groupSize': 'group_size', 'inChannels': 'in_channels', 'numClasses': 'num_classes'}


@dataclass
class DyCnnConfig:
    """dynconv's DyCnnConfig (tools/models/dy-cnn.ts), snake_case; defaults are DEFAULT_CONFIG's."""
    kind: str = 'dynamic'
    stem: int = 16
    stem_stride: int = 2
    widths: tuple = (32, 64)
    strides: tuple = (2, 2)
    group_size: int = 4
    #: Hidden width of the predictors (two FC layers); None: one FC layer.
    hidden: int = None
    in_channels: int = 1
    num_classes: int = 10
    extra: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d):
        """From dynconv's camelCase JSON (as a checkpoint stores it) or snake_case keys."""
        kw = {_CAMEL.get(k, k): v for k, v in d.items()}
        known = {f for f in cls.__dataclass_fields__ if f != 'extra'}
        cfg = cls(**{k: v for k, v in kw.items() if k in known})
        cfg.widths, cfg.strides = tuple(cfg.widths), tuple(cfg.strides)
        cfg.extra = {k: v for k, v in kw.items() if k not in known}
        return cfg

    def to_dict(self):
        """dynconv's camelCase form (what `new DyCnn(config)` takes)."""
        d = {'kind': self.kind, 'stem': self.stem, 'stemStride': self.stem_stride, 'widths': list(self.widths), 'strides': list(self.strides),
             'groupSize': self.group_size, 'inChannels': self.in_channels, 'numClasses': self.num_classes}
        if self.hidden is not None:
            d['hidden'] = self.hidden
        return d


DEFAULT_CONFIG = DyCnnConfig()


class ConvBnRelu(nn.Module):
    """Conv (no bias: the BN after it has one) + BN + ReLU; keys `conv`, `bn`."""

    def __init__(self, in_c, out_c, stride):
        super().__init__()
        self.conv = nn.Conv2d(in_c, out_c, 3, stride=stride, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(out_c)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class StaticBlock(nn.Module):
    def __init__(self, in_c, out_c, stride):
        super().__init__()
        self.layer1 = ConvBnRelu(in_c, out_c, stride)
        self.layer2 = ConvBnRelu(out_c, out_c, 1)

    def forward(self, x):
        return self.layer2(self.layer1(x))


class DynamicBlock(nn.Module):
    """Two 3x3 DynamicConv2d (+ BN + ReLU each) and one predictor on the block input."""

    def __init__(self, in_c, out_c, stride, group_size, hidden=None, fusion=None):
        super().__init__()
        conv = dict(padding=1, bias=False, group_size=group_size, predictor='external', fusion=fusion)
        self.conv1 = DynamicConv2d(in_c, out_c, 3, stride=stride, **conv)
        self.bn1 = nn.BatchNorm2d(out_c)
        self.conv2 = DynamicConv2d(out_c, out_c, 3, **conv)
        self.bn2 = nn.BatchNorm2d(out_c)
        self.predictor = CoefficientPredictor(in_c, self.conv1.num_coefficients + self.conv2.num_coefficients, hidden)

    def forward(self, x):
        eta1, eta2 = split_coefficients(self.predictor(x), [self.conv1, self.conv2])
        h = F.relu(self.bn1(self.conv1(x, eta1)))
        return F.relu(self.bn2(self.conv2(h, eta2)))

    def dynamic_convs(self):
        return [self.conv1, self.conv2]


class DyCnn(nn.Module):
    """The whole net. `config`: a DyCnnConfig, or a dict in dynconv's camelCase or snake_case
    (missing keys take DEFAULT_CONFIG's values); keyword arguments override single fields.
    `fusion`: the dynamic convs' path (None: output when training, kernel in eval)."""

    def __init__(self, config=None, fusion=None, **overrides):
        super().__init__()
        if config is None:
            config = DyCnnConfig()
        elif isinstance(config, dict):
            config = DyCnnConfig.from_dict(config)
        if overrides:
            config = DyCnnConfig.from_dict({**config.to_dict(), **overrides})
        if config.kind not in MODEL_KINDS:
            raise ValueError(f'DyCnn: unknown model kind {config.kind!r} (expected {", ".join(MODEL_KINDS)})')
        self.config = config
        c = config
        w1, w2 = c.widths
        if c.kind == 'static-wide':
            w1, w2 = w1 * c.group_size, w2 * c.group_size

        def block(i, o, s):
            return DynamicBlock(i, o, s, c.group_size, c.hidden, fusion) if c.kind == 'dynamic' else StaticBlock(i, o, s)

        self.stem = ConvBnRelu(c.in_channels, c.stem, c.stem_stride)
        self.stage1 = block(c.stem, w1, c.strides[0])
        self.stage2 = block(w1, w2, c.strides[1])
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(w2, c.num_classes))

    def forward(self, x):
        return self.head(self.stage2(self.stage1(self.stem(x))))

    def dynamic_convs(self):
        return [m for m in self.modules() if isinstance(m, DynamicConv2d)]

    def set_fusion(self, fusion):
        """Sets every dynamic conv's path (None: the paper's choice by mode). Returns self."""
        for m in self.dynamic_convs():
            m.fusion = fusion
        return self

    def extra_repr(self):
        return f'kind={self.config.kind}'
