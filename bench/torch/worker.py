"""PyTorch side of `pnpm bench`: one persistent process speaking JSON lines on stdin/stdout.

Requests (one JSON object per line):
  {"id": 1, "cmd": "info"}
      -> versions, the BLAS library torch loaded, a 1024 matmul timing at 1 thread
  {"id": 2, "cmd": "run", "op": "matmul", "params": {"n": 512}, "threads": 1,
   "warmup": 1, "targetMs": 400, "maxReps": 500, "slowMs": 2000}
      -> {"id": 2, "ms": [per-rep times], "threads": torch.get_num_threads(), ...}
  {"id": 3, "cmd": "quit"}
Every response carries the request's id; a failure is {"id": ..., "error": "..."}.

Rep count: `warmup` untimed calls (the last one timed to size the run), then as many reps as fit
in targetMs (1 to maxReps). A call slower than slowMs is taken as the only sample.

Threads: torch.set_num_threads(n) for ATen/OpenMP (oneDNN convolutions, elementwise) and, when
the process has OpenBLAS loaded (Debian's torch takes BLAS from the alternatives system),
openblas_set_num_threads(n) through ctypes, since torch's set_num_threads does not reach a
BLAS it was not built against. run.ts starts this process with OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS at the most threads it will ask for.
"""
import ctypes
import json
import os
import sys
import time

# Responses go to the real stdout; anything else that prints (warnings, libraries) goes to stderr.
_out = os.fdopen(os.dup(1), 'w', buffering=1)
os.dup2(2, 1)


def send(obj):
    _out.write(json.dumps(obj) + '\n')
    _out.flush()


try:
    import torch
    import torch.nn.functional as F
except Exception as e:  # noqa: BLE001 - report any import failure to the client
    send({'id': 0, 'error': f'import torch failed: {e!r}', 'noTorch': True})
    sys.exit(0)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dycnn  # noqa: E402


def loaded_libs():
    try:
        with open('/proc/self/maps') as f:
            return sorted({line.split()[-1] for line in f if '.so' in line and '/' in line})
    except OSError:
        return []


def find_openblas():
    for path in loaded_libs():
        if 'openblas' in os.path.basename(path).lower():
            try:
                lib = ctypes.CDLL(path)
                lib.openblas_set_num_threads  # noqa: B018 - probe the symbol
                return path, lib
            except (OSError, AttributeError):
                continue
    return None, None


OPENBLAS_PATH, OPENBLAS = find_openblas()


def set_threads(n):
    torch.set_num_threads(n)
    if OPENBLAS is not None:
        OPENBLAS.openblas_set_num_threads(n)


def blas_info():
    libs = loaded_libs()
    blas = [p for p in libs if 'blas' in os.path.basename(p).lower() or 'lapack' in os.path.basename(p).lower()]
    config = None
    if OPENBLAS is not None:
        try:
            OPENBLAS.openblas_get_config.restype = ctypes.c_char_p
            config = OPENBLAS.openblas_get_config().decode()
        except Exception:  # noqa: BLE001
            config = None
    shows_openblas = 'openblas' in torch.__config__.show().lower()
    return {
        'openblas': OPENBLAS is not None or shows_openblas,
        'openblasPath': OPENBLAS_PATH,
        'openblasConfig': config,
        'configShowsOpenblas': shows_openblas,
        'libraries': blas,
    }


def matmul_gflops(n=1024, threads=1):
    set_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = float('inf')
    for _ in range(3):
        t = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


# ---- item setups: each returns a no-argument function doing one rep -------------------------

def setup_matmul(p):
    n = p['n']
    a, b = torch.randn(n, n), torch.randn(n, n)
    return lambda: torch.mm(a, b)


def conv_tensors(p):
    x = torch.randn(p['N'], p['C'], p['H'], p['W'])
    w = torch.randn(p['K'], p['C'], p['k'], p['k'])
    dy = torch.randn(p['N'], p['K'], p['H'], p['W'])
    return x, w, dy


def setup_conv_fwd(p):
    x, w, _ = conv_tensors(p)
    return lambda: F.conv2d(x, w, None, padding=p['pad'])


def conv_backward(p, mask):
    x, w, dy = conv_tensors(p)
    pad = [p['pad'], p['pad']]
    # The kernel autograd calls for conv2d's backward, asked for one gradient only.
    return lambda: torch.ops.aten.convolution_backward(dy, x, w, None, [1, 1], pad, [1, 1], False, [0, 0], 1, mask)


def setup_conv_dx(p):
    return conv_backward(p, [True, False, False])


def setup_conv_dw(p):
    return conv_backward(p, [False, True, False])


def setup_depthwise(p):
    x = torch.randn(p['N'], p['C'], p['H'], p['W'], requires_grad=True)
    w = torch.randn(p['C'], 1, p['k'], p['k'], requires_grad=True)
    dy = torch.randn(p['N'], p['C'], p['H'], p['W'])

    def run():
        y = F.conv2d(x, w, None, padding=p['k'] // 2, groups=p['C'])
        return torch.autograd.grad(y, [x, w], dy)
    return run


def setup_elementwise(p):
    n = p['n']
    a, b = torch.randn(n), torch.randn(n)
    op = p['op']
    if op == 'mul':
        return lambda: torch.mul(a, b)
    if op == 'add':
        return lambda: torch.add(a, b)
    if op == 'relu':
        return lambda: torch.relu(a)
    raise ValueError(f'unknown elementwise op {op}')


def setup_bn_relu(p):
    shape = p['shape']
    c = shape[1]
    x = torch.randn(*shape, requires_grad=True)
    weight = torch.ones(c, requires_grad=True)
    bias = torch.zeros(c, requires_grad=True)
    rm, rv = torch.zeros(c), torch.ones(c)
    dy = torch.randn(*shape)

    def run():
        y = F.relu(F.batch_norm(x, rm, rv, weight, bias, training=True, momentum=0.1, eps=1e-5))
        return torch.autograd.grad(y, [x, weight, bias], dy)
    return run


PARAM_COUNTS = {}


def setup_dycnn_train(p):
    step, n = dycnn.build_train_step(p['kind'], p['fusion'], p['batch'], p.get('expectParams'))
    PARAM_COUNTS[json.dumps(p, sort_keys=True)] = n
    return step


def setup_model(p):
    import torchvision
    model = getattr(torchvision.models, p['name'])().eval()
    x = torch.randn(p.get('batch', 1), 3, p['size'], p['size'])

    def run():
        with torch.no_grad():
            return model(x)
    return run


SETUPS = {
    'matmul': setup_matmul,
    'conv-fwd': setup_conv_fwd,
    'conv-dx': setup_conv_dx,
    'conv-dw': setup_conv_dw,
    'depthwise': setup_depthwise,
    'elementwise': setup_elementwise,
    'bn-relu': setup_bn_relu,
    'dycnn-train': setup_dycnn_train,
    'model': setup_model,
}
CACHE = {}


def measure(fn, warmup, target_ms, max_reps, slow_ms):
    last = 0.0
    for _ in range(max(1, warmup)):
        t = time.perf_counter()
        fn()
        last = (time.perf_counter() - t) * 1e3
    if last >= slow_ms:
        return [last], True
    reps = int(max(1, min(max_reps, round(target_ms / max(last, 1e-3)))))
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return times, False


def handle(req):
    cmd = req.get('cmd')
    if cmd == 'info':
        import torchvision
        info = {
            'torch': torch.__version__,
            'torchvision': torchvision.__version__,
            'python': sys.version.split()[0],
            'executable': sys.executable,
            'parallel': torch.__config__.parallel_info().splitlines()[:4],
            'blas': blas_info(),
            'env': {k: os.environ.get(k) for k in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS')},
        }
        info['matmul1024Gflops1t'] = matmul_gflops(1024, 1)
        return info
    if cmd == 'run':
        op, params = req['op'], req.get('params', {})
        key = json.dumps([op, params], sort_keys=True)
        threads = int(req.get('threads', 1))
        set_threads(threads)
        if key not in CACHE:
            if op not in SETUPS:
                raise ValueError(f'unknown op {op!r}; known: {sorted(SETUPS)}')
            CACHE[key] = SETUPS[op](params)
        ms, slow = measure(CACHE[key], int(req.get('warmup', 1)), float(req.get('targetMs', 400)), int(req.get('maxReps', 500)), float(req.get('slowMs', 2000)))
        res = {'ms': ms, 'slow': slow, 'threads': torch.get_num_threads()}
        if op == 'dycnn-train':
            res['paramCount'] = PARAM_COUNTS[json.dumps(params, sort_keys=True)]
        return res
    raise ValueError(f'unknown cmd {cmd!r}')


def main():
    send({'id': 0, 'ready': True, 'torch': torch.__version__})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = {}
        try:
            req = json.loads(line)
            if req.get('cmd') == 'quit':
                send({'id': req.get('id'), 'bye': True})
                break
            res = handle(req)
            res['id'] = req.get('id')
            send(res)
        except Exception as e:  # noqa: BLE001 - every failure goes back to the client
            import traceback
            send({'id': req.get('id'), 'error': f'{type(e).__name__}: {e}', 'traceback': traceback.format_exc()})


if __name__ == '__main__':
    main()
