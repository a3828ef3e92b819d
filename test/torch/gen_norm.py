"""batchNorm (functional and the BatchNorm2d layer over several batches), layerNorm, groupNorm."""
import random

import torch
import torch.nn.functional as F


def batch_norm(i, k):
    rm = i['runningMean'].clone() if i['runningMean'] is not None else None
    rv = i['runningVar'].clone() if i['runningVar'] is not None else None
    y = F.batch_norm(i['x'], rm, rv, i['weight'], i['bias'], k['training'], k['momentum'], k['eps'])
    return [y] + [t for t in (rm, rv) if t is not None]


def batch_norm_layer(i, k):
    """Three train-mode batches, then eval on the first: outputs, then the layer's buffers."""
    c = i['x0'].shape[1]
    m = torch.nn.BatchNorm2d(c, eps=k['eps'], momentum=k['momentum'], affine=k['affine'], track_running_stats=k['trackRunningStats'])
    if k['affine']:
        with torch.no_grad():
            m.weight.copy_(i['weight'])
            m.bias.copy_(i['bias'])
    ys = [m(i[f'x{j}']) for j in range(3)]
    m.eval()
    ys.append(m(i['x0']))
    if k['trackRunningStats']:
        ys += [m.running_mean.detach().clone(), m.running_var.detach().clone(), m.num_batches_tracked.clone()]
    return ys


def generate(w, runs):
    rng = random.Random(11)
    torch.manual_seed(11)
    generate_instance_norm(w, rng, runs)
    for _ in range(2 * runs):
        c = rng.randint(1, 4)
        s = [rng.randint(1, 3), c] + [rng.randint(1, 3) for _ in range(rng.randint(0, 2))]
        training = rng.random() < 0.6
        if training and s[0] * int(torch.tensor(s[2:]).prod()) <= 1:
            s[0] = 2
        track = not training or rng.random() < 0.7
        affine = rng.random() < 0.7
        inputs = {
            'x': torch.randn(s) * 2 + 1,
            'runningMean': torch.randn([c]) if track else None,
            'runningVar': torch.rand([c]) + 0.5 if track else None,
            'weight': torch.randn([c]) if affine else None,
            'bias': torch.randn([c]) if affine else None,
        }
        kw = {'training': training, 'momentum': rng.choice([0.1, 0.5, 1.0, 0.0]), 'eps': rng.choice([1e-5, 1e-3])}
        w.op('norm', 'batchNorm', batch_norm, inputs, kw, diff=['x', 'weight', 'bias'], second=training)
    for _ in range(runs):
        c = rng.randint(1, 3)
        s = [rng.randint(2, 3), c, rng.randint(1, 3), rng.randint(1, 3)]
        kw = {'momentum': rng.choice([None, 0.1, 0.3]), 'eps': 1e-5, 'affine': rng.random() < 0.7, 'trackRunningStats': rng.random() < 0.8}
        inputs = {f'x{j}': torch.randn(s) * (j + 1) + j for j in range(3)}
        inputs.update({'weight': torch.randn([c]), 'bias': torch.randn([c])})
        w.op('norm', 'BatchNorm2d', batch_norm_layer, inputs, kw, diff=['x0', 'x1', 'x2'])
    for _ in range(2 * runs):
        s = [rng.randint(1, 3) for _ in range(rng.randint(1, 4))]
        nd = rng.randint(1, len(s))
        shape = s[len(s) - nd:]
        if int(torch.tensor(shape).prod()) == 1:
            s[-1] = 3
            shape = s[len(s) - nd:]
        affine = rng.random() < 0.7
        inputs = {'x': torch.randn(s) * 3, 'weight': torch.randn(shape) if affine else None, 'bias': torch.randn(shape) if affine and rng.random() < 0.8 else None}
        kw = {'normalizedShape': shape, 'eps': rng.choice([1e-5, 1e-2])}
        w.op('norm', 'layerNorm', lambda i, k: F.layer_norm(i['x'], k['normalizedShape'], i['weight'], i['bias'], k['eps']), inputs, kw, second=True)
    for _ in range(2 * runs):
        groups = rng.randint(1, 3)
        c = groups * rng.randint(1, 2)
        s = [rng.randint(1, 2), c] + [rng.randint(1, 3) for _ in range(rng.randint(0, 2))]
        if s[0] * (c // groups) * int(torch.tensor(s[2:]).prod()) == 1:
            s[0] = 2
        affine = rng.random() < 0.7
        inputs = {'x': torch.randn(s), 'weight': torch.randn([c]) if affine else None, 'bias': torch.randn([c]) if affine else None}
        kw = {'numGroups': groups, 'eps': 1e-5}
        w.op('norm', 'groupNorm', lambda i, k: F.group_norm(i['x'], k['numGroups'], i['weight'], i['bias'], k['eps']), inputs, kw, second=True)


def instance_norm(i, k):
    rm = i['runningMean'].clone() if i['runningMean'] is not None else None
    rv = i['runningVar'].clone() if i['runningVar'] is not None else None
    y = F.instance_norm(i['x'], rm, rv, i['weight'], i['bias'], k['useInputStats'], k['momentum'], k['eps'])
    return [y] + [t for t in (rm, rv) if t is not None]


def generate_instance_norm(w, rng, runs):
    for _ in range(2 * runs):
        c = rng.randint(1, 3)
        s = [rng.randint(1, 3), c] + [rng.randint(2, 3) for _ in range(rng.randint(1, 2))]
        use_input = rng.random() < 0.7
        track = not use_input or rng.random() < 0.5
        affine = rng.random() < 0.6
        inputs = {'x': torch.randn(s) * 2 + 1, 'runningMean': torch.randn([c]) if track else None, 'runningVar': torch.rand([c]) + 0.5 if track else None,
                  'weight': torch.randn([c]) if affine else None, 'bias': torch.randn([c]) if affine else None}
        kw = {'useInputStats': use_input, 'momentum': rng.choice([0.1, 0.5]), 'eps': 1e-5}
        w.op('norm', 'instanceNorm', instance_norm, inputs, kw, diff=['x', 'weight', 'bias'], second=use_input)
