#!/usr/bin/env python3
"""PyTorch as the oracle: writes the cases test/torch/*.test.ts compare dynconv against.

Run as `/usr/bin/python3 test/torch/generate.py --group ops --runs 3 --out DIR` (the vitest
harness, test/torch/harness.ts, does this and caches DIR by a hash of these sources). Every case
comes from a seeded RNG, in float64, so the same sources always give the same bytes.

A group writes DIR/cases.json: {"cases": [...], "torch": version}. Tensors are
{"dtype", "shape", "b64"} with the raw little-endian bytes in base64, so float64 values (NaN and
infinities included) survive exactly. Models also write DIR/<name>.safetensors.
"""
import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from torch_cases import CaseWriter  # noqa: E402

GROUPS = {
    'elementwise': 'gen_elementwise',
    'reduce': 'gen_reduce',
    'conv': 'gen_conv',
    'pool': 'gen_pool',
    'norm': 'gen_norm',
    'loss': 'gen_loss',
    'layers': 'gen_layers',
    'optim': 'gen_optim',
    'models': 'gen_models',
}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--group', required=True, choices=sorted(GROUPS))
    parser.add_argument('--runs', type=int, default=3, help='random configurations per family')
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    torch.set_default_dtype(torch.float64)
    # One thread: results must not depend on how the machine splits a reduction.
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    module = __import__(GROUPS[args.group])
    writer = CaseWriter(args.out)
    module.generate(writer, args.runs)
    writer.finish(torch.__version__)


if __name__ == '__main__':
    main()
