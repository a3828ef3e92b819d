"""The layer classes and loss modules: PyTorch's module with random parameters, its state dict
(inputs named state.<key>, in PyTorch's order), and its output and input gradient."""
import random

import torch
import torch.nn as nn


def state_of(module):
    return {f'state.{k}': v.detach().clone() for k, v in module.state_dict().items()}


def layer(w, name, build, kwargs, inputs, train=False, second=False):
    """Builds the module twice (once to draw its state, once inside the case from that state)."""
    torch.manual_seed(len(w.cases))
    module = build(kwargs, inputs)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p))
    state = state_of(module)

    def run(i, k):
        m = build(k, i)
        m.load_state_dict({key[6:]: v for key, v in i.items() if key.startswith('state.')})
        m.train(train)
        args = [i[n] for n in ('x', 'target') if n in i]
        y = m(*args)
        if train and hasattr(m, 'running_mean') and m.running_mean is not None:
            return [y, m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone()]
        return y

    case = w.op('layer', name, run, dict(inputs, **state), kwargs, diff=['x'], second=second)
    case['stateKeys'] = list(state)
    case['train'] = train


# Losses with class weights are built in generate(), holding the weights they were drawn with.
BUILD = {
    'GroupNorm': lambda k, i: nn.GroupNorm(k['numGroups'], k['numChannels'], eps=k['eps'], affine=k['affine']),
    'BatchNorm1d': lambda k, i: nn.BatchNorm1d(k['numFeatures'], momentum=k['momentum'], affine=k['affine']),
    'ConvTranspose2d': lambda k, i: nn.ConvTranspose2d(k['inChannels'], k['outChannels'], k['kernelSize'], stride=k['stride'], padding=k['padding'],
                                                       output_padding=k['outputPadding'], groups=k['groups'], bias=k['bias'], dilation=k['dilation']),
    'AdaptiveMaxPool2d': lambda k, i: nn.AdaptiveMaxPool2d(k['outputSize']),
    'GELU': lambda k, i: nn.GELU(approximate=k['approximate']),
    'ELU': lambda k, i: nn.ELU(k['alpha']),
    'LeakyReLU': lambda k, i: nn.LeakyReLU(k['negativeSlope']),
    'Softplus': lambda k, i: nn.Softplus(k['beta'], k['threshold']),
    'Tanh': lambda k, i: nn.Tanh(),
    'Softmax': lambda k, i: nn.Softmax(k['dim']),
    'LogSoftmax': lambda k, i: nn.LogSoftmax(k['dim']),
    'Upsample': lambda k, i: nn.Upsample(size=k.get('size'), scale_factor=k.get('scaleFactor'), mode=k['mode'], align_corners=k.get('alignCorners')),
    'MSELoss': lambda k, i: nn.MSELoss(reduction=k['reduction']),
    'L1Loss': lambda k, i: nn.L1Loss(reduction=k['reduction']),
    'SmoothL1Loss': lambda k, i: nn.SmoothL1Loss(reduction=k['reduction'], beta=k['beta']),
}


def generate(w, runs):
    rng = random.Random(23)
    torch.manual_seed(23)
    for _ in range(runs):
        g = rng.randint(1, 3)
        c = g * rng.randint(1, 2)
        layer(w, 'GroupNorm', BUILD['GroupNorm'], {'numGroups': g, 'numChannels': c, 'eps': 1e-5, 'affine': rng.random() < 0.7},
              {'x': torch.randn([2, c, 3, 2])}, second=True)
        c = rng.randint(1, 3)
        layer(w, 'BatchNorm1d', BUILD['BatchNorm1d'], {'numFeatures': c, 'momentum': rng.choice([0.1, None]), 'affine': rng.random() < 0.7},
              {'x': torch.randn([3, c] + ([rng.randint(1, 3)] if rng.random() < 0.5 else []))}, train=rng.random() < 0.7)
        groups = rng.choice([1, 2])
        kw = {'inChannels': 2 * groups, 'outChannels': groups * rng.randint(1, 2), 'kernelSize': [rng.randint(1, 3), rng.randint(1, 3)],
              'stride': [rng.randint(1, 2), rng.randint(1, 2)], 'padding': 0, 'outputPadding': 0, 'groups': groups, 'bias': rng.random() < 0.6, 'dilation': 1}
        kw['outputPadding'] = [rng.randint(0, kw['stride'][0] - 1), rng.randint(0, kw['stride'][1] - 1)]
        layer(w, 'ConvTranspose2d', BUILD['ConvTranspose2d'], kw, {'x': torch.randn([1, 2 * groups, 3, 3])}, second=True)
        layer(w, 'AdaptiveMaxPool2d', BUILD['AdaptiveMaxPool2d'], {'outputSize': [rng.randint(1, 3), rng.randint(1, 4)]}, {'x': torch.randn([1, 2, 5, 4])})
        for name, kw in [('GELU', {'approximate': rng.choice(['none', 'tanh'])}), ('ELU', {'alpha': rng.choice([1.0, 0.3])}),
                         ('LeakyReLU', {'negativeSlope': rng.choice([0.01, 0.2])}), ('Softplus', {'beta': 2.0, 'threshold': rng.choice([20.0, 1.0])}),
                         ('Tanh', {}), ('Softmax', {'dim': rng.choice([1, -1])}), ('LogSoftmax', {'dim': rng.choice([0, -1])})]:
            # Piecewise-linear LeakyReLU has no second derivative to compare.
            layer(w, name, BUILD[name], kw, {'x': torch.randn([2, 3, 2]) * 2}, second=name != 'LeakyReLU')
        up = {'mode': rng.choice(['nearest', 'bilinear'])}
        up.update({'size': [rng.randint(2, 6), rng.randint(2, 6)]} if rng.random() < 0.5 else {'scaleFactor': rng.choice([2.0, 1.5])})
        if up['mode'] == 'bilinear':
            up['alignCorners'] = rng.random() < 0.5
        layer(w, 'Upsample', BUILD['Upsample'], up, {'x': torch.randn([1, 2, 3, 3])})
        red = rng.choice(['mean', 'sum', 'none'])
        x, t = torch.randn([3, 4]), torch.randn([3, 4])
        layer(w, 'MSELoss', BUILD['MSELoss'], {'reduction': red}, {'x': x, 'target': t}, second=True)
        layer(w, 'L1Loss', BUILD['L1Loss'], {'reduction': red}, {'x': x, 'target': t})
        layer(w, 'SmoothL1Loss', BUILD['SmoothL1Loss'], {'reduction': red, 'beta': rng.choice([1.0, 0.5])}, {'x': x, 'target': t})
        inputs = {'x': x, 'target': torch.rand([3, 4])}
        weights = {'state.weight': torch.rand([4]) + 0.5} if rng.random() < 0.5 else {}
        if rng.random() < 0.5:
            weights['state.pos_weight'] = torch.rand([4]) * 2
        bce = lambda k, i, ws=dict(weights): nn.BCEWithLogitsLoss(weight=ws.get('state.weight'), reduction=k['reduction'], pos_weight=ws.get('state.pos_weight'))
        layer(w, 'BCEWithLogitsLoss', bce, {'reduction': red}, inputs, second=True)
        target = torch.randint(0, 4, [3])
        weight = torch.rand([4]) + 0.5 if rng.random() < 0.5 else None
        ignore = rng.choice([-100, 1])
        nll = lambda k, i, wt=weight: nn.NLLLoss(weight=wt, ignore_index=k['ignoreIndex'], reduction=k['reduction'])
        layer(w, 'NLLLoss', nll, {'reduction': red, 'ignoreIndex': ignore}, {'x': torch.log_softmax(x, 1), 'target': target})
        ce = lambda k, i, wt=weight: nn.CrossEntropyLoss(weight=wt, ignore_index=k['ignoreIndex'], reduction=k['reduction'], label_smoothing=k['labelSmoothing'])
        layer(w, 'CrossEntropyLoss', ce, {'reduction': red, 'ignoreIndex': ignore, 'labelSmoothing': rng.choice([0.0, 0.2])}, {'x': x, 'target': target}, second=True)
