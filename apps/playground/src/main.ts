/**
 * The playground page: loads the default nets (playground weights written by the build step),
 * shows an MNIST digit so the first prediction appears at once, and wires the two tabs and the
 * weight-file drop. `window.__playground` exposes what the page shows, for
 * test/playground.test.ts.
 */
import './style.css';
import { ClassifyPanel, type ClassifyState, type Net } from './classify-panel.js';
import { examplePixels, fetchBytes, fetchManifest } from './manifest.js';
import { buildModel, decodeWeights } from './model.js';
import { setupTabs } from './tabs.js';
import { TrainPanel, type TrainState } from './train-panel.js';

interface PageState {
  /** ms from navigation start to the first prediction on screen. */
  firstPredictionMs: number | null;
  loadError: string | null;
  /** Weight files loaded by the user (drop or file input), by outcome. */
  loads: { file: string; ok: boolean; message: string }[];
  classify: ClassifyState | null;
  train: TrainState | null;
}

const page: PageState = { firstPredictionMs: null, loadError: null, loads: [], classify: null, train: null };
(globalThis as { __playground?: PageState }).__playground = page;

const el = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** A net from weight-file bytes. */
function netOf(bytes: Uint8Array): Net {
  const weights = decodeWeights(bytes);
  return { model: buildModel(weights), info: weights.info };
}

async function main(): Promise<void> {
  const base = new URL('./', location.href);
  const classify = new ClassifyPanel();
  page.classify = classify.state;
  classify.onFirstPrediction = () => {
    page.firstPredictionMs = performance.now();
    performance.mark('playground:first-prediction');
  };

  // Marks for the load-time breakdown (the browser test prints them).
  performance.mark('playground:start');
  const manifest = await fetchManifest(base);
  const [dynamic, twin] = await Promise.all([fetchBytes(manifest.weights.dynamic, base), fetchBytes(manifest.weights.static, base)]);
  performance.mark('playground:fetched');
  const defaults = { dynamic: netOf(dynamic), twin: netOf(twin) };
  performance.mark('playground:nets');
  classify.setNet(defaults.dynamic);
  classify.setNet(defaults.twin);
  const showExample = () => {
    classify.pad.clear(false);
    classify.pad.showDigit(examplePixels(manifest));
  };
  showExample();
  el('example').addEventListener('click', showExample);
  el('reset-weights').addEventListener('click', () => {
    classify.setNet(defaults.dynamic);
    classify.setNet(defaults.twin);
    loadStatus('Back to the default weights.');
  });

  const train = new TrainPanel(manifest, base);
  page.train = train.state;
  train.onWeights = (bytes) => {
    try {
      classify.setNet(netOf(bytes));
      el('train-used').textContent = 'The Classify tab now uses these weights.';
    } catch (e) {
      el('train-used').textContent = `These weights could not be loaded: ${(e as Error).message}`;
    }
  };
  setupTabs(el('tabs'), (panel) => {
    if (panel === 'panel-train') train.shown();
  });
  setupWeightDrop(classify);
}

function loadStatus(text: string): void {
  el('load-status').textContent = text;
}

/** Weight files from tools/train.ts (or the Train tab's download): dropped anywhere on the Classify tab, or picked. */
function setupWeightDrop(classify: ClassifyPanel): void {
  const zone = el('panel-classify');
  const load = async (file: File) => {
    try {
      const net = netOf(new Uint8Array(await file.arrayBuffer()));
      classify.setNet(net);
      const which = net.model.config.kind === 'dynamic' ? 'the Dy-CNN' : 'the static net';
      loadStatus(`Loaded ${file.name} as ${which}.`);
      page.loads.push({ file: file.name, ok: true, message: which });
    } catch (e) {
      loadStatus(`Could not load ${file.name}: ${(e as Error).message}`);
      page.loads.push({ file: file.name, ok: false, message: (e as Error).message });
    }
  };
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    const file = e.dataTransfer?.files[0];
    if (file) void load(file);
  });
  el<HTMLInputElement>('weights-file').addEventListener('change', (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) void load(file);
  });
}

main().catch((e: unknown) => {
  page.loadError = e instanceof Error ? e.message : String(e);
  loadStatus(`The playground could not start: ${page.loadError}`);
  throw e;
});
