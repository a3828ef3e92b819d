/**
 * The Train tab: starts a training worker (train-worker.ts) with the chosen backend and batch
 * size, charts its steps, stops it on request, and hands the trained weights to the Classify tab
 * and to a download link.
 */
import { LossChart } from './chart.js';
import type { BackendChoice, FromWorker, StepReport, ToWorker } from './protocol.js';
import type { Manifest } from './manifest.js';
import { webgl2Available } from './webgl.js';

/** What the tab last showed (read by test/playground.test.ts through window.__playground). */
export interface TrainState {
  status: 'idle' | 'running' | 'stopping' | 'done' | 'error';
  backend: BackendChoice | null;
  detail: string;
  notice: string | null;
  steps: StepReport[];
  totalSteps: number;
  testAccuracy: number | null;
  error: string | null;
  /** Whether this browser has WebGL2 (null until the tab is first shown). */
  webgl2: boolean | null;
}

const el = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export class TrainPanel {
  readonly state: TrainState = { status: 'idle', backend: null, detail: '', notice: null, steps: [], totalSteps: 0, testAccuracy: null, error: null, webgl2: null };
  private worker: Worker | null = null;
  private readonly chart = new LossChart(el('chart'));
  private downloadUrl: string | null = null;
  /** Receives the weights of a finished (or stopped) run. */
  onWeights: ((bytes: Uint8Array) => void) | null = null;

  constructor(private readonly manifest: Manifest, private readonly base: URL) {
    el<HTMLFormElement>('train-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.start();
    });
    el('stop').addEventListener('click', () => this.stop());
  }

  /** Called when the tab is shown: checks WebGL2 once (making a context costs, so not at load). */
  shown(): void {
    if (this.state.webgl2 !== null) return;
    this.state.webgl2 = webgl2Available();
    if (!this.state.webgl2) {
      const gpu = document.querySelector<HTMLInputElement>('input[name=backend][value=gpu]')!;
      gpu.disabled = true;
      document.querySelector<HTMLInputElement>('input[name=backend][value=cpu]')!.checked = true;
      const note = el('webgl-note');
      note.textContent = 'WebGL2 is not available in this browser, so the gpu backend cannot run here: training uses the CPU backend (WebAssembly SIMD).';
      note.hidden = false;
    }
  }

  private start(): void {
    this.worker?.terminate();
    const form = new FormData(el<HTMLFormElement>('train-form'));
    const backend = form.get('backend') as BackendChoice;
    const batchSize = Number(form.get('batch'));
    const images = Number(form.get('images'));
    const epochs = Number(form.get('epochs'));
    const url = (p: string) => new URL(p, this.base).href;
    const { train, test } = this.manifest.mnist;
    const msg: ToWorker = {
      type: 'start', backend, batchSize, images, epochs, seed: 0,
      data: { trainImages: url(train.images), trainLabels: url(train.labels), testImages: url(test.images), testLabels: url(test.labels) },
    };
    Object.assign(this.state, { status: 'running', backend: null, detail: '', notice: null, steps: [], totalSteps: 0, testAccuracy: null, error: null } satisfies Partial<TrainState>);
    el('train-notice').hidden = true;
    el('train-result').hidden = true;
    this.setRunning(true);
    this.status('starting the worker…');
    this.chart.reset(1);
    const worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.receive(e.data);
    worker.onerror = (e) => this.fail(e.message || 'the training worker failed to start');
    worker.postMessage(msg);
    this.worker = worker;
  }

  private stop(): void {
    if (this.state.status !== 'running') return;
    this.state.status = 'stopping';
    this.status('stopping after this step…');
    el<HTMLButtonElement>('stop').disabled = true;
    this.worker?.postMessage({ type: 'stop' } satisfies ToWorker);
  }

  private receive(m: FromWorker): void {
    switch (m.type) {
      case 'status':
        this.status(m.text);
        break;
      case 'backend': {
        Object.assign(this.state, { backend: m.backend, detail: m.detail, notice: m.notice ?? null });
        el('train-backend').textContent = m.detail;
        const notice = el('train-notice');
        notice.textContent = m.notice ?? '';
        notice.hidden = !m.notice;
        break;
      }
      case 'started':
        this.state.totalSteps = m.totalSteps;
        this.chart.reset(m.totalSteps);
        this.status(`training a fresh Dy-CNN (${m.parameters.toLocaleString('en-US')} parameters), ${m.totalSteps} steps`);
        break;
      case 'step': {
        const { type: _, ...report } = m;
        this.state.steps.push(report);
        this.chart.push(report.loss, report.accuracy);
        el('stat-step').textContent = `${report.step} / ${this.state.totalSteps}`;
        el('stat-loss').textContent = this.chart.smoothedLoss().at(-1)!.toFixed(3);
        el('stat-acc').textContent = `${(100 * report.accuracy).toFixed(0)}%`;
        el('stat-speed').textContent = Number.isFinite(report.imagesPerSecond) ? report.imagesPerSecond.toFixed(0) : '…';
        if (this.state.status === 'running' && report.step === 1) this.status('training…');
        break;
      }
      case 'done': {
        this.state.status = 'done';
        this.state.testAccuracy = m.testAccuracy;
        this.setRunning(false);
        this.status(`${m.stopped ? 'stopped' : 'finished'} after ${m.steps} steps (${m.seconds.toFixed(0)} s); test accuracy ${(100 * m.testAccuracy).toFixed(1)}% on ${m.testImages} images`);
        if (this.downloadUrl) URL.revokeObjectURL(this.downloadUrl);
        this.downloadUrl = URL.createObjectURL(new Blob([m.weights as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
        el<HTMLAnchorElement>('download').href = this.downloadUrl;
        el('train-result').hidden = false;
        this.onWeights?.(m.weights);
        this.worker?.terminate();
        this.worker = null;
        break;
      }
      case 'error':
        this.fail(m.message);
        break;
    }
  }

  private fail(message: string): void {
    Object.assign(this.state, { status: 'error', error: message });
    this.status(`training failed: ${message}`);
    this.setRunning(false);
    this.worker?.terminate();
    this.worker = null;
  }

  private status(text: string): void {
    el('train-status').textContent = text;
  }

  private setRunning(running: boolean): void {
    el<HTMLButtonElement>('start').disabled = running;
    el<HTMLButtonElement>('stop').disabled = !running;
    for (const input of el('train-form').querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')) {
      // The gpu choice stays off where WebGL2 is missing.
      input.disabled = running || (input.value === 'gpu' && this.state.webgl2 === false);
    }
  }
}
