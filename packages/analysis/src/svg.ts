/**
 * A small SVG writer for the report's figures, no dependencies: a grid of histograms (the
 * paper's correlation figures, side by side), charts of points with error bars (accuracy
 * against cost), and stacked S/M/W/N bars. Each returns a standalone SVG document as a string,
 * with fixed sizes in px and system fonts, readable on GitHub.
 */
import { BIN_NAMES, type BinCounts, type Histogram, histogramEdges } from './bins.js';

/** Escapes text for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A coordinate with at most one decimal (keeps the files small and diffs stable). */
const n = (x: number) => String(Math.round(x * 10) / 10);

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

function doc(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" ${FONT} font-size="12">`,
    `<rect width="${n(width)}" height="${n(height)}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}"${attrs ? ` ${attrs}` : ''}>${escapeXml(s)}</text>`;
}

/** Round tick values covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

const tickLabel = (v: number) => (Math.abs(v) >= 1000 ? v.toLocaleString('en-US') : String(Number(v.toPrecision(6))));

/** The default colours, in order (colour-blind safe: Okabe–Ito). */
export const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'] as const;

// ---- histograms ---------------------------------------------------------------------------------

/** One histogram of a {@link HistogramGridSpec}. */
export interface HistogramCell {
  /** The counts (drawn as fractions of their total). */
  histogram: Histogram;
  /** Bar colour (default: the column's colour from {@link PALETTE}). */
  color?: string;
  /** A line of text under the panel (say, mean |r| and the S/M/W/N shares). */
  note?: string;
}

/** One row of a {@link HistogramGridSpec}. */
export interface HistogramGridRow {
  /** Text left of the row. */
  label: string;
  /** One cell per column (null leaves the cell empty). */
  cells: (HistogramCell | null)[];
}

/** A grid of histograms: one row per layer, one column per model, say. */
export interface HistogramGridSpec {
  /** The figure's title. */
  title: string;
  /** A smaller line under it. */
  subtitle?: string;
  /** Column headings. */
  columns: string[];
  /** The rows, top to bottom. */
  rows: HistogramGridRow[];
  /** The x axis label (default "r"). */
  xLabel?: string;
  /** Dashed guides at these |x| (default the S/M/W/N thresholds 0.3, 0.5, 0.7). */
  guides?: number[];
}

/** A grid of histograms drawn as bars of fractions, the y scale shared along each row. */
export function renderHistogramGrid(spec: HistogramGridSpec): string {
  const cellW = 210;
  const cellH = 120;
  const padL = 150;
  const padT = spec.subtitle ? 78 : 60;
  const gapX = 26;
  const gapY = 58;
  const cols = spec.columns.length;
  const width = padL + cols * (cellW + gapX) + 10;
  const height = padT + spec.rows.length * (cellH + gapY) + 10;
  const body: string[] = [text(12, 24, spec.title, 'font-size="16" font-weight="600"')];
  if (spec.subtitle) body.push(text(12, 44, spec.subtitle, 'fill="#555"'));
  const guides = spec.guides ?? [0.3, 0.5, 0.7];
  spec.columns.forEach((c, j) => body.push(text(padL + j * (cellW + gapX) + cellW / 2, padT - 14, c, 'text-anchor="middle" font-weight="600"')));
  spec.rows.forEach((row, i) => {
    const y0 = padT + i * (cellH + gapY);
    body.push(text(12, y0 + cellH / 2 + 4, row.label, 'font-weight="600"'));
    const fractions = row.cells.map((c) => {
      if (!c) return null;
      const total = c.histogram.counts.reduce((a, b) => a + b, 0);
      return c.histogram.counts.map((k) => (total ? k / total : 0));
    });
    const top = Math.max(0.01, ...fractions.flatMap((f) => f ?? []));
    const ticks = niceTicks(0, top, 3);
    const yMax = Math.max(top, ticks.at(-1)!);
    row.cells.forEach((cell, j) => {
      const x0 = padL + j * (cellW + gapX);
      body.push(`<rect x="${n(x0)}" y="${n(y0)}" width="${cellW}" height="${cellH}" fill="#fafafa" stroke="#ccc"/>`);
      if (!cell) {
        body.push(text(x0 + cellW / 2, y0 + cellH / 2, '(none)', 'text-anchor="middle" fill="#999"'));
        return;
      }
      const h = cell.histogram;
      const sx = (v: number) => x0 + ((v - h.min) / (h.max - h.min)) * cellW;
      const sy = (f: number) => y0 + cellH - (f / yMax) * cellH;
      for (const gv of guides) {
        for (const v of [-gv, gv]) if (v > h.min && v < h.max) body.push(`<line x1="${n(sx(v))}" y1="${n(y0)}" x2="${n(sx(v))}" y2="${n(y0 + cellH)}" stroke="#bbb" stroke-dasharray="3,3"/>`);
      }
      const edges = histogramEdges(h);
      const color = cell.color ?? PALETTE[j % PALETTE.length];
      fractions[j]!.forEach((f, k) => {
        if (f <= 0) return;
        const xa = sx(edges[k]!);
        const xb = sx(edges[k + 1]!);
        body.push(`<rect x="${n(xa + 0.5)}" y="${n(sy(f))}" width="${n(Math.max(0.5, xb - xa - 1))}" height="${n(y0 + cellH - sy(f))}" fill="${color}"/>`);
      });
      for (const t of ticks) {
        body.push(`<line x1="${n(x0 - 3)}" y1="${n(sy(t))}" x2="${n(x0)}" y2="${n(sy(t))}" stroke="#666"/>`);
        if (j === 0) body.push(text(x0 - 5, sy(t) + 4, `${Math.round(t * 100)}%`, 'text-anchor="end" font-size="10" fill="#555"'));
      }
      for (const v of niceTicks(h.min, h.max, 4)) body.push(text(sx(v), y0 + cellH + 13, tickLabel(v), 'text-anchor="middle" font-size="10" fill="#555"'));
      if (cell.note) body.push(text(x0 + cellW / 2, y0 + cellH + 28, cell.note, 'text-anchor="middle" font-size="10.5"'));
    });
  });
  body.push(text(width - 12, height - 4, `x: ${spec.xLabel ?? 'r'}; bars: fraction of pairs; dashed: |r| = ${guides.join(', ')}`, 'text-anchor="end" font-size="10" fill="#777"'));
  return doc(width, height, body);
}

// ---- points with error bars ----------------------------------------------------------------------

/** A point with a symmetric error bar (say mean ± standard deviation). */
export interface ErrorBarPoint {
  /** Position on the x axis. */
  x: number;
  /** Position on the y axis. */
  y: number;
  /** Half the error bar's length (0 for none). */
  error: number;
  /** A label written next to the point. */
  label?: string;
}

/** A series of points in one colour. */
export interface ErrorBarSeries {
  /** Its name in the legend. */
  label: string;
  /** Its colour (default from {@link PALETTE}). */
  color?: string;
  /** Its points. */
  points: ErrorBarPoint[];
  /** Join the points with a line (default false). */
  line?: boolean;
}

/** One panel of an {@link ErrorBarChartSpec}. */
export interface ErrorBarPanel {
  /** The panel's heading. */
  title: string;
  /** The x axis label. */
  xLabel: string;
  /** The y axis label. */
  yLabel: string;
  /** A log-scaled x axis (default linear). */
  xLog?: boolean;
  /** The series drawn. */
  series: ErrorBarSeries[];
  /** Tick positions on the x axis (default: round numbers, or powers of 2 and 10 on a log axis). */
  xTicks?: number[];
}

/** Panels side by side, each a scatter of points with error bars. */
export interface ErrorBarChartSpec {
  /** The figure's title. */
  title: string;
  /** A smaller line under it. */
  subtitle?: string;
  /** The panels, left to right. */
  panels: ErrorBarPanel[];
}

/** Points with error bars, panels side by side, a legend per panel. */
export function renderErrorBarChart(spec: ErrorBarChartSpec): string {
  const panelW = 400;
  const panelH = 260;
  const padL = 64;
  const padT = spec.subtitle ? 84 : 66;
  const gap = 90;
  const legendH = 18 * Math.max(...spec.panels.map((p) => p.series.length), 1);
  // Wide enough for the subtitle too (about 6.3 px per character at 12 px).
  const width = Math.max(padL + spec.panels.length * (panelW + gap) - gap + 24, 24 + 6.3 * (spec.subtitle?.length ?? 0));
  const height = padT + panelH + 48 + legendH + 8;
  const body: string[] = [text(12, 24, spec.title, 'font-size="16" font-weight="600"')];
  if (spec.subtitle) body.push(text(12, 44, spec.subtitle, 'fill="#555"'));
  spec.panels.forEach((panel, pi) => {
    const x0 = padL + pi * (panelW + gap);
    const y0 = padT;
    const pts = panel.series.flatMap((s) => s.points);
    const xs = pts.map((p) => p.x);
    const lows = pts.map((p) => p.y - p.error);
    const highs = pts.map((p) => p.y + p.error);
    let [xa, xb] = [Math.min(...xs), Math.max(...xs)];
    let [ya, yb] = [Math.min(...lows), Math.max(...highs)];
    if (!(yb > ya)) [ya, yb] = [ya - 1, yb + 1];
    const ypad = (yb - ya) * 0.08;
    [ya, yb] = [ya - ypad, yb + ypad];
    const tx = (v: number) => (panel.xLog ? Math.log10(v) : v);
    if (!(xb > xa)) [xa, xb] = panel.xLog ? [xa / 2, xb * 2] : [xa - 1, xb + 1];
    const [la, lb] = [tx(xa), tx(xb)];
    const xpad = (lb - la) * 0.15;
    const sx = (v: number) => x0 + ((tx(v) - (la - xpad)) / (lb - la + 2 * xpad)) * panelW;
    const sy = (v: number) => y0 + panelH - ((v - ya) / (yb - ya)) * panelH;
    body.push(text(x0 + panelW / 2, y0 - 12, panel.title, 'text-anchor="middle" font-weight="600"'));
    body.push(`<rect x="${n(x0)}" y="${n(y0)}" width="${panelW}" height="${panelH}" fill="#fafafa" stroke="#ccc"/>`);
    for (const t of niceTicks(ya, yb, 5)) {
      body.push(`<line x1="${n(x0)}" y1="${n(sy(t))}" x2="${n(x0 + panelW)}" y2="${n(sy(t))}" stroke="#e6e6e6"/>`);
      body.push(text(x0 - 6, sy(t) + 4, tickLabel(t), 'text-anchor="end" font-size="10.5" fill="#555"'));
    }
    const xTicks = panel.xTicks ?? (panel.xLog ? logTicks(xa, xb) : niceTicks(xa, xb, 5));
    for (const t of xTicks) {
      body.push(`<line x1="${n(sx(t))}" y1="${n(y0 + panelH)}" x2="${n(sx(t))}" y2="${n(y0 + panelH + 4)}" stroke="#666"/>`);
      body.push(text(sx(t), y0 + panelH + 17, tickLabel(t), 'text-anchor="middle" font-size="10.5" fill="#555"'));
    }
    body.push(text(x0 + panelW / 2, y0 + panelH + 34, panel.xLabel, 'text-anchor="middle"'));
    body.push(text(x0 - 46, y0 + panelH / 2, panel.yLabel, `text-anchor="middle" transform="rotate(-90 ${n(x0 - 46)} ${n(y0 + panelH / 2)})"`));
    panel.series.forEach((s, si) => {
      const color = s.color ?? PALETTE[si % PALETTE.length];
      if (s.line && s.points.length > 1) {
        const sorted = [...s.points].sort((a, b) => a.x - b.x);
        body.push(`<path d="${sorted.map((p, k) => `${k ? 'L' : 'M'}${n(sx(p.x))},${n(sy(p.y))}`).join(' ')}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
      }
      for (const p of s.points) {
        const [cx, cy] = [sx(p.x), sy(p.y)];
        if (p.error > 0) {
          const [t, b] = [sy(p.y + p.error), sy(p.y - p.error)];
          body.push(`<path d="M${n(cx)},${n(t)} L${n(cx)},${n(b)} M${n(cx - 5)},${n(t)} L${n(cx + 5)},${n(t)} M${n(cx - 5)},${n(b)} L${n(cx + 5)},${n(b)}" stroke="${color}" stroke-width="1.3" fill="none"/>`);
        }
        body.push(`<circle cx="${n(cx)}" cy="${n(cy)}" r="4" fill="${color}"/>`);
        // Labels go right of the point, or left of it near the panel's right edge.
        if (p.label) body.push(text(cx > x0 + panelW * 0.8 ? cx - 8 : cx + 8, cy - 6, p.label, `font-size="10.5" fill="${color}"${cx > x0 + panelW * 0.8 ? ' text-anchor="end"' : ''}`));
      }
      const ly = y0 + panelH + 52 + si * 18;
      body.push(`<circle cx="${n(x0 + 8)}" cy="${n(ly - 4)}" r="4" fill="${color}"/>`);
      body.push(text(x0 + 18, ly, s.label, 'font-size="11"'));
    });
  });
  return doc(width, height, body);
}

/** Ticks for a log axis: 1, 2, 5 times powers of 10 inside [lo, hi] (at least the ends). */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(Number(v.toPrecision(6)));
    }
  }
  return out.length >= 2 ? out : [Number(lo.toPrecision(3)), Number(hi.toPrecision(3))];
}

// ---- S/M/W/N bars -------------------------------------------------------------------------------

/** One stacked bar: a label and the four bins' fractions. */
export interface BinBarRow {
  /** Text left of the bar. */
  label: string;
  /** Fractions per bin (summing to 1). */
  fractions: BinCounts;
}

/** A labelled group of bars of a {@link BinBarSpec}. */
export interface BinBarGroup {
  /** The group's heading. */
  label: string;
  /** Its bars, top to bottom. */
  rows: BinBarRow[];
}

/** Groups of stacked S/M/W/N bars (say, one group per layer, one bar per model). */
export interface BinBarSpec {
  /** The figure's title. */
  title: string;
  /** A smaller line under it. */
  subtitle?: string;
  /** The groups, top to bottom. */
  groups: BinBarGroup[];
  /** Legend text of each bin (default "strong", "medium", ...). */
  binLabels?: Partial<Record<(typeof BIN_NAMES)[number], string>>;
}

const BIN_COLORS = { strong: '#b2182b', medium: '#ef8a62', weak: '#fddbc7', none: '#d1e5f0' } as const;

/** Horizontal bars, each split into the S/M/W/N fractions, grouped. */
export function renderBinBars(spec: BinBarSpec): string {
  const barW = 420;
  const barH = 16;
  const padL = 220;
  const padT = spec.subtitle ? 90 : 72;
  const groupGap = 22;
  const rows = spec.groups.reduce((k, g) => k + g.rows.length, 0);
  const width = padL + barW + 90;
  const height = padT + rows * (barH + 4) + spec.groups.length * (groupGap + 16) + 30;
  const body: string[] = [text(12, 24, spec.title, 'font-size="16" font-weight="600"')];
  if (spec.subtitle) body.push(text(12, 44, spec.subtitle, 'fill="#555"'));
  let lx = padL;
  for (const b of BIN_NAMES) {
    const label = spec.binLabels?.[b] ?? b;
    body.push(`<rect x="${n(lx)}" y="${n(padT - 30)}" width="12" height="12" fill="${BIN_COLORS[b]}" stroke="#999"/>`);
    body.push(text(lx + 16, padT - 20, label, 'font-size="11"'));
    lx += 30 + label.length * 6.5;
  }
  let y = padT;
  for (const g of spec.groups) {
    body.push(text(12, y + 12, g.label, 'font-weight="600"'));
    y += 16;
    for (const r of g.rows) {
      body.push(text(padL - 8, y + barH - 4, r.label, 'text-anchor="end" font-size="11"'));
      let x = padL;
      for (const b of BIN_NAMES) {
        const w = (Number.isFinite(r.fractions[b]) ? r.fractions[b] : 0) * barW;
        if (w > 0) body.push(`<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${barH}" fill="${BIN_COLORS[b]}"/>`);
        x += w;
      }
      body.push(`<rect x="${n(padL)}" y="${n(y)}" width="${barW}" height="${barH}" fill="none" stroke="#999"/>`);
      const sm = r.fractions.strong + r.fractions.medium;
      body.push(text(padL + barW + 6, y + barH - 4, `S+M ${(100 * sm).toFixed(1)}%`, 'font-size="10.5" fill="#555"'));
      y += barH + 4;
    }
    y += groupGap;
  }
  return doc(width, height, body);
}
