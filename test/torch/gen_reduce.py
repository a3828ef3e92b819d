"""Reductions over random dims, with ties (where max/min split or pick) and NaN."""
import random

import torch


def rand_shape(rng):
    return [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]


def rand_dims(rng, ndim):
    """None (all dims), one dim (maybe negative) or a list of distinct dims."""
    r = rng.random()
    if r < 0.25:
        return None
    if r < 0.65:
        d = rng.randint(0, ndim - 1)
        return d - ndim if rng.random() < 0.3 else d
    return sorted(rng.sample(range(ndim), rng.randint(1, ndim)))


def ties(shape):
    """Small integers, so maxima and minima repeat."""
    return torch.randint(-2, 3, shape).double()


def all_dims(x, dim):
    """dynconv's dim null: every dim (which keepdim then keeps as 1s)."""
    return list(range(x.ndim)) if dim is None else dim


REDUCTIONS = {
    'sum': lambda i, k: torch.sum(i['x'], all_dims(i['x'], k['dim']), keepdim=k['keepdim']),
    'mean': lambda i, k: torch.mean(i['x'], all_dims(i['x'], k['dim']), keepdim=k['keepdim']),
    'amax': lambda i, k: torch.amax(i['x'], k['dim'] if k['dim'] is not None else [], keepdim=k['keepdim']),
    'amin': lambda i, k: torch.amin(i['x'], k['dim'] if k['dim'] is not None else [], keepdim=k['keepdim']),
    'logsumexp': lambda i, k: torch.logsumexp(i['x'], k['dim'], keepdim=k['keepdim']),
}


def generate(w, runs):
    rng = random.Random(5)
    torch.manual_seed(5)
    for _ in range(2 * runs):
        for name, fn in REDUCTIONS.items():
            s = rand_shape(rng)
            dim = rand_dims(rng, len(s))
            if name == 'logsumexp' and dim is None:
                dim = list(range(len(s)))
            x = ties(s) if name in ('amax', 'amin') else torch.randn(s)
            w.op('reduce', name, fn, {'x': x}, {'dim': dim, 'keepdim': rng.random() < 0.5}, second=name == 'logsumexp')
        for name in ('var', 'std'):
            s = rand_shape(rng)
            dim = rand_dims(rng, len(s))
            kw = {'dim': dim, 'keepdim': rng.random() < 0.5}
            if rng.random() < 0.5:
                kw['correction'] = rng.choice([0, 1, 2])
            else:
                kw['unbiased'] = rng.random() < 0.5
            fn = getattr(torch, name)
            def f(i, k, fn=fn):
                if 'correction' in k:
                    return fn(i['x'], k['dim'], correction=k['correction'], keepdim=k['keepdim'])
                return fn(i['x'], k['dim'], unbiased=k['unbiased'], keepdim=k['keepdim'])
            x = torch.randn(s) + 3
            # Keep the divisor (n - correction) positive: PyTorch gives inf/nan otherwise.
            n = x.numel() if dim is None else int(torch.tensor([s[d] for d in ([dim] if isinstance(dim, int) else dim)]).prod())
            if n - kw.get('correction', 1 if kw.get('unbiased', True) else 0) <= 0:
                x = torch.randn(s + [3]) + 3
                kw['dim'] = -1
            w.op('reduce', name, f, {'x': x}, kw, second=True)
        for name in ('max', 'min'):
            s = rand_shape(rng)
            d = rng.randint(-len(s), len(s) - 1)
            kd = rng.random() < 0.5
            fn = getattr(torch, name)
            # With ties PyTorch's CPU kernel returns the first index, and the gradient goes there.
            w.op('reduce', name + 'Dim', lambda i, k, fn=fn: tuple(fn(i['x'], k['dim'], keepdim=k['keepdim'])), {'x': ties(s)}, {'dim': d, 'keepdim': kd})
            w.op('reduce', name + 'All', lambda i, k, fn=fn: fn(i['x']), {'x': ties(s)})
            w.op('reduce', 'arg' + name, lambda i, k, fn=getattr(torch, 'arg' + name): fn(i['x'], k['dim'], keepdim=k['keepdim']), {'x': ties(s)}, {'dim': d, 'keepdim': kd})
    # NaN: sums and means are NaN; amax/amin and max/min propagate it (the index is the NaN's).
    x = torch.tensor([[1.0, float('nan'), 3.0], [2.0, 0.5, -1.0]])
    for name in ('sum', 'mean', 'amax', 'amin'):
        w.op('reduce', name, REDUCTIONS[name], {'x': x}, {'dim': 1, 'keepdim': False})
    for name in ('max', 'min'):
        w.op('reduce', name + 'Dim', lambda i, k, fn=getattr(torch, name): tuple(fn(i['x'], k['dim'], keepdim=k['keepdim'])), {'x': x}, {'dim': 1, 'keepdim': False})
        w.op('reduce', 'arg' + name, lambda i, k, fn=getattr(torch, 'arg' + name): fn(i['x'], k['dim'], keepdim=k['keepdim']), {'x': x}, {'dim': 1, 'keepdim': True})
    # Softmax and logsumexp with large values (stability).
    big = torch.randn([3, 4]) * 300
    w.op('reduce', 'logsumexp', REDUCTIONS['logsumexp'], {'x': big}, {'dim': 1, 'keepdim': False}, second=True)
