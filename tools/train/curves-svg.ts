/**
 * Training curves as a self-contained SVG file, drawn by hand (no charting library): two panels,
 * loss and accuracy against epochs, train and test, with axes, ticks, grid, legend and title.
 * The loss panel switches to a log scale when the losses span more than a factor of 20, as they
 * do from a random start to a trained net.
 */

/** One point of a curve. */
export interface CurvePoint {
  x: number;
  y: number;
}

/** A curve: points, colour, and how it is drawn. */
export interface Series {
  label: string;
  color: string;
  points: CurvePoint[];
  /** Markers at the points (per-epoch values); thin unmarked lines for the running trace. */
  markers?: 'circle' | 'square';
  dashed?: boolean;
  thin?: boolean;
}

/** The data of the two panels. */
export interface CurvesData {
  title: string;
  subtitle?: string;
  epochs: number;
  loss: Series[];
  accuracy: Series[];
}

const W = 1010;
const H = 490;
const PANEL = { top: 118, height: 290, width: 370 };
const LEFTS = [80, 575];
/** Room right of each panel for the final values. */
const VALUE_GAP = 6;

/** Escapes text for XML content and attributes. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Shortest decimal rendering for a tick label. */
function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000 || a < 0.001) return v.toExponential(0);
  return String(Number(v.toPrecision(3)));
}

/** "Nice" linear ticks (1, 2, 5 x 10^k steps) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): { lo: number; hi: number; ticks: number[] } {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const a = Math.floor(lo / step + 1e-9) * step;
  const b = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = a; v <= b + step * 1e-6; v += step) ticks.push(Number(v.toPrecision(12)));
  return { lo: a, hi: b, ticks };
}

/** Log-scale ticks at 1, 2, 5 x 10^k; the axis runs from the last such value <= lo to the first >= hi (both > 0). */
export function logTicks(lo: number, hi: number): { lo: number; hi: number; ticks: number[] } {
  const all: number[] = [];
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)) + 1; e++) for (const m of [1, 2, 5]) all.push(Number((m * 10 ** e).toPrecision(6)));
  const a = [...all].reverse().find((v) => v <= lo * 1.0000001) ?? all[0]!;
  const b = all.find((v) => v >= hi / 1.0000001) ?? all.at(-1)!;
  return { lo: a, hi: b, ticks: all.filter((v) => v >= a && v <= b) };
}

interface Axis {
  map(v: number): number;
  ticks: number[];
}

function panel(left: number, title: string, yLabel: string, series: Series[], epochs: number, yAxis: 'loss' | 'accuracy'): string {
  const { top, height, width } = PANEL;
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
  // Whole epochs on the x axis, or fifths of one for runs of one or two epochs.
  const short = epochs <= 2;
  const xs = niceTicks(0, Math.max(1, epochs), short ? 5 : Math.min(10, Math.max(1, epochs)));
  const xTicks = short ? xs.ticks : xs.ticks.filter((t) => Number.isInteger(t));
  // A little room inside the frame at both ends, so markers on the first and last epoch show whole.
  const pad = 10;
  const x: Axis = { map: (v) => left + pad + ((v - xs.lo) / (xs.hi - xs.lo)) * (width - 2 * pad), ticks: xTicks };
  let y: Axis;
  const ys = all.map((p) => p.y);
  const minY = ys.length ? Math.min(...ys) : 0;
  const maxY = ys.length ? Math.max(...ys) : 1;
  let scaleNote = '';
  if (yAxis === 'loss' && minY > 0 && maxY / minY > 20) {
    const t = logTicks(minY, maxY);
    const [l0, l1] = [Math.log10(t.lo), Math.log10(t.hi)];
    y = { map: (v) => top + height - ((Math.log10(Math.max(v, t.lo)) - l0) / (l1 - l0)) * height, ticks: t.ticks };
    scaleNote = ' (log scale)';
  } else {
    const t = yAxis === 'accuracy' ? niceTicks(Math.max(0, minY), Math.min(100, Math.max(maxY, minY + 0.5)), 6) : niceTicks(0, maxY, 5);
    const hi = yAxis === 'accuracy' ? Math.min(t.hi, 100) : t.hi;
    const lo = t.lo;
    y = { map: (v) => top + height - ((v - lo) / (hi - lo)) * height, ticks: t.ticks.filter((v) => v <= hi + 1e-9) };
  }
  const out: string[] = [];
  out.push(`<g class="panel" id="${yAxis}">`);
  out.push(`<text x="${left + width / 2}" y="${top - 14}" text-anchor="middle" class="panel-title">${esc(title)}</text>`);
  out.push(`<rect x="${left}" y="${top}" width="${width}" height="${height}" class="frame"/>`);
  for (const t of y.ticks) {
    const py = y.map(t).toFixed(1);
    out.push(`<line x1="${left}" x2="${left + width}" y1="${py}" y2="${py}" class="grid"/>`);
    out.push(`<line x1="${left - 5}" x2="${left}" y1="${py}" y2="${py}" class="tick"/>`);
    out.push(`<text x="${left - 8}" y="${py}" dy="0.32em" text-anchor="end" class="tick-label">${esc(fmt(t))}</text>`);
  }
  for (const t of x.ticks) {
    const px = x.map(t).toFixed(1);
    out.push(`<line x1="${px}" x2="${px}" y1="${top}" y2="${top + height}" class="grid"/>`);
    out.push(`<line x1="${px}" x2="${px}" y1="${top + height}" y2="${top + height + 5}" class="tick"/>`);
    out.push(`<text x="${px}" y="${top + height + 20}" text-anchor="middle" class="tick-label">${t}</text>`);
  }
  out.push(`<text x="${left + width / 2}" y="${top + height + 42}" text-anchor="middle" class="axis-label">epoch</text>`);
  out.push(`<text transform="translate(${left - 52} ${top + height / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${esc(yLabel + scaleNote)}</text>`);
  // Clip lines to the frame, so a log axis' floor or a stray value cannot draw over the labels.
  out.push(`<clipPath id="clip-${yAxis}"><rect x="${left}" y="${top}" width="${width}" height="${height}"/></clipPath>`);
  out.push(`<g clip-path="url(#clip-${yAxis})">`);
  for (const s of series) {
    const pts = s.points.filter((p) => Number.isFinite(p.y));
    if (pts.length === 0) continue;
    const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${x.map(p.x).toFixed(1)},${y.map(p.y).toFixed(1)}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.thin ? 1.2 : 2.2}"${s.thin ? ' stroke-opacity="0.55"' : ''}${dash} class="series"><title>${esc(s.label)}</title></path>`);
    for (const p of s.markers ? pts : []) {
      const [px, py] = [x.map(p.x).toFixed(1), y.map(p.y).toFixed(1)];
      const tip = `<title>${esc(`${s.label}, epoch ${p.x}: ${yAxis === 'accuracy' ? `${p.y.toFixed(2)}%` : p.y.toFixed(4)}`)}</title>`;
      out.push(
        s.markers === 'circle'
          ? `<circle cx="${px}" cy="${py}" r="3.6" fill="${s.color}">${tip}</circle>`
          : `<rect x="${(Number(px) - 3.4).toFixed(1)}" y="${(Number(py) - 3.4).toFixed(1)}" width="6.8" height="6.8" fill="${s.color}">${tip}</rect>`,
      );
    }
  }
  out.push('</g>');
  // The last value of each marked series, right of the frame at its height, pushed apart so
  // that close values stay readable.
  const labels = series
    .filter((s) => s.markers)
    .flatMap((s) => {
      const last = s.points.filter((p) => Number.isFinite(p.y)).at(-1);
      return last ? [{ s, last, y: y.map(last.y) }] : [];
    })
    .sort((a, b) => a.y - b.y);
  for (let i = 1; i < labels.length; i++) labels[i]!.y = Math.max(labels[i]!.y, labels[i - 1]!.y + 14);
  for (const { s, last, y: ly } of labels) {
    const text = yAxis === 'accuracy' ? `${last.y.toFixed(2)}%` : last.y.toFixed(4);
    out.push(`<text x="${left + width + VALUE_GAP}" y="${ly.toFixed(1)}" dy="0.32em" class="value" fill="${s.color}">${esc(text)}</text>`);
  }
  out.push('</g>');
  return out.join('\n');
}

function legend(series: Series[], y: number): string {
  const out: string[] = [`<g class="legend">`];
  let x = LEFTS[0]!;
  for (const s of series) {
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<line x1="${x}" x2="${x + 28}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="${s.thin ? 1.2 : 2.2}"${s.thin ? ' stroke-opacity="0.55"' : ''}${dash}/>`);
    if (s.markers === 'circle') out.push(`<circle cx="${x + 14}" cy="${y}" r="3.6" fill="${s.color}"/>`);
    if (s.markers === 'square') out.push(`<rect x="${x + 10.6}" y="${y - 3.4}" width="6.8" height="6.8" fill="${s.color}"/>`);
    out.push(`<text x="${x + 36}" y="${y}" dy="0.32em" class="legend-label">${esc(s.label)}</text>`);
    x += 56 + s.label.length * 7;
  }
  out.push('</g>');
  return out.join('\n');
}

/**
 * The whole chart. The loss panel plots `data.loss`, the accuracy panel `data.accuracy` (in %);
 * the legend lists the loss panel's series (both panels use the same ones).
 */
export function renderCurves(data: CurvesData): string {
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">`,
    `<style>
  .title { font-size: 19px; font-weight: bold; fill: #222; }
  .subtitle { font-size: 12.5px; fill: #555; }
  .panel-title { font-size: 14px; font-weight: bold; fill: #333; }
  .frame { fill: #fcfcfc; stroke: #999; stroke-width: 1; }
  .grid { stroke: #e4e4e4; stroke-width: 1; }
  .tick { stroke: #777; stroke-width: 1; }
  .tick-label { font-size: 11.5px; fill: #444; }
  .axis-label { font-size: 12.5px; fill: #333; }
  .legend-label { font-size: 12.5px; fill: #333; }
  .value { font-size: 11.5px; font-weight: bold; }
</style>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="30" text-anchor="middle" class="title">${esc(data.title)}</text>`,
    data.subtitle ? `<text x="${W / 2}" y="50" text-anchor="middle" class="subtitle">${esc(data.subtitle)}</text>` : '',
    legend(data.loss, 76),
    panel(LEFTS[0]!, 'Loss', 'cross entropy', data.loss, data.epochs, 'loss'),
    panel(LEFTS[1]!, 'Accuracy', 'accuracy (%)', data.accuracy, data.epochs, 'accuracy'),
    '</svg>',
    '',
  ];
  return parts.filter((p) => p !== '').join('\n');
}
