"""How a case is run in PyTorch and written down: the one format every gen_*.py shares.

An op case is a function of named inputs and options. It records the inputs, the options (under
dynconv's names), the outputs, and, for the inputs listed as differentiable, the gradients for a
random gradient of each differentiable output. A second-order case also records, for random
vectors v, the gradient of sum(grad_i * v_i) with respect to the same inputs (what
`torch.autograd.grad(..., create_graph=True)` followed by a second grad gives).
"""
import base64
import json
import os

import torch

DTYPES = {torch.float64: 'float64', torch.float32: 'float32', torch.int64: 'int64', torch.bool: 'bool'}


def enc(t):
    """A tensor as {dtype, shape, b64}: its raw little-endian bytes, so every float survives."""
    if t is None:
        return None
    t = t.detach().contiguous()
    if t.dtype not in DTYPES:
        raise TypeError(f'cannot encode dtype {t.dtype}')
    return {'dtype': DTYPES[t.dtype], 'shape': list(t.shape), 'b64': base64.b64encode(t.numpy().tobytes()).decode('ascii')}


def decode(e):
    """The inverse of enc(), for float64 tensors."""
    return torch.frombuffer(bytearray(base64.b64decode(e['b64'])), dtype=torch.float64).reshape(e['shape'])


def encode_tree(v):
    """enc() applied to every tensor inside nested dicts and lists."""
    if isinstance(v, torch.Tensor):
        return enc(v)
    if isinstance(v, dict):
        return {k: encode_tree(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [encode_tree(x) for x in v]
    return v


def _leaf(t, grad):
    return t.detach().clone().requires_grad_(grad) if isinstance(t, torch.Tensor) else t


class CaseWriter:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.cases = []

    def path(self, name):
        return os.path.join(self.out_dir, name)

    def add(self, case):
        """Records a case as it is, every tensor in it encoded."""
        self.cases.append(encode_tree(case))

    def op(self, family, op, fn, inputs, kwargs=None, diff=None, second=False, deviation=None, expected=None):
        """Runs fn(inputs, kwargs) in PyTorch and records the case (or the error PyTorch raised).

        diff names the inputs to differentiate (default: every floating input). deviation names
        an entry of docs/pytorch-parity.md; expected then holds what dynconv gives instead (a
        dict like the case's own outputs/grads, or {'error': True}).
        """
        kwargs = kwargs or {}
        names = list(diff) if diff is not None else list(inputs)
        diff = [n for n in names if isinstance(inputs.get(n), torch.Tensor) and inputs[n].is_floating_point()]
        leaves = {n: _leaf(t, n in diff) for n, t in inputs.items()}
        case = {'family': family, 'op': op, 'kwargs': kwargs, 'inputs': {n: enc(t) if isinstance(t, torch.Tensor) else t for n, t in inputs.items()}}
        if deviation:
            case['deviation'] = deviation
            case['expected'] = encode_tree(expected)
        try:
            out = fn(leaves, kwargs)
        except (RuntimeError, ValueError, IndexError) as e:
            case['error'] = str(e).split('\n')[0]
            self.cases.append(case)
            return case
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        case['outputs'] = [enc(o) for o in outs]
        wrt = [leaves[n] for n in diff]
        graded = [i for i, o in enumerate(outs) if o.requires_grad]
        if wrt and graded:
            gos = [torch.randn_like(outs[i]) for i in graded]
            gs = torch.autograd.grad([outs[i] for i in graded], wrt, gos, allow_unused=True, create_graph=second)
            case['gradOutputs'] = {str(i): enc(g) for i, g in zip(graded, gos)}
            case['grads'] = {n: enc(g if g is not None else torch.zeros_like(w)) for n, g, w in zip(diff, gs, wrt)}
            if second:
                vs = [torch.randn_like(w) for w in wrt]
                terms = [(g * v).sum() for g, v in zip(gs, vs) if g is not None and g.requires_grad]
                if terms:
                    hs = torch.autograd.grad(sum(terms), wrt, allow_unused=True)
                    case['second'] = {
                        'v': {n: enc(v) for n, v in zip(diff, vs)},
                        'grads': {n: enc(h if h is not None else torch.zeros_like(w)) for n, h, w in zip(diff, hs, wrt)},
                    }
        self.cases.append(case)  # already encoded, and the caller may still add to it
        return case

    def finish(self, version):
        tmp = self.path('cases.json.tmp')
        with open(tmp, 'w') as f:
            json.dump({'torch': version, 'cases': self.cases}, f, allow_nan=False)
        os.replace(tmp, self.path('cases.json'))
