"""The five torchvision backbones: torchvision's own initialisation, BatchNorm statistics from a
few train-mode batches, exported to safetensors (by python/dynconv_torch/safetensors_io.py:
torch 1.13 has no writer), and what dynconv must reproduce from that file: eval logits (float64
and float32), train-mode logits, the BatchNorm buffers that train-mode forward leaves, and every
parameter's gradient.
"""
import copy
import os
import sys
from collections import OrderedDict

import torch
import torchvision

# The safetensors writer shipped with the repository (python/dynconv_torch/safetensors_io.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'python'))
from dynconv_torch.safetensors_io import save_file  # noqa: E402

SIZE = 64  # a small input keeps CI cheap; every stage still sees at least 2x2 pixels
BATCH = 2
CLASSES = 10

# torchvision name -> (dynconv builder name, constructor options of both)
MODELS = {
    'resnet18': ('resnet18', {}),
    'resnet50': ('resnet50', {}),
    'mobilenet_v2': ('mobilenetV2', {'dropout': 0.0}),
    'mobilenet_v3_small': ('mobilenetV3Small', {'dropout': 0.0}),
    'shufflenet_v2_x1_0': ('shufflenetV2', {}),
}


def write_safetensors(path, named):
    """The state dict in its own order (models.test.ts checks dynconv's key order against it)."""
    save_file(OrderedDict(named), path, order='given')


def exact_hardsigmoid(model):
    """Swaps PyTorch's Hardsigmoid for relu6(x + 3) / 6: the same values, but a gradient of exactly
    1/6 where PyTorch's float64 backward uses the float32 constant (off by 3e-8 relative, which
    MobileNetV3's squeeze-excitation gates carry into every gradient before them). Returns the
    deviation's name (docs/pytorch-parity.md) when something was swapped."""
    swapped = False
    for module in model.modules():
        if isinstance(module, torch.nn.Hardsigmoid):
            module.forward = lambda x: torch.nn.functional.relu6(x + 3) / 6
            swapped = True
    return 'hardsigmoid-float32-constant' if swapped else None


def generate(w, runs):
    for seed, (tv_name, (name, opts)) in enumerate(MODELS.items()):
        torch.manual_seed(seed)
        model = getattr(torchvision.models, tv_name)(num_classes=CLASSES, **opts).double()
        model.train()
        with torch.no_grad():
            for _ in range(3):
                model(torch.randn([BATCH, 3, SIZE, SIZE]))
        state = model.state_dict()
        write_safetensors(w.path(f'{name}.state.safetensors'), list(state.items()))

        x_eval = torch.randn([BATCH, 3, SIZE, SIZE])
        model.eval()
        with torch.no_grad():
            y_eval = model(x_eval)
            y_eval32 = copy.deepcopy(model).float()(x_eval.float())

        model.train()
        deviation = exact_hardsigmoid(model)
        x_train = torch.randn([BATCH, 3, SIZE, SIZE])
        y_train = model(x_train)
        grad_out = torch.randn_like(y_train)
        (y_train * grad_out).sum().backward()
        after = [(k, v) for k, v in model.state_dict().items() if k.endswith(('running_mean', 'running_var', 'num_batches_tracked'))]
        grads = [(f'grad.{k}', p.grad) for k, p in model.named_parameters()]
        write_safetensors(w.path(f'{name}.after.safetensors'), after + grads)

        w.add({'kind': 'model', 'family': 'model', 'op': name, 'torchvision': tv_name, 'options': dict(opts, numClasses=CLASSES),
               'keys': [[k, list(v.shape)] for k, v in state.items()],
               'state': f'{name}.state.safetensors', 'after': f'{name}.after.safetensors',
               'xEval': x_eval, 'yEval': y_eval, 'yEval32': y_eval32, 'xTrain': x_train, 'gradOut': grad_out, 'yTrain': y_train.detach(),
               'deviations': [deviation] if deviation else []})
