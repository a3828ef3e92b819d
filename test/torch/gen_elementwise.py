"""Elementwise ops (unary, activations, binary with broadcasting), matmul, and joining/indexing."""
import random

import torch
import torch.nn.functional as F

from torch_cases import decode, encode_tree


def shape(rng, ndim=None):
    ndim = ndim if ndim is not None else rng.randint(1, 3)
    return [rng.randint(1, 4) for _ in range(ndim)]


def with_points(x, points):
    """x with its first elements replaced by `points` (the kinks and ties where gradients split)."""
    flat = x.reshape(-1).clone()
    k = min(len(points), flat.numel())
    flat[:k] = torch.tensor(points[:k], dtype=x.dtype)
    return flat.reshape(x.shape)


# name: (torch function, domain of x, second order?, points of interest)
UNARY = {
    'neg': (torch.neg, 'any', False, [0.0]),
    'exp': (torch.exp, 'any', True, [0.0]),
    'log': (torch.log, 'positive', True, [1.0]),
    'sqrt': (torch.sqrt, 'positive', True, [1.0]),
    'rsqrt': (torch.rsqrt, 'positive', True, [1.0]),
    'abs': (torch.abs, 'any', False, [0.0]),
    'sin': (torch.sin, 'any', True, [0.0]),
    'cos': (torch.cos, 'any', True, [0.0]),
    'tanh': (torch.tanh, 'any', True, [0.0]),
    'sigmoid': (torch.sigmoid, 'any', True, [0.0]),
    'relu': (torch.relu, 'any', False, [0.0]),
    'sign': (torch.sign, 'any', False, [0.0]),
    'erf': (torch.erf, 'any', True, [0.0]),
    'log1p': (torch.log1p, 'gt-1', True, [0.0]),
    'expm1': (torch.expm1, 'any', True, [0.0]),
    'reciprocal': (torch.reciprocal, 'nonzero', True, [1.0, -1.0]),
    'floor': (torch.floor, 'any', False, [0.5, -0.5]),
    'ceil': (torch.ceil, 'any', False, [0.5, -0.5]),
    'round': (torch.round, 'any', False, [0.5, 1.5, 2.5, -0.5]),
}


def domain(x, kind):
    if kind == 'positive':
        return x.abs() + 0.1
    if kind == 'gt-1':
        return x.abs() * 0.5 - 0.5 + 1e-3 * x.sign()
    if kind == 'nonzero':
        return x + 0.5 * torch.where(x >= 0, 1.0, -1.0)
    return x * 2


def activations(rng):
    """name: (options from rng, torch function of (x, options), second order?, points)."""
    return [
        ('leakyRelu', {'negativeSlope': rng.choice([0.01, 0.2, 1.5])}, lambda x, k: F.leaky_relu(x, k['negativeSlope']), False, [0.0]),
        ('elu', {'alpha': rng.choice([1.0, 0.5, 2.0])}, lambda x, k: F.elu(x, k['alpha']), True, [0.0]),
        ('gelu', {'approximate': rng.choice(['none', 'tanh'])}, lambda x, k: F.gelu(x, approximate=k['approximate']), True, [0.0]),
        ('softplus', {'beta': rng.choice([1.0, 2.0, 0.5]), 'threshold': rng.choice([20.0, 1.0, 2.0])},
         lambda x, k: F.softplus(x, k['beta'], k['threshold']), True, None),
        ('clamp', {'min': -0.5, 'max': rng.choice([0.5, 1.0])}, lambda x, k: torch.clamp(x, k['min'], k['max']), False, [-0.5, 0.5]),
        ('clampMin', {'min': rng.choice([-0.5, 0.0])}, lambda x, k: torch.clamp(x, min=k['min']), False, [-0.5, 0.0]),
        ('hardtanh', {'min': -1.0, 'max': rng.choice([1.0, 2.0])}, lambda x, k: F.hardtanh(x, k['min'], k['max']), False, [-1.0, 1.0, 2.0]),
        ('relu6', {}, lambda x, k: F.relu6(x), False, [0.0, 6.0]),
        ('hardsigmoid', {}, lambda x, k: F.hardsigmoid(x), False, [-3.0, 3.0, -1.3, 0.7]),
        ('hardswish', {}, lambda x, k: F.hardswish(x), False, [-3.0]),
        ('silu', {}, lambda x, k: F.silu(x), True, [0.0]),
        ('softmax', {'dim': -1}, lambda x, k: torch.softmax(x, k['dim']), True, None),
        ('logSoftmax', {'dim': 0}, lambda x, k: torch.log_softmax(x, k['dim']), True, None),
    ]


def broadcast_pair(rng):
    """Two shapes that broadcast: some dims of one set to 1 or dropped."""
    s = shape(rng, rng.randint(1, 3))
    t = [d if rng.random() < 0.6 else 1 for d in s]
    if rng.random() < 0.3:
        t = t[1:] or [1]
    return (s, t) if rng.random() < 0.5 else (t, s)


def generate(w, runs):
    rng = random.Random(13)
    torch.manual_seed(13)
    for _ in range(runs):
        for name, (fn, dom, second, points) in UNARY.items():
            x = with_points(domain(torch.randn(shape(rng)), dom), points)
            w.op('unary', name, lambda i, k, fn=fn: fn(i['x']), {'x': x}, second=second)
        for name, kw, fn, second, points in activations(rng):
            x = torch.randn(shape(rng, rng.randint(1, 3))) * 3
            if name == 'softplus':
                points = [kw['threshold'] / kw['beta'], 0.0]
            if name in ('elu', 'softplus'):
                # Second order away from the tie (where PyTorch's double backward takes the other
                # branch: see deviations()), first order at it.
                w.op('activation', name, lambda i, k, fn=fn: fn(i['x'], k), {'x': x}, kw, second=True)
                second = False
            if name == 'hardsigmoid':
                x = torch.randn([rng.randint(4, 8)]) * 3
            if points:
                x = with_points(x, points)
            if name == 'hardsigmoid':
                # PyTorch's float64 backward multiplies by the float32 constant 1/6 (off by 5e-9);
                # dynconv's gradient is the exact 1/6 strictly between -3 and 3.
                factor = torch.where((x > -3) & (x < 3), torch.tensor(1 / 6), torch.tensor(0.0))
                w.op('activation', name, lambda i, k, fn=fn: fn(i['x'], k), {'x': x}, kw,
                     deviation='hardsigmoid-float32-constant', expected={'gradFactor': {'x': factor}})
                continue
            w.op('activation', name, lambda i, k, fn=fn: fn(i['x'], k), {'x': x}, kw, second=second)
        binary(w, rng)
        matmul(w, rng)
        join(w, rng)
        scan_and_sort(w, rng)
        views(w, rng)
        compare_and_create(w, rng)
    deviations(w)


def binary(w, rng):
    for name in ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'where']:
        sa, sb = broadcast_pair(rng)
        a, b = torch.randn(sa), torch.randn(sb)
        kw = {}
        if name in ('add', 'sub'):
            kw['alpha'] = rng.choice([1.0, 2.5, -0.5])
        if name == 'div':
            b = b + torch.where(b >= 0, 0.5, -0.5)
        if name == 'pow':
            a = a.abs() + 0.2
        if name in ('maximum', 'minimum'):
            # Ties, where PyTorch splits the gradient in half.
            a = torch.round(a)
            b = torch.round(b)
        if name == 'where':
            cond = torch.rand(broadcast_pair(rng)[0]) > 0.5
            try:
                torch.broadcast_shapes(cond.shape, a.shape, b.shape)
            except RuntimeError:
                cond = torch.rand(a.shape) > 0.5
            w.op('binary', name, lambda i, k: torch.where(i['condition'], i['a'], i['b']), {'condition': cond, 'a': a, 'b': b})
            continue
        fns = {
            'add': lambda i, k: torch.add(i['a'], i['b'], alpha=k['alpha']),
            'sub': lambda i, k: torch.sub(i['a'], i['b'], alpha=k['alpha']),
            'mul': lambda i, k: i['a'] * i['b'],
            'div': lambda i, k: i['a'] / i['b'],
            'pow': lambda i, k: torch.pow(i['a'], i['b']),
            'maximum': lambda i, k: torch.maximum(i['a'], i['b']),
            'minimum': lambda i, k: torch.minimum(i['a'], i['b']),
        }
        w.op('binary', name, fns[name], {'a': a, 'b': b}, kw, second=name in ('mul', 'div', 'pow'))
        # A number on the right, as dynconv's Operand allows.
        if name in ('mul', 'pow', 'maximum'):
            s = rng.choice([2.0, 0.5, 0.0]) if name != 'pow' else rng.choice([2.0, 0.5, 3.0])
            w.op('binary', name + 'Scalar', lambda i, k, n=name: SCALAR[n](i['a'], k['b']), {'a': a}, {'b': s}, second=name == 'pow')


SCALAR = {
    'mul': torch.mul,
    'pow': torch.pow,
    # torch.maximum takes tensors only: the number as a 0-d tensor, as dynconv wraps it.
    'maximum': lambda a, b: torch.maximum(a, torch.tensor(b)),
}


def matmul(w, rng):
    n, k, m = rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 5)
    shapes = [
        ([k], [k]), ([k], [k, m]), ([n, k], [k]), ([n, k], [k, m]),
        ([rng.randint(1, 3), n, k], [k, m]), ([2, 1, n, k], [3, k, m]), ([k], [2, k, m]),
    ]
    for sa, sb in shapes:
        w.op('matmul', 'matmul', lambda i, kw: torch.matmul(i['a'], i['b']), {'a': torch.randn(sa), 'b': torch.randn(sb)}, second=True)
    bias = torch.randn([m]) if rng.random() < 0.7 else None
    w.op('matmul', 'linear', lambda i, kw: F.linear(i['x'], i['weight'], i['bias']),
         {'x': torch.randn([rng.randint(1, 3), n, k]), 'weight': torch.randn([m, k]), 'bias': bias}, second=True)
    w.op('matmul', 'mm', lambda i, kw: torch.mm(i['a'], i['b']), {'a': torch.randn([n, k]), 'b': torch.randn([k, m])}, second=True)
    b = rng.randint(1, 3)
    w.op('matmul', 'bmm', lambda i, kw: torch.bmm(i['a'], i['b']), {'a': torch.randn([b, n, k]), 'b': torch.randn([b, k, m])}, second=True)


def join(w, rng):
    s = shape(rng, rng.randint(2, 3))
    pads = [rng.randint(-1, 2) for _ in range(2 * rng.randint(1, len(s)))]
    pads = [max(p, -1) if s[len(s) - 1 - j // 2] > 2 else max(p, 0) for j, p in enumerate(pads)]
    value = rng.choice([0.0, 1.5])
    w.op('join', 'pad', lambda i, k: F.pad(i['x'], k['pad'], value=k['value']), {'x': torch.randn(s)}, {'pad': pads, 'value': value})
    for mode in ['reflect', 'replicate', 'circular']:
        dims = rng.randint(1, 3)
        # A batch and/or channel dim first (PyTorch 1.13's circular mode needs both).
        lead = 2 if mode == 'circular' else rng.randint(1, 2)
        xs = [rng.randint(1, 3) for _ in range(lead)] + [rng.randint(2, 4) for _ in range(dims)]
        limit = {'reflect': lambda n: n - 1, 'replicate': lambda n: 3, 'circular': lambda n: n}[mode]
        pads = [rng.randint(0, limit(xs[-1 - j // 2])) for j in range(2 * dims)]
        w.op('join', f'pad-{mode}', lambda i, k: F.pad(i['x'], k['pad'], mode=k['mode']), {'x': torch.randn(xs)}, {'pad': pads, 'mode': mode})
    # Refused by both: reflect by the whole dim, an unknown mode.
    w.op('join', 'pad-reflect', lambda i, k: F.pad(i['x'], k['pad'], mode=k['mode']), {'x': torch.randn([1, 2, 3])}, {'pad': [3, 0], 'mode': 'reflect'})
    w.op('join', 'pad-unknown', lambda i, k: F.pad(i['x'], k['pad'], mode=k['mode']), {'x': torch.randn([1, 2, 3])}, {'pad': [1, 1], 'mode': 'mirror'})
    d = rng.randint(0, len(s) - 1)
    parts = {f't{j}': torch.randn([rng.randint(1, 3) if q == d else s[q] for q in range(len(s))]) for j in range(3)}
    w.op('join', 'cat', lambda i, k: torch.cat([i['t0'], i['t1'], i['t2']], k['dim']), parts, {'dim': d})
    w.op('join', 'stack', lambda i, k: torch.stack([i['t0'], i['t0'] * 2], k['dim']), {'t0': parts['t0']}, {'dim': rng.randint(0, len(s))})
    x = torch.randn(s)
    idx = torch.randint(0, s[d], [rng.randint(1, 4) if q == d else s[q] for q in range(len(s))])
    w.op('join', 'gather', lambda i, k: torch.gather(i['x'], k['dim'], i['index']), {'x': x, 'index': idx}, {'dim': d})
    sel = torch.randint(0, s[d], [rng.randint(1, 5)])
    w.op('join', 'indexSelect', lambda i, k: torch.index_select(i['x'], k['dim'], i['index']), {'x': x, 'index': sel}, {'dim': d})
    src = torch.randn(list(idx.shape))
    base = torch.randn(s)
    w.op('join', 'scatterAdd', lambda i, k: torch.scatter_add(i['base'], k['dim'], i['index'], i['src']), {'base': base, 'index': idx, 'src': src}, {'dim': d})


def scan_and_sort(w, rng):
    s = shape(rng, rng.randint(1, 3))
    d = rng.randint(-len(s), len(s) - 1)
    w.op('sort', 'cumsum', lambda i, k: torch.cumsum(i['x'], k['dim']), {'x': torch.randn(s)}, {'dim': d})
    w.op('sort', 'cumsumInt', lambda i, k: torch.cumsum(i['x'], k['dim']), {'x': torch.randint(-5, 6, s)}, {'dim': d})
    # Distinct values (PyTorch's unstable sort may order ties either way), then ties with stable=True.
    x = torch.randperm(int(torch.tensor(s).prod())).double().reshape(s) + torch.rand(s) * 0.5
    desc = rng.random() < 0.5
    w.op('sort', 'sort', lambda i, k: tuple(torch.sort(i['x'], k['dim'], descending=k['descending'])), {'x': x}, {'dim': d, 'descending': desc})
    w.op('sort', 'sort', lambda i, k: tuple(torch.sort(i['x'], dim=k['dim'], descending=k['descending'], stable=True)),
         {'x': torch.randint(0, 3, s).double()}, {'dim': d, 'descending': not desc, 'stable': True})
    k = rng.randint(0, s[d])
    w.op('sort', 'topk', lambda i, kw: tuple(torch.topk(i['x'], kw['k'], kw['dim'], largest=kw['largest'])), {'x': x}, {'k': k, 'dim': d, 'largest': rng.random() < 0.7})
    nan = torch.tensor([[3.0, float('nan'), -1.0, 2.0], [0.5, 0.25, float('nan'), 1.0]])
    w.op('sort', 'sort', lambda i, k: tuple(torch.sort(i['x'], k['dim'], descending=k['descending'])), {'x': nan}, {'dim': 1, 'descending': desc}, diff=[])


def views(w, rng):
    s = [rng.randint(1, 4) for _ in range(3)]
    x = torch.randn(s)
    perm = rng.sample(range(3), 3)
    w.op('view', 'permute', lambda i, k: i['x'].permute(k['dims']), {'x': x}, {'dims': perm})
    w.op('view', 'transpose', lambda i, k: i['x'].transpose(k['dim0'], k['dim1']), {'x': x}, {'dim0': rng.randint(-3, 2), 'dim1': rng.randint(0, 2)})
    w.op('view', 'reshape', lambda i, k: i['x'].reshape(k['shape']), {'x': x}, {'shape': [-1, s[2]]})
    w.op('view', 'flatten', lambda i, k: torch.flatten(i['x'], k['startDim'], k['endDim']), {'x': x}, {'startDim': rng.randint(0, 1), 'endDim': rng.choice([-1, 1, 2])})
    d = rng.randint(0, 2)
    start = rng.randint(0, s[d] - 1)
    w.op('view', 'narrow', lambda i, k: i['x'].narrow(k['dim'], k['start'], k['length']), {'x': x}, {'dim': d, 'start': start, 'length': rng.randint(0, s[d] - start)})
    step = rng.randint(1, 3)
    w.op('view', 'slice', lambda i, k: i['x'][(slice(None),) * k['dim'] + (slice(k['start'], k['end'], k['step']),)], {'x': x},
         {'dim': d, 'start': start, 'end': rng.randint(start, s[d]), 'step': step})
    w.op('view', 'select', lambda i, k: i['x'].select(k['dim'], k['index']), {'x': x}, {'dim': d, 'index': rng.randint(-s[d], s[d] - 1)})
    ones = torch.randn([s[0], 1, s[2]])
    w.op('view', 'squeeze', lambda i, k: i['x'].squeeze(k['dim']), {'x': ones}, {'dim': rng.choice([1, 0])})
    w.op('view', 'unsqueeze', lambda i, k: i['x'].unsqueeze(k['dim']), {'x': x}, {'dim': rng.randint(-4, 3)})
    w.op('view', 'expand', lambda i, k: i['x'].expand(k['shape']), {'x': ones}, {'shape': [2, s[0], 3, s[2]]})
    w.op('view', 'broadcastTo', lambda i, k: torch.broadcast_to(i['x'], k['shape']), {'x': ones}, {'shape': [2, s[0], 3, s[2]]})
    w.op('view', 't', lambda i, k: i['x'].t(), {'x': torch.randn(s[:rng.randint(1, 2)])})
    w.op('view', 'split', lambda i, k: tuple(torch.split(i['x'], k['splitSize'], k['dim'])), {'x': x}, {'splitSize': rng.randint(1, 3), 'dim': d})
    w.op('view', 'chunk', lambda i, k: tuple(torch.chunk(i['x'], k['chunks'], k['dim'])), {'x': x}, {'chunks': rng.randint(1, 4), 'dim': d})


def compare_and_create(w, rng):
    sa, sb = broadcast_pair(rng)
    a, b = torch.round(torch.randn(sa)), torch.round(torch.randn(sb))
    for name in ('eq', 'ne', 'gt', 'ge', 'lt', 'le'):
        w.op('compare', name, lambda i, k, n=name: getattr(torch, n)(i['a'], i['b']), {'a': a, 'b': b})
    start, step = rng.choice([0.0, -1.5]), rng.choice([0.5, 0.3, 1.0])
    end = start + step * rng.randint(1, 8) + rng.choice([0.0, 0.1])
    w.op('create', 'arange', lambda i, k: torch.arange(k['start'], k['end'], k['step']), {}, {'start': start, 'end': end, 'step': step})
    w.op('create', 'linspace', lambda i, k: torch.linspace(k['start'], k['end'], k['steps']), {}, {'start': start, 'end': end, 'steps': rng.randint(1, 7)})
    w.op('create', 'eye', lambda i, k: torch.eye(k['n'], k['m']), {}, {'n': rng.randint(1, 4), 'm': rng.randint(1, 4)})
    idx = torch.randint(0, 5, [rng.randint(1, 4)])
    w.op('create', 'oneHot', lambda i, k: F.one_hot(i['index'], k['numClasses']), {'index': idx}, {'numClasses': rng.choice([-1, 6])})


def deviations(w):
    """The cases listed in docs/pytorch-parity.md, with what dynconv gives instead."""
    # hardswish at x = 3: PyTorch's gradient there is 1 or 3/2 depending on the element's position
    # (the vectorised and the scalar tail of its kernel disagree); dynconv gives x/3 + 1/2 = 3/2.
    # elu and softplus at their ties: PyTorch's first derivative takes the smooth branch there
    # (x <= 0 for elu, beta x <= threshold for softplus) but its double backward the other one
    # (x < 0, beta x < threshold), giving 0. dynconv differentiates its own first derivative, so
    # the second derivative there is the smooth branch's: alpha exp(x), beta sigmoid'(beta x).
    for name, kw, fn, tie, f2 in [
        ('elu', {'alpha': 2.0}, lambda x, k: F.elu(x, k['alpha']), 0.0, lambda x: torch.where(x > 0, 0.0, 2.0 * torch.exp(x))),
        ('softplus', {'beta': 2.0, 'threshold': 1.0}, lambda x, k: F.softplus(x, k['beta'], k['threshold']), 0.5,
         lambda x: torch.where(2 * x > 1, 0.0, 2.0 * torch.sigmoid(2 * x) * (1 - torch.sigmoid(2 * x)))),
    ]:
        x = torch.tensor([tie, -1.0, 0.25, 2.0])
        case = w.op('activation', name, lambda i, k, fn=fn: fn(i['x'], k), {'x': x}, kw, second=True, deviation='second-derivative-at-tie')
        seed = decode(case['gradOutputs']['0'])
        v = decode(case['second']['v']['x'])
        case['expected'] = encode_tree({'second': {'x': seed * v * f2(x)}})
    x = torch.full([19], 3.0)
    w.op('activation', 'hardswish', lambda i, k: F.hardswish(i['x']), {'x': x}, deviation='hardswish-gradient-at-3',
         expected={'outputs': [x.clone()], 'gradFactor': {'x': torch.full([19], 1.5)}})
