"""The safetensors format by hand (torch 1.13 has no safetensors library), pure PyTorch + stdlib.

A file is an 8-byte little-endian unsigned header length N, N bytes of UTF-8 JSON, then the data
buffer. The JSON maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
(offsets into the data buffer) and may hold "__metadata__", an object of strings. Tensor data is
raw little-endian, row-major. This is the format dynconv's `encodeSafetensors` /
`decodeSafetensors` (packages/nn/src/serialization/safetensors.ts) and Hugging Face's
`safetensors` read and write; files written here load in both, and theirs load here.

    from dynconv_torch.safetensors_io import load_file, save_file
    tensors, metadata = load_file('weights.safetensors')
    save_file(model.state_dict(), 'out.safetensors', metadata={'note': 'from PyTorch'})

dynconv stores integer tensors (BatchNorm's num_batches_tracked) as I32; PyTorch's are int64.
`load_state_dict` converts either way, so no care is needed in between.
"""
import json
import os
import struct
import sys
from collections import OrderedDict

import torch

__all__ = ['DTYPES', 'encode', 'decode', 'save_file', 'load_file', 'save_state_dict', 'load_state_dict']

#: safetensors dtype name <-> torch dtype.
DTYPES = OrderedDict([
    ('F64', torch.float64),
    ('F32', torch.float32),
    ('F16', torch.float16),
    ('BF16', torch.bfloat16),
    ('I64', torch.int64),
    ('I32', torch.int32),
    ('I16', torch.int16),
    ('I8', torch.int8),
    ('U8', torch.uint8),
    ('BOOL', torch.bool),
])
_NAMES = {dtype: name for name, dtype in DTYPES.items()}
_ITEMSIZE = {name: torch.empty(0, dtype=dtype).element_size() for name, dtype in DTYPES.items()}
#: The reference writer orders tensors by dtype alignment (largest first), then by name.
_RANK = {'F64': 8, 'I64': 8, 'F32': 4, 'I32': 4, 'F16': 2, 'BF16': 2, 'I16': 2, 'I8': 1, 'U8': 1, 'BOOL': 1}
#: Readers refuse larger headers (the reference implementation's limit, and dynconv's).
MAX_HEADER_BYTES = 100_000_000
_METADATA = '__metadata__'
_LITTLE = sys.byteorder == 'little'


def _tensor_bytes(t):
    """The raw little-endian bytes of a tensor (any dtype), without numpy."""
    t = t.detach().to('cpu').contiguous().reshape(-1)
    buf = bytearray(t.numel() * t.element_size())
    if len(buf):
        dst = torch.frombuffer(buf, dtype=t.dtype, count=t.numel())
        dst.copy_(t)
        if not _LITTLE and t.element_size() > 1:
            _byteswap(buf, t.element_size())
    return bytes(buf)


def _byteswap(buf, size):
    view = torch.frombuffer(buf, dtype=torch.uint8).reshape(-1, size)
    view.copy_(view.flip(1))


def encode(tensors, metadata=None, order='reference'):
    """Serialises {name: tensor} (and optional {str: str} metadata) to safetensors bytes.

    order='reference' lays tensors out as the reference writer (and dynconv) does: by dtype size,
    descending, then by name, which keeps every tensor aligned. order='given' keeps the order of
    `tensors` in the header and the data (so a reader that keeps header order, like dynconv's,
    sees a state dict's own order). The header is compact JSON padded with spaces to a multiple
    of 8 bytes. Metadata values must be strings (put JSON in a string for anything else).
    """
    if order not in ('reference', 'given'):
        raise ValueError(f"order must be 'reference' or 'given', got {order!r}")
    items = []
    for name, t in tensors.items():
        if name == _METADATA:
            raise ValueError(f'{_METADATA!r} is reserved for metadata and cannot name a tensor')
        if not isinstance(t, torch.Tensor):
            raise TypeError(f'tensor {name!r} is a {type(t).__name__}, not a torch.Tensor')
        if t.dtype not in _NAMES:
            raise TypeError(f'tensor {name!r} has dtype {t.dtype}, which safetensors_io cannot write (supported: {", ".join(map(str, _NAMES))})')
        items.append((name, _NAMES[t.dtype], list(t.shape), _tensor_bytes(t)))
    if order == 'reference':
        items.sort(key=lambda it: (-_RANK[it[1]], it[0].encode('utf-8')))
    header = OrderedDict()
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f'metadata must map strings to strings; {k!r} maps to a {type(v).__name__}')
        header[_METADATA] = OrderedDict(sorted(metadata.items(), key=lambda kv: kv[0].encode('utf-8')))
    offset = 0
    for name, dtype, shape, data in items:
        header[name] = OrderedDict([('dtype', dtype), ('shape', shape), ('data_offsets', [offset, offset + len(data)])])
        offset += len(data)
    text = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    if len(text) > MAX_HEADER_BYTES:
        raise ValueError(f'header of {len(text)} bytes exceeds the {MAX_HEADER_BYTES}-byte limit readers enforce')
    return b''.join([struct.pack('<Q', len(text)), text] + [data for *_, data in items])


def decode(data):
    """Parses safetensors bytes into (OrderedDict name -> tensor, metadata dict).

    Tensors come in header order, as fresh tensors (they do not alias `data`). Checks the header
    length, each entry's dtype, shape and byte size, and that the tensors tile the data buffer
    with no overlap or hole; any problem raises ValueError saying what and where.
    """
    data = memoryview(data).cast('B')
    if len(data) < 8:
        raise ValueError(f'file is {len(data)} bytes long, shorter than the 8-byte header length')
    (n,) = struct.unpack('<Q', data[:8])
    if n > MAX_HEADER_BYTES:
        raise ValueError(f'header length {n} exceeds the {MAX_HEADER_BYTES}-byte limit')
    if 8 + n > len(data):
        raise ValueError(f'header length {n} runs past the end of the file ({len(data)} bytes)')

    def no_duplicates(pairs):
        out = OrderedDict()
        for k, v in pairs:
            if k in out:
                raise ValueError(f'header has the key {k!r} twice')
            out[k] = v
        return out

    try:
        header = json.loads(bytes(data[8:8 + n]).decode('utf-8'), object_pairs_hook=no_duplicates)
    except UnicodeDecodeError as e:
        raise ValueError(f'header is not valid UTF-8: {e}') from None
    except json.JSONDecodeError as e:
        raise ValueError(f'header is not valid JSON: {e}') from None
    if not isinstance(header, dict):
        raise ValueError(f'header must be a JSON object, got {type(header).__name__}')
    buffer = data[8 + n:]
    metadata = header.pop(_METADATA, None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError(f'{_METADATA} must be an object of strings')
    tensors = OrderedDict()
    spans = []
    for name, entry in header.items():
        where = f'tensor {name!r}'
        if not isinstance(entry, dict) or not all(k in entry for k in ('dtype', 'shape', 'data_offsets')):
            raise ValueError(f'{where}: entry must be an object with dtype, shape and data_offsets')
        dtype = entry['dtype']
        if dtype not in DTYPES:
            raise ValueError(f'{where}: unsupported dtype {dtype!r} (supported: {", ".join(DTYPES)})')
        shape = entry['shape']
        if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            raise ValueError(f'{where}: shape must be a list of non-negative integers, got {shape!r}')
        offsets = entry['data_offsets']
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in offsets)):
            raise ValueError(f'{where}: data_offsets must be two non-negative integers, got {offsets!r}')
        begin, end = offsets
        numel = 1
        for d in shape:
            numel *= d
        if begin > end or end > len(buffer):
            raise ValueError(f'{where}: data_offsets [{begin}, {end}] do not lie within the {len(buffer)}-byte data buffer')
        if end - begin != numel * _ITEMSIZE[dtype]:
            raise ValueError(f'{where}: data_offsets [{begin}, {end}] hold {end - begin} bytes, but shape {shape} of {dtype} needs {numel * _ITEMSIZE[dtype]}')
        spans.append((begin, end, name))
        raw = bytearray(buffer[begin:end])
        if not _LITTLE and _ITEMSIZE[dtype] > 1:
            _byteswap(raw, _ITEMSIZE[dtype])
        t = torch.frombuffer(raw, dtype=DTYPES[dtype]) if numel else torch.empty(0, dtype=DTYPES[dtype])
        tensors[name] = t.reshape(shape)
    pos = 0
    for begin, end, name in sorted(spans):
        if begin != pos:
            raise ValueError(f'tensor {name!r} (data_offsets [{begin}, {end}]) ' + ('overlaps the tensor before it' if begin < pos else f'leaves bytes [{pos}, {begin}) belonging to no tensor'))
        pos = end
    if pos != len(buffer):
        raise ValueError(f'bytes [{pos}, {len(buffer)}) at the end of the data buffer belong to no tensor')
    return tensors, dict(metadata)


def save_file(tensors, path, metadata=None, order='reference'):
    """Writes {name: tensor} to a safetensors file (atomically: a temporary file, then a rename);
    `order` as for encode()."""
    data = encode(tensors, metadata, order)
    tmp = f'{path}.tmp-{os.getpid()}'
    with open(tmp, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_file(path):
    """Reads a safetensors file: (OrderedDict name -> tensor, metadata dict)."""
    with open(path, 'rb') as f:
        data = f.read()
    try:
        return decode(data)
    except ValueError as e:
        raise ValueError(f'{path}: {e}') from None


def save_state_dict(model, path, metadata=None, order='reference'):
    """Saves a module's state dict (parameters and buffers, PyTorch's dotted keys): a file that
    dynconv's `loadStateDict(path, module)` (@dynconv/nn/node) reads into the same architecture."""
    save_file(model.state_dict(), path, metadata, order)


def load_state_dict(model, path, strict=True):
    """Loads a safetensors file (say one dynconv's `saveStateDict` wrote) into a module with
    `load_state_dict(strict=strict)`; dtypes are converted to the module's. Returns its result."""
    tensors, _ = load_file(path)
    return model.load_state_dict(tensors, strict=strict)
