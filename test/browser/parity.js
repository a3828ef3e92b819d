// Runs the gpu backend's parity subset (`runParitySubset` of @dynconv/gpu: a fixed set of ops,
// forward and gradients, on the gpu backend and on the CPU backend, compared at float32
// tolerance) in a real browser, in webgl2 mode by default (`?mode=` to change). Results land in
// `window.__parity` for the test that drives this page.
import * as dc from './dynconv.js';

const mode = new URLSearchParams(location.search).get('mode') ?? 'webgl2';

function main() {
  const result = { mode, cases: [] };
  try {
    dc.setBackend('gpu', { mode });
    dc.setBackend('cpu');
    const handle = dc.gpu.gpuBackend();
    result.chosenMode = handle.mode;
    result.renderer = handle.renderer;
    result.cases = dc.gpu.runParitySubset('gpu');
    result.fallbacks = Object.fromEntries(handle.fallbacks);
  } catch (e) {
    result.error = String(e && e.stack ? e.stack : e);
  }
  document.getElementById('log').textContent = JSON.stringify(result, null, 2);
  window.__parity = result;
}

main();
