"""Second half of bench/torch/dycnn-parity.ts: loads dynconv's Dy-CNN weights into the PyTorch
mirror (bench/torch/dycnn.py) by parameter name and compares the training-mode logits."""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dycnn  # noqa: E402

TOL = 1e-5
ok = True
for key, case in json.load(open(sys.argv[1])).items():
    model = dycnn.DyCnn(case['kind'], case['fusion']).train()
    ours = dict(model.named_parameters())
    theirs = case['params']
    if set(ours) != set(theirs):
        print(f'{key}: parameter names differ: only torch {sorted(set(ours) - set(theirs))}, only dynconv {sorted(set(theirs) - set(ours))}')
        ok = False
        continue
    with torch.no_grad():
        for name, p in ours.items():
            src = torch.tensor(theirs[name]['data'], dtype=torch.float32).reshape(theirs[name]['shape'])
            if tuple(src.shape) != tuple(p.shape):
                raise SystemExit(f'{key}: {name} has shape {tuple(p.shape)} in torch, {tuple(src.shape)} in dynconv')
            p.copy_(src)
        y = model(torch.tensor(case['x']['data'], dtype=torch.float32).reshape(case['x']['shape'])).flatten()
    diff = (y - torch.tensor(case['y'])).abs().max().item()
    n = sum(p.numel() for p in ours.values())
    good = diff <= TOL * max(1.0, y.abs().max().item())
    ok = ok and good
    print(f'{key}: {n} parameters, names and shapes equal, max |logit difference| {diff:.2e} ({"ok" if good else "MISMATCH"})')
sys.exit(0 if ok else 1)
