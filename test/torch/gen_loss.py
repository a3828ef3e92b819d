"""Every loss with every option: reductions, beta, weights, posWeight, ignoreIndex, label smoothing."""
import random

import torch
import torch.nn.functional as F

REDUCTIONS = ['mean', 'sum', 'none']


def class_shape(rng):
    """[C], [N, C] or [N, C, d1, ...], and the target's shape (without the class dim)."""
    c = rng.randint(2, 4)
    kind = rng.choice(['1d', '2d', '2d', 'nd'])
    if kind == '1d':
        return [c], [], c
    n = rng.randint(1, 4)
    extra = [rng.randint(1, 3) for _ in range(rng.randint(1, 2))] if kind == 'nd' else []
    return [n, c] + extra, [n] + extra, c


def class_target(rng, tshape, c, ignore):
    t = torch.randint(0, c, tshape)
    if ignore is not None and t.numel() > 1:
        t.view(-1)[rng.randrange(t.numel())] = ignore  # one ignored element, never all
    return t


def generate(w, runs):
    rng = random.Random(17)
    torch.manual_seed(17)
    for _ in range(runs):
        for red in REDUCTIONS:
            s = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
            x, t = torch.randn(s), torch.randn(s)
            w.op('loss', 'mseLoss', lambda i, k: F.mse_loss(i['input'], i['target'], reduction=k['reduction']), {'input': x, 'target': t}, {'reduction': red}, second=True)
            w.op('loss', 'l1Loss', lambda i, k: F.l1_loss(i['input'], i['target'], reduction=k['reduction']), {'input': x, 'target': t}, {'reduction': red})
            beta = rng.choice([1.0, 0.5, 2.0])
            xt = x.clone()
            xt.view(-1)[0] = t.view(-1)[0] + beta  # |d| = beta exactly: the linear branch, as PyTorch
            w.op('loss', 'smoothL1Loss', lambda i, k: F.smooth_l1_loss(i['input'], i['target'], reduction=k['reduction'], beta=k['beta']),
                 {'input': xt, 'target': t}, {'reduction': red, 'beta': beta})
            weight = torch.rand(s[-1:]) + 0.5 if rng.random() < 0.5 else None
            pos = torch.rand(s[-1:]) * 3 if rng.random() < 0.5 else None
            w.op('loss', 'binaryCrossEntropyWithLogits',
                 lambda i, k: F.binary_cross_entropy_with_logits(i['logits'], i['target'], i['weight'], reduction=k['reduction'], pos_weight=i['posWeight']),
                 {'logits': x * 3, 'target': torch.rand(s), 'weight': weight, 'posWeight': pos}, {'reduction': red}, diff=['logits', 'target'], second=True)
            for op in ('nllLoss', 'crossEntropy'):
                xs, tshape, c = class_shape(rng)
                ignore = rng.choice([None, None, 0, 1]) if xs != [c] else None
                weight = torch.rand([c]) + 0.5 if rng.random() < 0.5 else None
                kw = {'reduction': red}
                if ignore is not None:
                    kw['ignoreIndex'] = ignore
                target = class_target(rng, tshape, c, ignore)
                if op == 'nllLoss':
                    w.op('loss', op, lambda i, k: F.nll_loss(i['logProbs'], i['target'], i['weight'], ignore_index=k.get('ignoreIndex', -100), reduction=k['reduction']),
                         {'logProbs': torch.log_softmax(torch.randn(xs), 1 if len(xs) > 1 else 0), 'target': target, 'weight': weight}, kw, diff=['logProbs'])
                    continue
                kw['labelSmoothing'] = rng.choice([0.0, 0.1, 0.5])
                ce = lambda i, k: F.cross_entropy(i['logits'], i['target'], i['weight'], ignore_index=k.get('ignoreIndex', -100),
                                                  reduction=k['reduction'], label_smoothing=k['labelSmoothing'])
                w.op('loss', op, ce, {'logits': torch.randn(xs) * 2, 'target': target, 'weight': weight}, kw, diff=['logits'], second=True)
                # Class probabilities as the target (same shape as the logits).
                probs = torch.softmax(torch.randn(xs), 1 if len(xs) > 1 else 0)
                kw = {'reduction': red, 'labelSmoothing': kw['labelSmoothing']}
                w.op('loss', op + 'Probs', ce, {'logits': torch.randn(xs), 'target': probs, 'weight': weight}, kw, diff=['logits', 'target'], second=True)
    # Every target ignored: 'mean' is 0/0 = NaN in both.
    w.op('loss', 'crossEntropy', lambda i, k: F.cross_entropy(i['logits'], i['target'], ignore_index=k['ignoreIndex']),
         {'logits': torch.randn([2, 3]), 'target': torch.tensor([1, 1]), 'weight': None}, {'reduction': 'mean', 'ignoreIndex': 1, 'labelSmoothing': 0.0}, diff=[])
    # smoothL1 with beta = 0 where input = target: PyTorch's gradient there is -1 (its kernel
    # takes sign(d) from the |d| < beta test failing as d = 0 = beta); dynconv's is the L1
    # loss's 0 (docs/pytorch-parity.md).
    x = torch.tensor([1.0, 2.0, -0.5, 3.0])
    t = torch.tensor([1.0, 3.0, -0.5, 1.0])
    torch.manual_seed(3)
    case = w.op('loss', 'smoothL1Loss', lambda i, k: F.smooth_l1_loss(i['input'], i['target'], reduction=k['reduction'], beta=k['beta']),
                {'input': x, 'target': t}, {'reduction': 'none', 'beta': 0.0}, diff=['input'], deviation='smooth-l1-beta-0-tie',
                expected={'gradFactor': {'input': torch.sign(x - t)}})
    assert case['outputs'] is not None
