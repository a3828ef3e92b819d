"""The default Dy-CNN of tools/models/dy-cnn.ts, layer by layer in PyTorch (the mirror `pnpm bench` times).

dynconv's net (DEFAULT_CONFIG: stem 16 stride 2, widths 32/64, strides 2/2, g = 4, no predictor
hidden layer, 1 input channel, 10 classes):

  stem:   Conv2d(1, 16, 3, stride 2, pad 1, bias=False) + BatchNorm2d + ReLU
  stage1: block(16 -> 32, stride 2)
  stage2: block(32 -> 64, stride 2)
  head:   AdaptiveAvgPool2d(1), Flatten, Linear(64, 10)

A dynamic block (tools/models/dy-cnn.ts DynamicBlock) is two 3x3 DynamicConv2d (bias=False,
external predictor, the first with the stride), each followed by BatchNorm2d and ReLU, and ONE
CoefficientPredictor fed by the block input: global average pooling, Linear(inC, n1 + n2),
sigmoid, cut into the two convs' coefficients (n = outC * g each; packages/nn/src/dynamic).

A DynamicConv2d holds weight [outC * g, inC, 3, 3]; kernel i of output channel o is
weight[o * g + i] with coefficient eta[n, o * g + i] (packages/nn/src/dynamic/fusion.ts):
  - kernel fusion: per-image kernels w~[n, o] = sum_i eta[n, o*g+i] * weight[o*g+i], computed as
    the batched matmul eta [outC, N, g] @ weight [outC, g, inC*9], then ONE grouped conv with the
    batch folded into the groups (x viewed [1, N*inC, H, W], groups = N);
  - output fusion: conv with the whole bank [outC * g] kernels, then the weighted sum of the g
    outputs per channel as the batched matmul eta [N, outC, 1, g] @ y [N, outC, g, Ho*Wo].
The static net has ConvBnRelu (plain conv) in place of each dynamic conv and no predictors.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_CONFIG = dict(stem=16, stem_stride=2, widths=(32, 64), strides=(2, 2), group_size=4, in_channels=1, num_classes=10)


class ConvBnRelu(nn.Module):
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


def kernel_fusion_conv2d(x, weight, eta, g, stride, padding):
    n, c, h, w = x.shape
    k, cg, kh, kw = weight.shape
    out_c = k // g
    # [outC, N, g] @ [outC, g, Cg*kh*kw] -> [outC, N, Cg*kh*kw], as fuseKernels does.
    mixed = torch.matmul(eta.reshape(n, out_c, g).permute(1, 0, 2), weight.reshape(out_c, g, cg * kh * kw))
    fused = mixed.permute(1, 0, 2).reshape(n * out_c, cg, kh, kw)
    y = F.conv2d(x.reshape(1, n * c, h, w), fused, None, stride=stride, padding=padding, groups=n)
    return y.reshape(n, out_c, y.shape[2], y.shape[3])


def output_fusion_conv2d(x, weight, eta, g, stride, padding):
    n = x.shape[0]
    out_c = weight.shape[0] // g
    y = F.conv2d(x, weight, None, stride=stride, padding=padding)
    ho, wo = y.shape[2], y.shape[3]
    return torch.matmul(eta.reshape(n, out_c, 1, g), y.reshape(n, out_c, g, ho * wo)).reshape(n, out_c, ho, wo)


class DynamicConv2d(nn.Module):
    """External-predictor DynamicConv2d, bias=False, 3x3, padding 1 (as the Dy-CNN uses it)."""

    def __init__(self, in_c, out_c, stride, g, fusion):
        super().__init__()
        self.g, self.stride, self.fusion, self.out_c = g, stride, fusion, out_c
        self.num_coefficients = out_c * g
        self.weight = nn.Parameter(torch.empty(out_c * g, in_c, 3, 3))
        nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)  # PyTorch's conv default, as defaultLayerInit

    def forward(self, x, eta):
        f = kernel_fusion_conv2d if self.fusion == 'kernel' else output_fusion_conv2d
        return f(x, self.weight, eta, self.g, self.stride, 1)


class CoefficientPredictor(nn.Module):
    def __init__(self, in_c, outputs):
        super().__init__()
        self.fc = nn.Linear(in_c, outputs)

    def forward(self, x):
        return torch.sigmoid(self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1)))


class DynamicBlock(nn.Module):
    def __init__(self, in_c, out_c, stride, g, fusion):
        super().__init__()
        self.conv1 = DynamicConv2d(in_c, out_c, stride, g, fusion)
        self.bn1 = nn.BatchNorm2d(out_c)
        self.conv2 = DynamicConv2d(out_c, out_c, 1, g, fusion)
        self.bn2 = nn.BatchNorm2d(out_c)
        self.predictor = CoefficientPredictor(in_c, self.conv1.num_coefficients + self.conv2.num_coefficients)

    def forward(self, x):
        eta = self.predictor(x)
        n1 = self.conv1.num_coefficients
        eta1, eta2 = eta[:, :n1], eta[:, n1:]
        h = F.relu(self.bn1(self.conv1(x, eta1)))
        return F.relu(self.bn2(self.conv2(h, eta2)))


class DyCnn(nn.Module):
    def __init__(self, kind='dynamic', fusion='kernel', cfg=DEFAULT_CONFIG):
        super().__init__()
        w1, w2 = cfg['widths']
        s1, s2 = cfg['strides']
        g = cfg['group_size']
        if kind == 'static-wide':
            w1, w2 = w1 * g, w2 * g

        def block(i, o, s):
            return DynamicBlock(i, o, s, g, fusion) if kind == 'dynamic' else StaticBlock(i, o, s)

        self.stem = ConvBnRelu(cfg['in_channels'], cfg['stem'], cfg['stem_stride'])
        self.stage1 = block(cfg['stem'], w1, s1)
        self.stage2 = block(w1, w2, s2)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(w2, cfg['num_classes']))

    def forward(self, x):
        return self.head(self.stage2(self.stage1(self.stem(x))))


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
