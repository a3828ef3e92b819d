/**
 * The drawing canvas: dark ink on white paper, drawn with pointer events (mouse, touch and pen
 * alike). The backing store is a fixed 280x280 whatever the canvas's size on screen, so a
 * drawing means the same on a phone and a desktop; preprocess.ts turns it into 28x28.
 */
import type { Gray } from './preprocess.js';

/** Backing-store side: ten times MNIST's 28. */
const SIDE = 280;
/** Pen width in backing-store pixels: MNIST strokes are about 2-3 pixels of a 20-pixel digit. */
const PEN = 22;

export class DrawPad {
  private readonly ctx: CanvasRenderingContext2D;
  private last: { x: number; y: number } | null = null;
  /** Whether anything is on the paper. */
  inked = false;

  constructor(
    readonly canvas: HTMLCanvasElement,
    /** Called after every change of the drawing (the caller batches redraws per frame). */
    private readonly onChange: () => void,
  ) {
    canvas.width = SIDE;
    canvas.height = SIDE;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear(false);
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture'] as const) canvas.addEventListener(type, () => (this.last = null));
  }

  /** Blank paper. */
  clear(notify = true): void {
    this.ctx.fillStyle = '#fff';
    this.ctx.fillRect(0, 0, SIDE, SIDE);
    this.inked = false;
    if (notify) this.onChange();
  }

  /** Paints a 28x28 image (0-255 ink, MNIST's layout) over the whole paper, smoothed. */
  showDigit(pixels: Uint8Array): void {
    const small = document.createElement('canvas');
    small.width = small.height = 28;
    const c = small.getContext('2d')!;
    const img = c.createImageData(28, 28);
    pixels.forEach((v, i) => {
      img.data.set([255 - v, 255 - v, 255 - v, 255], i * 4);
    });
    c.putImageData(img, 0, 0);
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.drawImage(small, 0, 0, SIDE, SIDE);
    this.inked = true;
    this.onChange();
  }

  /** The drawing as ink intensity in [0, 1] (0 = paper), row-major SIDE x SIDE. */
  intensity(): Gray {
    const { data } = this.ctx.getImageData(0, 0, SIDE, SIDE);
    const out = new Float32Array(SIDE * SIDE);
    for (let i = 0; i < out.length; i++) out[i] = 1 - data[i * 4]! / 255;
    return { width: SIDE, height: SIDE, data: out };
  }

  /** Event position in backing-store pixels. */
  private at(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * SIDE) / r.width, y: ((e.clientY - r.top) * SIDE) / r.height };
  }

  private down(e: PointerEvent): void {
    if (e.button !== 0) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.last = this.at(e);
    this.segment(this.last, this.last);
  }

  private move(e: PointerEvent): void {
    if (!this.last) return;
    // Coalesced events: every sample of a fast stroke, not one per frame.
    for (const ev of e.getCoalescedEvents?.() ?? [e]) {
      const p = this.at(ev);
      this.segment(this.last, p);
      this.last = p;
    }
  }

  private segment(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const { ctx } = this;
    ctx.strokeStyle = '#000';
    ctx.lineWidth = PEN;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
    this.inked = true;
    this.onChange();
  }
}
