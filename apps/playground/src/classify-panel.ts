/**
 * The Classify tab: the drawing pad, what the net sees, both nets' probabilities, and for every
 * dynamic conv of the Dy-CNN its coefficients and a few of its mixed kernels next to the fixed
 * kernels they were mixed from. Recomputed once per animation frame while drawing.
 */
import type { DyCnn } from '../../../tools/models/dy-cnn.js';
import { DrawPad } from './draw-pad.js';
import { argmax, bankKernel, dynamicLayers, explain, type LayerChoice, mixedKernel, type WeightsInfo } from './model.js';
import { preprocessDigit } from './preprocess.js';
import { drawHeatMap, drawKernel, maxAbs, ProbabilityBars } from './viz.js';

/** Mixed kernels shown per layer. */
const KERNEL_ROWS = 3;

/** A net on the page, with where its weights came from. */
export interface Net {
  model: DyCnn;
  info: WeightsInfo;
}

/** What the page last showed (read by test/playground.test.ts through window.__playground). */
export interface ClassifyState {
  updates: number;
  top: number | null;
  staticTop: number | null;
  probs: number[] | null;
  /** Per dynamic layer: name and coefficients. */
  layers: { name: string; eta: number[] }[];
}

const el = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export class ClassifyPanel {
  readonly pad: DrawPad;
  readonly state: ClassifyState = { updates: 0, top: null, staticTop: null, probs: null, layers: [] };
  private dynamic: Net | null = null;
  private twin: Net | null = null;
  private readonly bars = new ProbabilityBars(el('dyn-bars'));
  private readonly twinBars = new ProbabilityBars(el('static-bars'));
  private layerViews: LayerView[] = [];
  private pending = false;
  /** Called after the first drawing is classified (the page's load time ends there). */
  onFirstPrediction: (() => void) | null = null;

  constructor() {
    this.pad = new DrawPad(el('pad'), () => this.schedule());
    el('clear').addEventListener('click', () => this.pad.clear());
  }

  /** Puts a net in place (the Dy-CNN, or the static twin for a static net) and redraws. */
  setNet(net: Net): void {
    if (net.model.config.kind === 'dynamic') {
      this.dynamic = net;
      this.buildLayerViews(net.model);
    } else {
      this.twin = net;
    }
    el('dyn-source').textContent = this.dynamic ? describe(this.dynamic) : '';
    el('static-source').textContent = this.twin ? describe(this.twin) : '';
    el('static-title').textContent = this.twin?.model.config.kind === 'static-wide' ? `Static net, ${this.twin.model.config.groupSize}x wide` : 'Static twin';
    this.schedule();
  }

  /** Redraws at the next frame (many pointer moves, one forward pass). */
  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.update();
    });
  }

  private update(): void {
    const pixels = this.pad.inked ? preprocessDigit(this.pad.intensity()) : null;
    drawPreview(el('preview'), pixels);
    const dyn = pixels && this.dynamic ? explain(this.dynamic.model, pixels) : null;
    const twin = pixels && this.twin ? explain(this.twin.model, pixels) : null;
    const top = dyn ? argmax(dyn.probs) : null;
    const twinTop = twin ? argmax(twin.probs) : null;
    this.bars.update(dyn?.probs ?? null, top ?? -1);
    this.twinBars.update(twin?.probs ?? null, twinTop ?? -1);
    el('dyn-top').textContent = dyn ? `${top} (${(100 * dyn.probs[top!]!).toFixed(1)}%)` : pixels ? '' : 'draw a digit';
    el('static-top').textContent = twin ? `${twinTop} (${(100 * twin.probs[twinTop!]!).toFixed(1)}%)` : '';
    this.layerViews.forEach((v, i) => v.update(dyn?.layers[i] ?? null));
    Object.assign(this.state, {
      updates: this.state.updates + 1,
      top,
      staticTop: twinTop,
      probs: dyn ? Array.from(dyn.probs) : null,
      layers: dyn ? dyn.layers.map((l) => ({ name: l.name, eta: Array.from(l.eta) })) : [],
    } satisfies ClassifyState);
    if (dyn && this.onFirstPrediction) {
      this.onFirstPrediction();
      this.onFirstPrediction = null;
    }
  }

  private buildLayerViews(model: DyCnn): void {
    const container = el('layers');
    container.replaceChildren();
    this.layerViews = dynamicLayers(model).map(({ name, conv }) => new LayerView(container, { name, inChannels: conv.inChannels, outChannels: conv.outChannels, groupSize: conv.groupSize }));
  }
}

function describe(net: Net): string {
  const acc = net.info.testAccuracy === undefined ? '' : `; test accuracy ${(100 * net.info.testAccuracy).toFixed(1)}%${net.info.testImages ? ` on ${net.info.testImages} images` : ''}`;
  return `${net.model.numParameters().toLocaleString('en-US')} parameters, ${net.info.source}${acc}`;
}

/** The 28x28 image the nets get, enlarged. */
function drawPreview(canvas: HTMLCanvasElement, pixels: Float32Array | null): void {
  canvas.width = canvas.height = 28;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = 255 - Math.round(255 * (pixels ? pixels[i]! : 0));
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
}

/** One dynamic layer's section: its coefficient heat map and a few kernels. */
class LayerView {
  private readonly heat: HTMLCanvasElement;
  private readonly rows: { label: HTMLElement; bank: HTMLCanvasElement[]; etas: HTMLElement[]; mixed: HTMLCanvasElement }[] = [];

  constructor(container: HTMLElement, layer: Pick<LayerChoice, 'name' | 'inChannels' | 'outChannels' | 'groupSize'>) {
    const { name, inChannels, outChannels, groupSize } = layer;
    const article = document.createElement('article');
    article.className = 'layer';
    article.innerHTML = `
      <h3>${name} <small>${inChannels} → ${outChannels} channels, g = ${groupSize} kernels each</small></h3>
      <figure class="heat">
        <canvas role="img" style="aspect-ratio: ${outChannels} / ${groupSize}"></canvas>
        <figcaption>Coefficients η for this drawing: a column per output channel (${outChannels}), a row per fixed kernel (${groupSize}); dark 0, yellow 1.</figcaption>
      </figure>
      <div class="kernels" aria-label="Mixed kernels of ${name}"></div>`;
    container.append(article);
    this.heat = article.querySelector('canvas')!;
    this.heat.setAttribute('aria-label', `Heat map of the ${outChannels} x ${groupSize} coefficients of ${name}`);
    const kernels = article.querySelector('.kernels')!;
    for (let r = 0; r < KERNEL_ROWS; r++) {
      const row = document.createElement('div');
      row.className = 'krow';
      const label = document.createElement('span');
      label.className = 'klabel';
      row.append(label);
      const bank: HTMLCanvasElement[] = [];
      const etas: HTMLElement[] = [];
      for (let i = 0; i < groupSize; i++) {
        const fig = document.createElement('figure');
        const c = document.createElement('canvas');
        c.setAttribute('role', 'img');
        c.setAttribute('aria-label', `fixed kernel ${i + 1}`);
        const cap = document.createElement('figcaption');
        fig.append(c, cap);
        row.append(fig);
        if (i < groupSize - 1) row.append(Object.assign(document.createElement('span'), { className: 'op', textContent: '+' }));
        bank.push(c);
        etas.push(cap);
      }
      row.append(Object.assign(document.createElement('span'), { className: 'op', textContent: '=' }));
      const fig = document.createElement('figure');
      fig.className = 'mixed';
      const mixed = document.createElement('canvas');
      mixed.setAttribute('role', 'img');
      mixed.setAttribute('aria-label', 'the mixed kernel');
      fig.append(mixed, Object.assign(document.createElement('figcaption'), { textContent: 'mixed' }));
      row.append(fig);
      kernels.append(row);
      this.rows.push({ label, bank, etas, mixed });
    }
  }

  /** Draws this image's choice (or blanks it when nothing is drawn). */
  update(layer: LayerChoice | null): void {
    if (!layer) {
      drawHeatMap(this.heat, () => 0, 1, 1);
      return;
    }
    const { eta, groupSize: g, outChannels, inChannels, kernelSize: [kh, kw] } = layer;
    drawHeatMap(this.heat, (r, c) => eta[c * g + r]!, g, outChannels);
    // The channels whose coefficients differ most: where the choice of kernels matters most.
    const spread = (o: number) => {
      const e = eta.subarray(o * g, (o + 1) * g);
      return Math.max(...e) - Math.min(...e);
    };
    const chosen = Array.from({ length: outChannels }, (_, o) => o).sort((a, b) => spread(b) - spread(a)).slice(0, this.rows.length);
    chosen.forEach((o, r) => {
      const row = this.rows[r]!;
      const bank = Array.from({ length: g }, (_, i) => bankKernel(layer, o, i));
      const mixed = mixedKernel(layer, o);
      const scale = maxAbs(mixed, ...bank);
      row.label.textContent = `channel ${o}`;
      bank.forEach((k, i) => {
        drawKernel(row.bank[i]!, k, inChannels, kh, kw, scale);
        row.etas[i]!.textContent = `× ${eta[o * g + i]!.toFixed(2)}`;
      });
      drawKernel(row.mixed, mixed, inChannels, kh, kw, scale);
    });
  }
}
