/**
 * The Train tab's live chart: training loss (left axis) and batch accuracy (right axis, 0-100%)
 * per step, each as faint per-step points under a smoothed line. Per-step values of small
 * batches are noisy; the smoothing (an exponential moving average, bias-corrected like Adam's
 * moments so the first steps are not pulled toward 0) shows the trend.
 */

/** Exponential moving averages of a series, bias-corrected; `beta` near 1 smooths more. */
export function smooth(values: readonly number[], beta = 0.9): number[] {
  const out: number[] = [];
  let m = 0;
  values.forEach((v, i) => {
    m = beta * m + (1 - beta) * v;
    out.push(m / (1 - beta ** (i + 1)));
  });
  return out;
}

const LOSS = '#d95f02';
const ACC = '#1b9e77';

export class LossChart {
  private loss: number[] = [];
  private acc: number[] = [];
  private totalSteps = 1;
  private frame = 0;

  constructor(readonly canvas: HTMLCanvasElement) {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  reset(totalSteps: number): void {
    this.loss = [];
    this.acc = [];
    this.totalSteps = Math.max(1, totalSteps);
    this.draw();
  }

  push(loss: number, accuracy: number): void {
    this.loss.push(loss);
    this.acc.push(accuracy);
    // One redraw per frame however fast steps arrive.
    if (!this.frame) this.frame = requestAnimationFrame(() => ((this.frame = 0), this.draw()));
  }

  /** The smoothed loss so far (the test reads it to check that training works). */
  smoothedLoss(): number[] {
    return smooth(this.loss);
  }

  draw(): void {
    const { canvas } = this;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
    if (canvas.width !== w || canvas.height !== h) Object.assign(canvas, { width: w, height: h });
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const W = w / dpr;
    const H = h / dpr;
    const pad = { l: 40, r: 44, t: 10, b: 24 };
    ctx.clearRect(0, 0, W, H);
    ctx.font = '11px system-ui, sans-serif';
    const maxLoss = Math.max(2.5, ...this.loss.filter(Number.isFinite));
    const x = (i: number) => pad.l + ((i + 1) / this.totalSteps) * (W - pad.l - pad.r);
    const yLoss = (v: number) => H - pad.b - (v / maxLoss) * (H - pad.t - pad.b);
    const yAcc = (v: number) => H - pad.b - v * (H - pad.t - pad.b);

    // Axes and labels.
    ctx.strokeStyle = '#ccc';
    ctx.fillStyle = '#555';
    ctx.lineWidth = 1;
    for (let k = 0; k <= 4; k++) {
      const y = pad.t + (k / 4) * (H - pad.t - pad.b);
      ctx.beginPath();
      ctx.moveTo(pad.l, y);
      ctx.lineTo(W - pad.r, y);
      ctx.stroke();
      ctx.textAlign = 'right';
      ctx.fillText((maxLoss * (1 - k / 4)).toFixed(1), pad.l - 4, y + 4);
      ctx.textAlign = 'left';
      ctx.fillText(`${100 - 25 * k}%`, W - pad.r + 4, y + 4);
    }
    ctx.textAlign = 'center';
    ctx.fillText(`step (of ${this.totalSteps})`, (pad.l + W - pad.r) / 2, H - 6);
    ctx.fillStyle = LOSS;
    ctx.textAlign = 'left';
    ctx.fillText('loss', pad.l + 4, pad.t + 12);
    ctx.fillStyle = ACC;
    ctx.textAlign = 'right';
    ctx.fillText('accuracy', W - pad.r - 4, pad.t + 12);

    this.series(ctx, this.loss, x, yLoss, LOSS);
    this.series(ctx, this.acc, x, yAcc, ACC);
  }

  private series(ctx: CanvasRenderingContext2D, values: number[], x: (i: number) => number, y: (v: number) => number, colour: string): void {
    ctx.fillStyle = colour;
    ctx.globalAlpha = 0.35;
    values.forEach((v, i) => ctx.fillRect(x(i) - 1.5, y(v) - 1.5, 3, 3));
    ctx.globalAlpha = 1;
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    smooth(values).forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    ctx.stroke();
  }
}
