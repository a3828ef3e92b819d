// Runs a subset of the gpu backend's parity checks in a real browser: each case computes a
// forward pass and its gradients on the CPU backend and on the gpu backend (webgl2 by default,
// `?mode=` to change), from the same inputs, and compares them at float32 tolerance.
// Results land in `window.__parity` for the test that drives this page.
import * as dc from './dynconv.js';

const mode = new URLSearchParams(location.search).get('mode') ?? 'webgl2';

/** Inputs drawn on the CPU from a fixed seed, then moved to `backend` as leaves. */
function inputs(backend, shapes, seed) {
  const generator = dc.manualSeed(seed);
  return shapes.map((s) => dc.randn(s, { generator }).to(backend).requiresGrad_());
}

// Each case: input shapes, a function of the inputs giving a scalar loss and any extra outputs
// to compare, and the longest reduction it does (scales the absolute tolerance).
const cases = {
  'elementwise, broadcast, permuted view': {
    shapes: [[3, 4, 5], [4, 1]],
    run: ([x, b]) => {
      const xp = x.permute([1, 0, 2]);
      const y = xp.exp().mul(b.unsqueeze(1).sigmoid()).add(xp.tanh()).sub(xp.mul(xp).add(1).sqrt());
      return [y.sum(), y];
    },
    reduce: 60,
  },
  'batched matmul': {
    shapes: [[2, 8, 16], [2, 16, 12]],
    run: ([a, b]) => { const y = dc.matmul(a, b); return [y.mul(y).sum(), y]; },
    reduce: 16 * 12,
  },
  'conv2d stride 2, padding 1': {
    shapes: [[2, 3, 9, 9], [4, 3, 3, 3]],
    run: ([x, w]) => { const y = dc.conv2d(x, w, null, { stride: 2, padding: 1 }); return [y.mul(y).sum(), y]; },
    reduce: 2 * 5 * 5 * 4,
  },
  'depthwise conv2d': {
    shapes: [[1, 4, 8, 8], [4, 1, 3, 3]],
    run: ([x, w]) => { const y = dc.conv2d(x, w, null, { padding: 1, groups: 4 }); return [y.mul(y).sum(), y]; },
    reduce: 64,
  },
  'max and average pooling': {
    shapes: [[2, 3, 8, 8]],
    run: ([x]) => {
      const m = dc.maxPool2d(x, 2);
      const a = dc.avgPool2d(x, 3, { stride: 2, padding: 1 });
      return [m.sum().add(a.mul(a).sum()), m, a];
    },
    reduce: 64,
  },
  'softmax and cross-entropy': {
    shapes: [[6, 10]],
    run: ([z]) => {
      const target = dc.tensor([0, 3, 9, 1, 1, 7], { dtype: 'int32' }).to(z.backend.name);
      const p = dc.softmax(z, 1);
      return [dc.crossEntropy(z, target), p];
    },
    reduce: 60,
  },
  'batch norm (training) and reductions': {
    shapes: [[4, 3, 5, 5], [3], [3]],
    run: ([x, w, b]) => {
      const y = dc.batchNorm(x, null, null, w, b, true);
      return [y.mul(y.sigmoid()).sum(), y, dc.amax(x, [0, 2]), dc.mean(x, [1])];
    },
    reduce: 100,
  },
};

function compare(name, cpu, gpu, reduce) {
  const worst = { abs: 0, rel: 0 };
  if (cpu.length !== gpu.length) return { ok: false, why: `${name}: length ${cpu.length} vs ${gpu.length}` };
  for (let i = 0; i < cpu.length; i++) {
    const d = Math.abs(cpu[i] - gpu[i]);
    const tol = 1e-5 * reduce + 1e-4 * Math.abs(cpu[i]);
    if (!(d <= tol)) return { ok: false, why: `${name}[${i}]: cpu ${cpu[i]} vs gpu ${gpu[i]} (tolerance ${tol.toExponential(2)})` };
    worst.abs = Math.max(worst.abs, d);
  }
  return { ok: true, maxAbsDiff: worst.abs };
}

function evaluate(backend, c) {
  const xs = inputs(backend, c.shapes, 7);
  const [loss, ...outs] = c.run(xs);
  loss.backward();
  const named = [['loss', loss], ...outs.map((o, i) => [`out${i}`, o]), ...xs.map((x, i) => [`grad${i}`, x.grad])];
  return named.map(([k, t]) => [k, Array.from(t.dataSync())]);
}

async function main() {
  const result = { mode, cases: [] };
  try {
    dc.setBackend('gpu', { mode });
    dc.setBackend('cpu');
    const handle = dc.getBackend('gpu');
    result.chosenMode = handle.mode;
    result.renderer = handle.renderer;
    for (const [name, c] of Object.entries(cases)) {
      try {
        const cpu = evaluate('cpu', c);
        const gpu = evaluate('gpu', c);
        const checks = cpu.map(([k, v], i) => compare(`${name}: ${k}`, v, gpu[i][1], c.reduce));
        const bad = checks.find((r) => !r.ok);
        result.cases.push(bad ? { name, ok: false, why: bad.why } : { name, ok: true, maxAbsDiff: Math.max(...checks.map((r) => r.maxAbsDiff)) });
      } catch (e) {
        result.cases.push({ name, ok: false, why: `${name}: threw ${e && e.stack ? e.stack : e}` });
      }
    }
    result.fallbacks = Object.fromEntries(handle.fallbacks ?? []);
  } catch (e) {
    result.error = String(e && e.stack ? e.stack : e);
  }
  document.getElementById('log').textContent = JSON.stringify(result, null, 2);
  window.__parity = result;
}

main();
