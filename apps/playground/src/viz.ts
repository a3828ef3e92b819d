/**
 * The Classify tab's pictures: probability bars, coefficient heat maps and kernels. Heat maps and
 * kernels are drawn one canvas pixel per value and enlarged by CSS (`image-rendering: pixelated`),
 * so a redraw per pointer move is a few thousand pixels, not a layout.
 */

type Rgb = [number, number, number];

/** A sequential colour map (dark blue -> teal -> yellow, close to viridis) for values in [0, 1]. */
const SEQUENTIAL: Rgb[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function lerpStops(stops: Rgb[], t: number): Rgb {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

/**
 * Diverging: blue for negative, white for 0, red for positive; v in [-1, 1]. A square root
 * stretches small values: a kernel's taps are mostly small next to its largest one.
 */
function diverging(v: number): Rgb {
  const t = Math.sqrt(Math.min(1, Math.abs(v)));
  return v < 0 ? [255 - 200 * t, 255 - 150 * t, 255] : [255, 255 - 190 * t, 255 - 200 * t];
}

/**
 * Draws a rows x cols grid of values in [0, 1] into `canvas` (one pixel per cell), e.g. a dynamic
 * layer's coefficients: a row per fixed kernel i, a column per output channel.
 */
export function drawHeatMap(canvas: HTMLCanvasElement, values: (r: number, c: number) => number, rows: number, cols: number): void {
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(cols, rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const [R, G, B] = lerpStops(SEQUENTIAL, values(r, c));
      img.data.set([R, G, B, 255], (r * cols + c) * 4);
    }
  }
  ctx.putImageData(img, 0, 0);
}

/**
 * Draws a kernel [inChannels, kh, kw] as a grid of its input channels' kh x kw slices, one pixel
 * apart, coloured from -scale (blue) to +scale (red).
 */
export function drawKernel(canvas: HTMLCanvasElement, kernel: Float32Array, inChannels: number, kh: number, kw: number, scale: number): void {
  const gridCols = Math.ceil(Math.sqrt(inChannels));
  const gridRows = Math.ceil(inChannels / gridCols);
  const w = gridCols * (kw + 1) - 1;
  const h = gridRows * (kh + 1) - 1;
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  // Gaps between slices: light grey.
  for (let i = 0; i < w * h; i++) img.data.set([225, 225, 225, 255], i * 4);
  for (let c = 0; c < inChannels; c++) {
    const x0 = (c % gridCols) * (kw + 1);
    const y0 = Math.floor(c / gridCols) * (kh + 1);
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        const [R, G, B] = diverging(kernel[(c * kh + y) * kw + x]! / (scale || 1));
        img.data.set([R, G, B, 255], ((y0 + y) * w + x0 + x) * 4);
      }
    }
  }
  ctx.putImageData(img, 0, 0);
}

/** The largest |value| of some arrays (a shared colour scale for a row of kernels). */
export function maxAbs(...arrays: Float32Array[]): number {
  let m = 0;
  for (const a of arrays) for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

/** Ten bars, one per digit, inside `list` (an <ol>): built once, then updated in place. */
export class ProbabilityBars {
  private readonly bars: HTMLElement[] = [];
  private readonly values: HTMLElement[] = [];
  private readonly items: HTMLElement[] = [];

  constructor(readonly list: HTMLElement) {
    list.replaceChildren();
    for (let d = 0; d < 10; d++) {
      const li = document.createElement('li');
      li.innerHTML = `<span class="digit">${d}</span><span class="track"><span class="bar"></span></span><span class="value"></span>`;
      list.append(li);
      this.items.push(li);
      this.bars.push(li.querySelector('.bar')!);
      this.values.push(li.querySelector('.value')!);
    }
  }

  /** Shows `probs` (or clears the bars when null); the top class is highlighted. */
  update(probs: Float32Array | null, top: number): void {
    for (let d = 0; d < 10; d++) {
      const p = probs ? probs[d]! : 0;
      this.bars[d]!.style.width = `${(100 * p).toFixed(1)}%`;
      this.values[d]!.textContent = probs ? `${(100 * p).toFixed(p < 0.995 ? 1 : 0)}%` : '';
      this.items[d]!.classList.toggle('top', probs !== null && d === top);
      this.items[d]!.setAttribute('aria-label', probs ? `${d}: ${(100 * p).toFixed(1)} percent` : `${d}`);
    }
  }
}
