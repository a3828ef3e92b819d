"""Optimizer trajectories (10 steps, every option, two parameter groups), scheduler sequences
(30 steps), gradient clipping. Options are written under dynconv's names."""
import random

import torch

STEPS = 10
EPOCHS = 30


def loss_of(params, coeffs):
    """The objective both sides minimise: sum(a p^2) + sum(b sin p) per parameter."""
    return sum((a * p * p).sum() + (b * torch.sin(p)).sum() for p, (a, b) in zip(params, coeffs))


def torch_optimizer(name, groups, o):
    common = {'lr': o['lr'], 'weight_decay': o['weightDecay'], 'maximize': o['maximize']}
    if name == 'SGD':
        return torch.optim.SGD(groups, momentum=o['momentum'], dampening=o['dampening'], nesterov=o['nesterov'], **common)
    if name in ('Adam', 'AdamW'):
        cls = torch.optim.Adam if name == 'Adam' else torch.optim.AdamW
        return cls(groups, betas=tuple(o['betas']), eps=o['eps'], amsgrad=o['amsgrad'], **common)
    return torch.optim.RMSprop(groups, alpha=o['alpha'], eps=o['eps'], momentum=o['momentum'], centered=o['centered'], **common)


def options(rng, name):
    o = {'lr': rng.choice([0.1, 0.01, 0.3]), 'weightDecay': rng.choice([0.0, 0.0, 0.1]), 'maximize': rng.random() < 0.2}
    if name == 'SGD':
        o['momentum'] = rng.choice([0.0, 0.9, 0.5])
        o['nesterov'] = o['momentum'] > 0 and rng.random() < 0.5
        o['dampening'] = 0.0 if o['nesterov'] else rng.choice([0.0, 0.3])
    elif name in ('Adam', 'AdamW'):
        o['betas'] = rng.choice([[0.9, 0.999], [0.5, 0.9]])
        o['eps'] = rng.choice([1e-8, 1e-3])
        o['amsgrad'] = rng.random() < 0.5
        if name == 'AdamW':
            o['weightDecay'] = rng.choice([0.01, 0.1, 0.0])
    else:
        o['alpha'] = rng.choice([0.99, 0.9])
        o['eps'] = rng.choice([1e-8, 1e-3])
        o['momentum'] = rng.choice([0.0, 0.5])
        o['centered'] = rng.random() < 0.5
    return o


def optimizer_case(w, rng, name):
    o = options(rng, name)
    shapes = [[rng.randint(1, 3), rng.randint(1, 3)], [rng.randint(1, 4)]]
    params = [torch.randn(s) for s in shapes]
    coeffs = [(torch.rand(s) + 0.2, torch.randn(s)) for s in shapes]
    # The second group overrides the learning rate.
    group_lr = o['lr'] * 0.5
    leaves = [p.clone().requires_grad_() for p in params]
    opt = torch_optimizer(name, [{'params': [leaves[0]]}, {'params': [leaves[1]], 'lr': group_lr}], o)
    trajectory = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_of(leaves, coeffs).backward()
        opt.step()
        trajectory.append([p.detach().clone() for p in leaves])
    w.add({'kind': 'optimizer', 'family': 'optim', 'op': name, 'options': o, 'groupLr': group_lr, 'params': params,
           'coeffs': [list(c) for c in coeffs], 'trajectory': trajectory})


# LambdaLR's functions, by the name both sides know them by (test/torch/optim.test.ts).
LAMBDAS = {
    'pow': lambda e: 0.95 ** e,
    'inverse': lambda e: 1 / (e + 1),
    'warmup': lambda e: min(1.0, (e + 1) / 5),
}


def scheduler_specs(rng):
    """(dynconv name, options, function building the torch scheduler from an optimizer)."""
    step, gamma = rng.randint(1, 7), rng.choice([0.5, 0.1, 0.9])
    milestones = sorted(rng.sample(range(1, 25), rng.randint(1, 4)))
    t_max, eta_min = rng.randint(3, 20), rng.choice([0.0, 0.01])
    start, end, total = rng.choice([1 / 3, 0.1, 1.0]), rng.choice([1.0, 0.5]), rng.randint(1, 10)
    switch = rng.randint(1, 20)
    power = rng.choice([1.0, 2.0, 0.5])
    fn_name = rng.choice(sorted(LAMBDAS))
    t0, t_mult = rng.randint(1, 6), rng.randint(1, 3)
    max_lr, extra, pct, anneal = rng.choice([1.0, 0.1]), rng.randint(0, 10), rng.choice([0.3, 0.5, 0.25]), rng.choice(['cos', 'linear'])
    three, div = rng.random() < 0.4, rng.choice([25.0, 10.0])
    return [
        ('StepLR', {'stepSize': step, 'gamma': gamma}, lambda o: torch.optim.lr_scheduler.StepLR(o, step, gamma)),
        ('MultiStepLR', {'milestones': milestones, 'gamma': gamma}, lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones, gamma)),
        ('CosineAnnealingLR', {'tMax': t_max, 'etaMin': eta_min}, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, t_max, eta_min)),
        ('LinearLR', {'startFactor': start, 'endFactor': end, 'totalIters': total},
         lambda o: torch.optim.lr_scheduler.LinearLR(o, start, end, total)),
        ('ExponentialLR', {'gamma': gamma}, lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma)),
        ('ConstantLR', {'factor': start, 'totalIters': total}, lambda o: torch.optim.lr_scheduler.ConstantLR(o, start, total)),
        ('PolynomialLR', {'totalIters': total + 5, 'power': power}, lambda o: torch.optim.lr_scheduler.PolynomialLR(o, total + 5, power)),
        ('LambdaLR', {'lambda': fn_name}, lambda o: torch.optim.lr_scheduler.LambdaLR(o, LAMBDAS[fn_name])),
        ('CosineAnnealingWarmRestarts', {'t0': t0, 'tMult': t_mult, 'etaMin': eta_min},
         lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, t0, t_mult, eta_min)),
        ('OneCycleLR', {'maxLr': max_lr, 'totalSteps': EPOCHS + extra, 'pctStart': pct, 'annealStrategy': anneal, 'threePhase': three, 'divFactor': div},
         lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr, EPOCHS + extra, pct_start=pct, anneal_strategy=anneal, three_phase=three, div_factor=div)),
        ('SequentialLR', {'warmup': {'startFactor': start, 'totalIters': total}, 'cosine': {'tMax': t_max, 'etaMin': eta_min}, 'milestones': [switch]},
         lambda o: torch.optim.lr_scheduler.SequentialLR(o, [torch.optim.lr_scheduler.LinearLR(o, start, 1.0, total),
                                                             torch.optim.lr_scheduler.CosineAnnealingLR(o, t_max, eta_min)], [switch])),
    ]


def plateau_case(w, rng):
    """ReduceLROnPlateau over 30 epochs of a noisy metric that stalls."""
    o = {'mode': rng.choice(['min', 'max']), 'factor': rng.choice([0.1, 0.5]), 'patience': rng.randint(0, 4), 'threshold': rng.choice([1e-4, 0.05]),
         'thresholdMode': rng.choice(['rel', 'abs']), 'cooldown': rng.randint(0, 3), 'minLr': rng.choice([0.0, 0.01])}
    metrics = [round(1.0 / (1 + e) + rng.random() * 0.2, 6) if e < 10 else round(0.1 + rng.random() * 0.2, 6) for e in range(EPOCHS)]
    if o['mode'] == 'max':
        metrics = [-m for m in metrics]
    p = torch.zeros([1], requires_grad=True)
    opt = torch.optim.SGD([{'params': [p]}, {'params': [torch.zeros([1], requires_grad=True)], 'lr': 0.3}], lr=1.0)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, o['mode'], o['factor'], o['patience'], o['threshold'], o['thresholdMode'], o['cooldown'], o['minLr'])
    lrs = []
    for m in metrics:
        opt.step()
        sched.step(m)
        lrs.append([g['lr'] for g in opt.param_groups])
    w.add({'kind': 'plateau', 'family': 'scheduler', 'op': 'ReduceLROnPlateau', 'options': o, 'metrics': metrics, 'lrs': lrs})


def generate(w, runs):
    rng = random.Random(19)
    torch.manual_seed(19)
    for _ in range(runs):
        for name in ('SGD', 'Adam', 'AdamW', 'RMSprop'):
            optimizer_case(w, rng, name)
        for name, o, make in scheduler_specs(rng):
            base = rng.choice([0.1, 1.0, 0.05])
            p = torch.zeros([1], requires_grad=True)
            # OneCycleLR also drives the momentum, or Adam's beta1.
            optimizer = rng.choice(['SGD', 'Adam']) if name == 'OneCycleLR' else 'SGD'
            opt = torch.optim.SGD([p], lr=base) if optimizer == 'SGD' else torch.optim.Adam([p], lr=base)
            sched = make(opt)
            momentum = (lambda: opt.param_groups[0]['momentum']) if optimizer == 'SGD' else (lambda: opt.param_groups[0]['betas'][0])
            lrs, momenta = [sched.get_last_lr()[0]], [momentum()]
            for _ in range(EPOCHS):
                opt.step()
                sched.step()
                lrs.append(sched.get_last_lr()[0])
                momenta.append(momentum())
            w.add({'kind': 'scheduler', 'family': 'scheduler', 'op': name, 'options': o, 'baseLr': base, 'lrs': lrs,
                   'optimizer': optimizer, 'momenta': momenta})
        plateau_case(w, rng)
        for name in ('clipGradNorm', 'clipGradValue'):
            grads = [torch.randn([rng.randint(1, 3), 2]) * 3, torch.randn([rng.randint(1, 4)])]
            leaves = [torch.zeros_like(g, requires_grad=True) for g in grads]
            for p, g in zip(leaves, grads):
                p.grad = g.clone()
            if name == 'clipGradNorm':
                o = {'maxNorm': rng.choice([0.5, 1.0, 100.0]), 'normType': rng.choice([2.0, 1.0, 3.0, 'inf'])}
                total = torch.nn.utils.clip_grad_norm_(leaves, o['maxNorm'], float(o['normType']))
                result = [total.detach().clone()]
            else:
                o = {'clipValue': rng.choice([0.1, 1.0, 2.5])}
                torch.nn.utils.clip_grad_value_(leaves, o['clipValue'])
                result = []
            w.add({'kind': 'clip', 'family': 'clip', 'op': name, 'options': o, 'grads': grads,
                   'clipped': [p.grad.clone() for p in leaves], 'result': result})
