"""conv2d and conv_transpose2d over random geometries, with second-order gradients."""
import random

import torch
import torch.nn.functional as F


def pair(rng, lo, hi):
    a = rng.randint(lo, hi)
    return a if rng.random() < 0.5 else [a, rng.randint(lo, hi)]


def both(v):
    return v if isinstance(v, list) else [v, v]


def conv2d_config(rng):
    groups = rng.choice([1, 1, 2, 3])
    depthwise = rng.random() < 0.25
    cin = groups * rng.randint(1, 2)
    if depthwise:
        groups = cin  # depthwise, with a channel multiplier
    cout = groups * rng.randint(1, 2)
    k = [rng.randint(1, 3), rng.randint(1, 3)]
    dilation = pair(rng, 1, 2)
    padding_kind = rng.choice(['int', 'pair', 'same', 'valid'])
    stride = 1 if padding_kind == 'same' else pair(rng, 1, 2)
    padding = {'int': rng.randint(0, 2), 'pair': [rng.randint(0, 2), rng.randint(0, 1)], 'same': 'same', 'valid': 'valid'}[padding_kind]
    d = both(dilation)
    size = [d[i] * (k[i] - 1) + 1 + rng.randint(0, 3) for i in range(2)]
    return {'n': rng.randint(1, 2), 'cin': cin, 'cout': cout, 'k': k, 'size': size,
            'kwargs': {'stride': stride, 'padding': padding, 'dilation': dilation, 'groups': groups}}


def conv_transpose_config(rng):
    groups = rng.choice([1, 1, 2])
    cin = groups * rng.randint(1, 2)
    cout_g = rng.randint(1, 2)
    k = [rng.randint(1, 3), rng.randint(1, 3)]
    stride = [rng.randint(1, 3), rng.randint(1, 2)]
    dilation = [rng.randint(1, 2), rng.randint(1, 3)]
    # outputPadding below max(stride, dilation) on each axis, as PyTorch requires; on an axis with
    # stride 1 that needs dilation > outputPadding.
    output_padding = [rng.randint(0, max(stride[i], dilation[i]) - 1) for i in range(2)]
    padding = [rng.randint(0, (dilation[i] * (k[i] - 1)) // 2) for i in range(2)]
    return {'n': rng.randint(1, 2), 'cin': cin, 'cout_g': cout_g, 'k': k, 'size': [rng.randint(1, 4), rng.randint(1, 4)],
            'kwargs': {'stride': stride, 'padding': padding, 'outputPadding': output_padding, 'dilation': dilation, 'groups': groups}}


def conv2d(i, k):
    return F.conv2d(i['x'], i['weight'], i['bias'], stride=k['stride'], padding=k['padding'], dilation=k['dilation'], groups=k['groups'])


def conv_transpose2d(i, k):
    return F.conv_transpose2d(i['x'], i['weight'], i['bias'], stride=k['stride'], padding=k['padding'],
                              output_padding=k['outputPadding'], dilation=k['dilation'], groups=k['groups'])


def float32_cases(w, rng, runs):
    """Larger float32 problems, which take the CPU backend's fast paths (blocked gemm, the
    depthwise 3x3 kernel, fused eval batchNorm) that the tiny float64 cases may not reach."""
    f = torch.float32
    for _ in range(runs):
        depthwise = rng.random() < 0.5
        cin = rng.choice([8, 16, 24])
        groups = cin if depthwise else rng.choice([1, 2, 4])
        cout = groups * rng.choice([1, 2]) if depthwise else rng.choice([8, 16, 32])
        k = rng.choice([1, 3, 3, 5])
        kw = {'stride': rng.choice([1, 2]), 'padding': k // 2, 'dilation': 1, 'groups': groups}
        x = torch.randn([2, cin, rng.randint(6, 14), rng.randint(6, 14)], dtype=f)
        weight = torch.randn([cout, cin // groups, k, k], dtype=f) * 0.3
        bias = torch.randn([cout], dtype=f) if rng.random() < 0.5 else None
        w.op('float32', 'conv2d', conv2d, {'x': x, 'weight': weight, 'bias': bias}, kw)
        m, kk, n = rng.randint(20, 90), rng.randint(20, 90), rng.randint(20, 90)
        w.op('float32', 'matmul', lambda i, k: torch.matmul(i['a'], i['b']), {'a': torch.randn([2, m, kk], dtype=f), 'b': torch.randn([kk, n], dtype=f)})
        c = rng.choice([8, 16])
        xb = torch.randn([2, c, 7, 7], dtype=f) * 2
        # No differentiable input: dynconv's eval batchNorm then takes its fused ChannelAffine kernel.
        w.op('float32', 'batchNormEval', lambda i, k: F.batch_norm(i['x'], i['runningMean'], i['runningVar'], i['weight'], i['bias'], False, 0.1, 1e-5),
             {'x': xb, 'runningMean': torch.randn([c], dtype=f), 'runningVar': torch.rand([c], dtype=f) + 0.5, 'weight': torch.randn([c], dtype=f), 'bias': torch.randn([c], dtype=f)}, diff=[])
        for name, fn in [('relu6', F.relu6), ('hardswish', F.hardswish), ('hardsigmoid', F.hardsigmoid), ('relu', F.relu)]:
            w.op('float32', name, lambda i, k, fn=fn: fn(i['x']), {'x': torch.randn([2, c, 9, 9], dtype=f) * 4}, diff=[] if name == 'hardsigmoid' else None)
        w.op('float32', 'maxPool2d', lambda i, k: F.max_pool2d(i['x'], 3, 2, 1), {'x': torch.randn([2, c, 11, 11], dtype=f)})
        w.op('float32', 'adaptiveAvgPool2d', lambda i, k: F.adaptive_avg_pool2d(i['x'], 1), {'x': torch.randn([2, c, 5, 5], dtype=f)})


def generate(w, runs):
    rng = random.Random(2)
    torch.manual_seed(2)
    float32_cases(w, rng, runs)
    for _ in range(3 * runs):
        c = conv2d_config(rng)
        x = torch.randn([c['n'], c['cin']] + c['size'])
        weight = torch.randn([c['cout'], c['cin'] // c['kwargs']['groups']] + c['k'])
        bias = torch.randn([c['cout']]) if rng.random() < 0.6 else None
        w.op('conv', 'conv2d', conv2d, {'x': x, 'weight': weight, 'bias': bias}, c['kwargs'], second=True)
    for _ in range(3 * runs):
        c = conv_transpose_config(rng)
        x = torch.randn([c['n'], c['cin']] + c['size'])
        weight = torch.randn([c['cin'], c['cout_g']] + c['k'])
        bias = torch.randn([c['cout_g'] * c['kwargs']['groups']]) if rng.random() < 0.6 else None
        w.op('conv', 'convTranspose2d', conv_transpose2d, {'x': x, 'weight': weight, 'bias': bias}, c['kwargs'], second=True)
    # The reported case: outputPadding 1 on an axis with stride 1 (allowed as dilation is 2).
    kw = {'stride': 1, 'padding': 0, 'outputPadding': 1, 'dilation': 2, 'groups': 1}
    w.op('conv', 'convTranspose2d', conv_transpose2d, {'x': torch.randn([1, 1, 3, 3]), 'weight': torch.randn([1, 1, 2, 2]), 'bias': None}, kw, second=True)
    # Unbatched [C, H, W] input.
    w.op('conv', 'conv2d', conv2d, {'x': torch.randn([2, 4, 4]), 'weight': torch.randn([3, 2, 3, 3]), 'bias': None},
         {'stride': 1, 'padding': 1, 'dilation': 1, 'groups': 1}, second=True)
    # Refused by both: 'same' with stride 2, groups not dividing the channels.
    w.op('conv', 'conv2d', conv2d, {'x': torch.randn([1, 2, 5, 5]), 'weight': torch.randn([2, 2, 3, 3]), 'bias': None},
         {'stride': 2, 'padding': 'same', 'dilation': 1, 'groups': 1})
    w.op('conv', 'conv2d', conv2d, {'x': torch.randn([1, 3, 5, 5]), 'weight': torch.randn([2, 1, 3, 3]), 'bias': None},
         {'stride': 1, 'padding': 0, 'dilation': 1, 'groups': 2})
