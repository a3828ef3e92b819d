"""The default Dy-CNN of tools/models/dy-cnn.ts in PyTorch (the mirror `pnpm bench` times).

The net itself is python/dynconv_torch/dycnn.py, the PyTorch port shipped with the repository
(same state-dict keys, order and shapes as dynconv's, so weights load both ways; checked by
test/torch/weights.test.ts and, for this bench, bench/torch/dycnn-parity.ts). dynconv's
DEFAULT_CONFIG: stem 16 stride 2, widths 32/64, strides 2/2, g = 4, no predictor hidden layer,
1 input channel, 10 classes.

  stem:   Conv2d(1, 16, 3, stride 2, pad 1, bias=False) + BatchNorm2d + ReLU
  stage1: block(16 -> 32, stride 2)
  stage2: block(32 -> 64, stride 2)
  head:   AdaptiveAvgPool2d(1), Flatten, Linear(64, 10)

A dynamic block is two 3x3 DynamicConv2d (bias=False, external predictor, the first with the
stride), each followed by BatchNorm2d and ReLU, and ONE CoefficientPredictor fed by the block
input (pooling, Linear(inC, n1 + n2), sigmoid, cut into the two convs' coefficients). Kernel and
output fusion are computed with the same batched matmuls as dynconv's fusion.ts
(python/dynconv_torch/dynamic.py). The static net has ConvBnRelu in place of each dynamic conv.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'python'))
from dynconv_torch import dycnn as _dycnn  # noqa: E402

DEFAULT_CONFIG = _dycnn.DEFAULT_CONFIG


def DyCnn(kind='dynamic', fusion='kernel', cfg=None):  # noqa: N802 - the class name the bench has always used
    """The Dy-CNN of `kind` with every dynamic conv on the `fusion` path, from dynconv's config."""
    return _dycnn.DyCnn(cfg if cfg is not None else DEFAULT_CONFIG, fusion=fusion, kind=kind)


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def build_train_step(kind, fusion, batch, expect_params=None, seed=0):
    """The training step of bench/step-profile.ts: forward, cross-entropy, zero_grad, backward,
    AdamW step (lr 6e-3; weight decay 0.05 on conv and linear weights, 0 on the rest), cycling
    over 4 random batches. Returns (step, param_count)."""
    torch.manual_seed(seed)
    model = DyCnn(kind, fusion).train()
    n = param_count(model)
    if expect_params is not None:
        assert n == expect_params, f'PyTorch {kind} Dy-CNN has {n} parameters, dynconv has {expect_params}: the mirror in bench/torch/dycnn.py is not the same net'
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.05}, {'params': no_decay, 'weight_decay': 0.0}], lr=6e-3)
    xs = [torch.randn(batch, 1, 28, 28) for _ in range(4)]
    ys = [torch.randint(0, 10, (batch,)) for _ in range(4)]
    state = {'i': 0}

    def step():
        i = state['i'] % 4
        state['i'] += 1
        loss = F.cross_entropy(model(xs[i]), ys[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step, n


if __name__ == '__main__':
    for kind in ('dynamic', 'static', 'static-wide'):
        print(kind, param_count(DyCnn(kind)))
