"""DyNet's dynamic convolution in PyTorch, laid out exactly as dynconv's (packages/nn/src/dynamic/).

DynamicConv2d holds a bank of `out_channels * group_size` fixed kernels,
weight [out_channels * g, in_channels / groups, kh, kw]; kernel i of output channel o is
weight[o * g + i] and its coefficient, per image n, is eta[n, o * g + i]. The layer computes the
convolution with the per-image fused kernels

    w~[n, o] = sum_i eta[n, o * g + i] * weight[o * g + i]

and adds the optional bias [out_channels] after the fusion. The two paths are equal by linearity
(and round differently):

- output fusion (the paper's training path): convolve with all out_channels * g kernels, then mix
  each group of g outputs with the batched matmul eta [N, outC, 1, g] @ y [N, outC, g, Ho*Wo];
- kernel fusion (the paper's inference path): mix the kernels with the batched matmul
  eta [outC, N, g] @ weight [outC, g, Cg*kh*kw], then one grouped convolution with the batch
  folded into the groups (x viewed [1, N*C, H, W], groups = N * groups).

These are the very reductions dynconv runs (fusion.ts), in the same order, so float32 results
differ only by the backends' own rounding. `fusion=None` is the paper's choice (output fusion in
training mode, kernel fusion in eval mode), as dynconv's default.

CoefficientPredictor: global average pooling, Linear (`fc`), or Linear (`fc1`), ReLU, Linear
(`fc2`) with a hidden width, then a sigmoid. One predictor may serve several dynamic convs: its
output is cut with split_coefficients, in order.

State-dict keys (dynconv's): `weight`, `bias` (when bias=True), and with an own predictor
`predictor.fc.*` or `predictor.fc1.*`, `predictor.fc2.*`.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['DynamicConv2d', 'CoefficientPredictor', 'split_coefficients', 'output_fusion_conv2d', 'kernel_fusion_conv2d', 'fuse_kernels', 'FUSION_MODES']

#: What `fusion` may be: None (the paper's choice by mode), 'output' or 'kernel'.
FUSION_MODES = (None, 'output', 'kernel')


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def output_fusion_conv2d(x, weight, eta, group_size, stride=1, padding=0, dilation=1, groups=1):
    """Output fusion: one convolution with every fixed kernel, then the g outputs of each channel
    mixed by the image's coefficients. Returns [N, outC, Ho, Wo] (no bias)."""
    n = x.shape[0]
    out_c = weight.shape[0] // group_size
    y = F.conv2d(x, weight, None, stride, padding, dilation, groups)
    ho, wo = y.shape[2], y.shape[3]
    return torch.matmul(eta.reshape(n, out_c, 1, group_size), y.reshape(n, out_c, group_size, ho * wo)).reshape(n, out_c, ho, wo)


def fuse_kernels(weight, eta, group_size):
    """The per-image kernels [N, outC, Cg, kh, kw]: eta [outC, N, g] @ weight [outC, g, Cg*kh*kw]."""
    k, cg, kh, kw = weight.shape
    n = eta.shape[0]
    out_c = k // group_size
    mixed = torch.matmul(eta.reshape(n, out_c, group_size).permute(1, 0, 2), weight.reshape(out_c, group_size, cg * kh * kw))
    return mixed.permute(1, 0, 2).reshape(n, out_c, cg, kh, kw)


def kernel_fusion_conv2d(x, weight, eta, group_size, stride=1, padding=0, dilation=1, groups=1):
    """Kernel fusion: fuse each image's kernels, then one grouped convolution over the batch.
    Returns [N, outC, Ho, Wo] (no bias)."""
    n, c, h, w = x.shape
    _, cg, kh, kw = weight.shape
    out_c = weight.shape[0] // group_size
    fused = fuse_kernels(weight, eta, group_size).reshape(n * out_c, cg, kh, kw)
    y = F.conv2d(x.reshape(1, n * c, h, w), fused, None, stride, padding, dilation, n * groups)
    return y.reshape(n, out_c, y.shape[2], y.shape[3])


class CoefficientPredictor(nn.Module):
    """x [N, C, H, W] -> eta [N, outputs] in (0, 1): pooling, fc (or fc1, ReLU, fc2), sigmoid."""

    def __init__(self, in_channels, outputs, hidden=None):
        super().__init__()
        self.in_channels, self.outputs, self.hidden = in_channels, outputs, hidden
        if hidden is None:
            self.fc = nn.Linear(in_channels, outputs)
        else:
            self.fc1 = nn.Linear(in_channels, hidden)
            self.fc2 = nn.Linear(hidden, outputs)

    def forward(self, x):
        pooled = F.adaptive_avg_pool2d(x, 1).flatten(1)
        logits = self.fc(pooled) if self.hidden is None else self.fc2(F.relu(self.fc1(pooled)))
        return torch.sigmoid(logits)

    def extra_repr(self):
        return f'in_channels={self.in_channels}, outputs={self.outputs}' + ('' if self.hidden is None else f', hidden={self.hidden}')


def split_coefficients(eta, consumers):
    """Cuts eta [N, total] into consecutive slices, one per consumer (a DynamicConv2d or a count)."""
    sizes = [c if isinstance(c, int) else c.num_coefficients for c in consumers]
    if eta.ndim != 2 or eta.shape[1] != sum(sizes):
        raise ValueError(f'split_coefficients: the consumers take {" + ".join(map(str, sizes))} = {sum(sizes)} coefficients per image, but eta has shape {list(eta.shape)}')
    return list(torch.split(eta, sizes, dim=1))


class DynamicConv2d(nn.Module):
    """dynconv's DynamicConv2d: weight [out_channels * group_size, in_channels / groups, kh, kw],
    optional bias [out_channels] added after the fusion, and an own CoefficientPredictor fed by
    the layer's input (predictor='own') or coefficients passed to forward (predictor='external').

    Initialised as PyTorch's Conv2d (fan_in = in_channels / groups * kh * kw), as dynconv does.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 group_size=6, fusion=None, predictor='own', hidden=None):
        super().__init__()
        if fusion not in FUSION_MODES:
            raise ValueError(f"fusion must be None (the paper's choice), 'output' or 'kernel', got {fusion!r}")
        if predictor not in ('own', 'external'):
            raise ValueError(f"predictor must be 'own' or 'external', got {predictor!r}")
        if predictor == 'external' and hidden is not None:
            raise ValueError(f"hidden ({hidden}) configures the layer's own predictor, but predictor is 'external'")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f'in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible by groups ({groups})')
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride, self.dilation = _pair(stride), _pair(dilation)
        self.padding = padding if isinstance(padding, str) else _pair(padding)
        self.groups, self.group_size, self.fusion = groups, group_size, fusion
        self.num_coefficients = out_channels * group_size
        self.weight = nn.Parameter(torch.empty(self.num_coefficients, in_channels // groups, *self.kernel_size))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels))
        else:
            self.register_parameter('bias', None)
        self.reset_parameters()
        self.predictor = CoefficientPredictor(in_channels, self.num_coefficients, hidden) if predictor == 'own' else None

    def reset_parameters(self):
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            nn.init.uniform_(self.bias, -bound, bound)

    def path(self):
        """The path forward() takes now: `fusion`, or the paper's choice by mode."""
        return self.fusion or ('output' if self.training else 'kernel')

    def forward(self, x, eta=None):
        if eta is None:
            if self.predictor is None:
                raise ValueError(f"{self}: predictor is 'external', so forward(x, eta) needs eta of shape [{x.shape[0]}, {self.num_coefficients}]")
            eta = self.predictor(x)
        if eta.ndim != 2 or eta.shape[0] != x.shape[0] or eta.shape[1] != self.num_coefficients:
            raise ValueError(f'{self}: eta must have shape [{x.shape[0]}, {self.num_coefficients}], got {list(eta.shape)}')
        f = output_fusion_conv2d if self.path() == 'output' else kernel_fusion_conv2d
        y = f(x, self.weight, eta, self.group_size, self.stride, self.padding, self.dilation, self.groups)
        return y if self.bias is None else y + self.bias.reshape(1, -1, 1, 1)

    def extra_repr(self):
        s = f'{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}'
        if self.padding not in ((0, 0), 0):
            s += f', padding={self.padding}'
        if self.dilation != (1, 1):
            s += f', dilation={self.dilation}'
        if self.groups != 1:
            s += f', groups={self.groups}'
        if self.bias is None:
            s += ', bias=False'
        s += f', group_size={self.group_size}, fusion={self.fusion or "paper"}'
        if self.predictor is None:
            s += ', predictor=external'
        return s
