#!/usr/bin/env python3
"""PyTorch's half of test/torch/weights.test.ts: dynconv weights into python/dynconv_torch and back.

    /usr/bin/python3 test/torch/torch_weights.py MANIFEST.json DIR

For every case of the manifest (written by the test, files in DIR):
  - builds the PyTorch model (Dy-CNN from its dynconv config, or a Dy- model by dynconv name and
    options), records its state-dict keys and shapes in order, loads dynconv's safetensors file
    with load_state_dict(strict=True), and writes its eval logits on dynconv's input (kernel
    fusion, and output fusion where asked) to <name>.torch.safetensors;
  - with `train`: builds a fresh model from torch.manual_seed, trains it a few SGD steps on
    random data (train mode, BatchNorm statistics updated), and writes its state dict
    (<name>.trained.safetensors) and its eval logits on a new input (<name>.trained-io.safetensors)
    for dynconv to load and reproduce;
  - family 'checkpoint': load_dynconv_checkpoint on a tools/train.ts checkpoint, eval logits.
Writes DIR/results.json.
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'python'))

from dynconv_torch import DyCnn, DynamicConv2d, build, load_dynconv_checkpoint  # noqa: E402
from dynconv_torch.safetensors_io import load_file, save_file, save_state_dict  # noqa: E402

DTYPES = {'float32': torch.float32, 'float64': torch.float64}


def keys_of(model):
    return [[k, list(v.shape)] for k, v in model.state_dict().items()]


def make(case, fusion=None):
    if case['family'] == 'dycnn':
        model = DyCnn(case['config'], fusion=fusion)
    else:
        model = build(case['model'], **case['options'], fusion=fusion)
    return model.to(DTYPES[case['dtype']])


def logits(model, x, fusion):
    if hasattr(model, 'set_fusion'):
        model.set_fusion(fusion)
    else:
        for m in model.modules():
            if isinstance(m, DynamicConv2d):
                m.fusion = fusion
    with torch.no_grad():
        return model(x)


def run_case(case, out):
    d = out
    name = case['name']
    result = {'name': name}
    t0 = time.perf_counter()
    if case['family'] == 'checkpoint':
        model, settings = load_dynconv_checkpoint(os.path.join(d, case['checkpoint']))
        io, _ = load_file(os.path.join(d, case['io']))
        y = logits(model, io['x'], None)
        save_file({'y': y}, os.path.join(d, f'{name}.torch.safetensors'))
        result.update(keys=keys_of(model), config=settings['config'].to_dict(), args=settings['args'], epoch=settings['epoch'], step=settings['step'],
                      history=settings['history'], normalization=settings['normalization'], training=model.training)
        result['seconds'] = time.perf_counter() - t0
        return result

    # (a) dynconv -> PyTorch
    model = make(case)
    result['keys'] = keys_of(model)
    state, _ = load_file(os.path.join(d, case['state']))
    model.load_state_dict(state, strict=True)
    model.eval()
    io, _ = load_file(os.path.join(d, case['io']))
    ys = {'kernel': logits(model, io['x'], 'kernel')}
    if case.get('outputFusion'):
        ys['output'] = logits(model, io['x'], 'output')
    save_file(ys, os.path.join(d, f'{name}.torch.safetensors'))

    # (b) PyTorch -> dynconv
    train = case.get('train')
    if train:
        torch.manual_seed(train['seed'])
        model = make(case).train()
        opt = torch.optim.SGD(model.parameters(), lr=train['lr'], momentum=0.9)
        dtype = DTYPES[case['dtype']]
        losses = []
        for _ in range(train['steps']):
            x = torch.randn(train['inputShape'], dtype=dtype)
            target = torch.randint(0, train['classes'], (train['inputShape'][0],))
            loss = F.cross_entropy(model(x), target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        model.eval()
        x = torch.randn([2] + train['inputShape'][1:], dtype=dtype)
        save_state_dict(model, os.path.join(d, f'{name}.trained.safetensors'))
        save_file({'x': x, 'y': logits(model, x, None)}, os.path.join(d, f'{name}.trained-io.safetensors'))
        result['losses'] = losses
    result['seconds'] = time.perf_counter() - t0
    return result


def main():
    manifest, out = sys.argv[1], sys.argv[2]
    torch.set_num_threads(int(os.environ.get('DYNCONV_TORCH_THREADS', '1')))
    with open(manifest) as f:
        cases = json.load(f)
    results = [run_case(c, out) for c in cases]
    with open(os.path.join(out, 'results.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'results': results}, f)


if __name__ == '__main__':
    main()
