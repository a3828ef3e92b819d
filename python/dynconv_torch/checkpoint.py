"""Reading the checkpoints tools/train.ts writes (packages/nn/src/checkpoint/checkpoint.ts).

A checkpoint is one safetensors file:

- the model's state dict under `model.<key>` (the Dy-CNN's keys, see dycnn.py);
- the optimizer's state tensors under `optimizer.state.<parameter index>.<key>` (dynconv's names:
  `expAvg`, `expAvgSq` for Adam/AdamW, `momentumBuffer` for SGD; the index counts the parameters
  through the optimizer's groups in order, as PyTorch's optimizer.state_dict() does, and the
  trainer's groups are the conv and linear weights (ndim > 1), then the rest, each in
  `model.parameters()` order); their step counts are JSON in the metadata;
- in the header's `__metadata__`, the key `dynconv.checkpoint`: a JSON string with `format`
  ('dynconv-checkpoint/2'), `epoch`, `step`, `optimizer` (options, step counts), `scheduler`,
  `generators` (dynconv's RNG states) and `extra`: for tools/train.ts, `args` (the run's
  settings), `config` (the Dy-CNN's DyCnnConfig), `history` (metrics per epoch) and the loader's
  position.

    from dynconv_torch import load_dynconv_checkpoint
    model, settings = load_dynconv_checkpoint('runs/mnist-dynamic/checkpoint.safetensors')
    logits = model(images)              # eval mode; images normalised as the trainer does
    settings['config'], settings['args']['dataset'], settings['history'][-1]['testAccuracy']

Only the weights (and BatchNorm statistics) become a PyTorch model; the optimizer and schedule
state stay dynconv's (read them with read_dynconv_checkpoint if you want to convert them).
"""
import json
from collections import OrderedDict, namedtuple

from .dycnn import DyCnn, DyCnnConfig
from .safetensors_io import load_file

__all__ = ['META_KEY', 'FORMATS', 'MODEL_PREFIX', 'OPTIMIZER_PREFIX', 'DynconvCheckpoint', 'read_dynconv_checkpoint', 'load_dynconv_checkpoint']

META_KEY = 'dynconv.checkpoint'
FORMATS = ('dynconv-checkpoint/2', 'dynconv-checkpoint/1')
MODEL_PREFIX = 'model.'
OPTIMIZER_PREFIX = 'optimizer.state.'

#: model_state: the model's state dict (prefix removed); optimizer_tensors: {name: tensor} as
#: stored; meta: the parsed `dynconv.checkpoint` metadata.
DynconvCheckpoint = namedtuple('DynconvCheckpoint', ['model_state', 'optimizer_tensors', 'meta'])

#: What MNIST / Fashion-MNIST images go through before the net (packages/data: toTensor scales to
#: [0, 1], then normalize(mean, std)).
NORMALIZATION = {'mnist': (0.1307, 0.3081), 'fashion': (0.2860, 0.3530)}


def read_dynconv_checkpoint(path):
    """The parts of a dynconv checkpoint: DynconvCheckpoint(model_state, optimizer_tensors, meta)."""
    tensors, metadata = load_file(path)
    raw = metadata.get(META_KEY)
    if raw is None:
        raise ValueError(f"{path}: not a dynconv checkpoint (the safetensors header has no '{META_KEY}' metadata); a plain state dict loads with safetensors_io.load_state_dict")
    meta = json.loads(raw)
    if not isinstance(meta, dict) or meta.get('format') not in FORMATS:
        raise ValueError(f'{path}: unsupported checkpoint format {meta.get("format") if isinstance(meta, dict) else meta!r} (expected one of {", ".join(FORMATS)})')
    model_state, optimizer_tensors = OrderedDict(), OrderedDict()
    for k, t in tensors.items():
        if k.startswith(MODEL_PREFIX):
            model_state[k[len(MODEL_PREFIX):]] = t
        elif k.startswith(OPTIMIZER_PREFIX):
            optimizer_tensors[k] = t
        else:
            raise ValueError(f"{path}: unexpected tensor '{k}' (model tensors are stored as 'model.<key>', optimizer state as '{OPTIMIZER_PREFIX}<index>.<key>')")
    return DynconvCheckpoint(model_state, optimizer_tensors, meta)


def load_dynconv_checkpoint(path, fusion=None, strict=True):
    """Builds the Dy-CNN variant a tools/train.ts checkpoint stores (dynamic, static or
    static-wide, with its widths, stem, group size, predictor) and loads its weights strictly.

    Returns (model, settings): the model in eval mode (float32, as dynconv trained it), and a dict
    with `config` (DyCnnConfig), `args` (the run's settings, dynconv's camelCase names), `epoch`,
    `step`, `history`, `extra` (everything the trainer stored), `optimizer` and `scheduler` (the
    JSON parts of their state) and `normalization` ((mean, std) the trainer's data used, when the
    data set is known). `fusion` sets the dynamic convs' path (None: kernel fusion in eval mode,
    as dynconv evaluates).
    """
    ckpt = read_dynconv_checkpoint(path)
    extra = ckpt.meta.get('extra') or {}
    if 'config' not in extra:
        raise ValueError(f'{path}: the checkpoint stores no Dy-CNN config (extra.config), so it was not written by tools/train.ts; '
                         'build the model yourself and load read_dynconv_checkpoint(path).model_state into it')
    config = DyCnnConfig.from_dict(extra['config'])
    model = DyCnn(config, fusion=fusion)
    model.load_state_dict(ckpt.model_state, strict=strict)
    model.eval()
    args = extra.get('args') or {}
    settings = {
        'config': config,
        'args': args,
        'epoch': ckpt.meta.get('epoch'),
        'step': ckpt.meta.get('step'),
        'history': extra.get('history', []),
        'extra': extra,
        'optimizer': ckpt.meta.get('optimizer'),
        'scheduler': ckpt.meta.get('scheduler'),
        'normalization': NORMALIZATION.get(args.get('dataset')),
    }
    return model, settings
