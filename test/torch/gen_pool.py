"""max/avg pooling with every option, adaptive pooling with sizes that do not divide."""
import random

import torch
import torch.nn.functional as F


def window(rng):
    k = [rng.randint(1, 3), rng.randint(1, 3)]
    stride = rng.choice([None, 1, 2, [rng.randint(1, 3), rng.randint(1, 2)]])
    padding = [rng.randint(0, k[0] // 2), rng.randint(0, k[1] // 2)]
    return k, stride, padding


def max_pool(i, k):
    return F.max_pool2d(i['x'], k['kernelSize'], k['stride'], k['padding'], k['dilation'], ceil_mode=k['ceilMode'], return_indices=k['returnIndices'])


def avg_pool(i, k):
    return F.avg_pool2d(i['x'], k['kernelSize'], k['stride'], k['padding'], ceil_mode=k['ceilMode'],
                        count_include_pad=k['countIncludePad'], divisor_override=k['divisorOverride'])


def every_window_touches_input(size, k, s, p, d, ceil):
    """False when some window lies entirely in the padding (dynconv refuses those; see below)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return all(any(0 <= o * s - p + j * d < size for j in range(k)) for o in range(out))


def generate(w, runs):
    rng = random.Random(7)
    torch.manual_seed(7)
    made = 0
    while made < 4 * runs:
        k, stride, padding = window(rng)
        dilation = [rng.randint(1, 2), rng.randint(1, 2)]
        size = [rng.randint(3, 7), rng.randint(3, 7)]
        kw = {'kernelSize': k, 'stride': stride, 'padding': padding, 'dilation': dilation, 'ceilMode': rng.random() < 0.5, 'returnIndices': rng.random() < 0.5}
        s = k if stride is None else stride if isinstance(stride, list) else [stride, stride]
        ok = all(every_window_touches_input(size[a], k[a], s[a], padding[a], dilation[a], kw['ceilMode']) for a in range(2))
        if not ok or any(size[a] + 2 * padding[a] < dilation[a] * (k[a] - 1) + 1 for a in range(2)):
            continue
        made += 1
        x = torch.randn([rng.randint(1, 2), rng.randint(1, 3)] + size)
        if rng.random() < 0.3:
            x = torch.round(x)  # ties inside a window: the first maximum wins, as in PyTorch
        w.op('pool', 'maxPool2d', max_pool, {'x': x}, kw)
        kw = {'kernelSize': k, 'stride': stride, 'padding': padding, 'ceilMode': rng.random() < 0.5,
              'countIncludePad': rng.random() < 0.5, 'divisorOverride': rng.choice([None, None, 2, 5])}
        w.op('pool', 'avgPool2d', avg_pool, {'x': torch.randn([rng.randint(1, 2), rng.randint(1, 3)] + size)}, kw)
    for _ in range(2 * runs):
        size = [rng.randint(1, 7), rng.randint(1, 7)]
        out = [rng.randint(1, 5), rng.choice([None, rng.randint(1, 5)])]
        x = torch.randn([rng.randint(1, 2), rng.randint(1, 3)] + size)
        w.op('pool', 'adaptiveAvgPool2d', lambda i, k: F.adaptive_avg_pool2d(i['x'], k['outputSize']), {'x': x}, {'outputSize': out})
        ri = rng.random() < 0.5
        w.op('pool', 'adaptiveMaxPool2d', lambda i, k: F.adaptive_max_pool2d(i['x'], k['outputSize'], return_indices=k['returnIndices']),
             {'x': torch.round(x * 2)}, {'outputSize': out, 'returnIndices': ri})
    for _ in range(2 * runs):
        size = [rng.randint(1, 5), rng.randint(1, 5)]
        x = torch.randn([rng.randint(1, 2), rng.randint(1, 2)] + size)
        mode = rng.choice(['nearest', 'bilinear'])
        kw = {'mode': mode}
        if rng.random() < 0.5:
            kw['size'] = [rng.randint(1, 9), rng.randint(1, 9)]
        else:
            kw['scaleFactor'] = [rng.choice([0.5, 1.5, 2.0, 3.0, 0.7]), rng.choice([2.0, 1.0, 2.5])]
        if mode == 'bilinear':
            kw['alignCorners'] = rng.random() < 0.5
        w.op('pool', 'interpolate', lambda i, k: F.interpolate(i['x'], size=k.get('size'), scale_factor=k.get('scaleFactor'), mode=k['mode'], align_corners=k.get('alignCorners')), {'x': x}, kw)
    # Unbatched [C, H, W].
    w.op('pool', 'maxPool2d', max_pool, {'x': torch.randn([2, 5, 5])},
         {'kernelSize': 3, 'stride': 2, 'padding': 1, 'dilation': 1, 'ceilMode': True, 'returnIndices': False})
    # A window entirely in the padding: PyTorch gives -inf there, and its backward writes out of
    # bounds (torch 1.13 aborts with heap corruption), so only its forward is run here; dynconv
    # refuses the geometry instead (docs/pytorch-parity.md).
    w.op('pool', 'maxPool2d', max_pool, {'x': torch.randn([1, 1, 1, 3])},
         {'kernelSize': [2, 1], 'stride': 1, 'padding': [1, 0], 'dilation': [2, 1], 'ceilMode': False, 'returnIndices': False},
         diff=[], deviation='max-pool-window-in-padding', expected={'error': True})
    # Refused by both: padding more than half the kernel.
    w.op('pool', 'maxPool2d', max_pool, {'x': torch.randn([1, 1, 4, 4])},
         {'kernelSize': 2, 'stride': 1, 'padding': 2, 'dilation': 1, 'ceilMode': False, 'returnIndices': False})
