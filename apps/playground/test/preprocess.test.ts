/**
 * The playground's MNIST-style preprocessing (apps/playground/src/preprocess.ts): box scaled to
 * 20 pixels with its aspect ratio, centre of mass at the centre of the 28x28 field, grey levels
 * by area averaging; and on real MNIST digits, blown up as if drawn, it gives back the digit.
 */
import { loadMnist } from '@dynconv/data/node';
import { describe, expect, it } from 'vitest';
import { BOX, CENTRE, centreOfMass, type Gray, preprocessDigit, SIZE } from '../src/preprocess.js';

/** A w x h image with ink where `ink(x, y)`. */
function image(w: number, h: number, ink: (x: number, y: number) => number): Gray {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = ink(x, y);
  return { width: w, height: h, data };
}

/**
 * Width and height of a solid block in the output, in pixels (fractional): its mass over its
 * fullest column's (row's) mass. Counting inked columns would count the grey edge pixels that a
 * fractional placement makes.
 */
function extent(img: Float32Array): { width: number; height: number } {
  const cols = new Float64Array(SIZE);
  const rows = new Float64Array(SIZE);
  img.forEach((v, i) => {
    cols[i % SIZE] += v;
    rows[Math.floor(i / SIZE)] += v;
  });
  const total = cols.reduce((a, b) => a + b, 0);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { width: round(total / Math.max(...cols)), height: round(total / Math.max(...rows)) };
}

/** Nearest-neighbour enlargement by an integer factor (a drawing of the same digit, bigger). */
function enlarge(g: Gray, k: number, dx = 0, dy = 0, w = g.width * k + dx, h = g.height * k + dy): Gray {
  return image(w, h, (x, y) => {
    const sx = Math.floor((x - dx) / k);
    const sy = Math.floor((y - dy) / k);
    return sx >= 0 && sy >= 0 && sx < g.width && sy < g.height ? g.data[sy * g.width + sx]! : 0;
  });
}

describe('preprocessDigit', () => {
  it('returns null for an empty drawing', () => {
    expect(preprocessDigit(image(280, 280, () => 0))).toBeNull();
    expect(preprocessDigit(image(280, 280, () => 0.01))).toBeNull(); // below the ink threshold
  });

  it('scales the bounding box to 20 pixels on its longer side, keeping the aspect ratio', () => {
    // A 100 x 50 block, then a 36 x 120 one.
    const wide = preprocessDigit(image(280, 280, (x, y) => (x >= 40 && x < 140 && y >= 100 && y < 150 ? 1 : 0)))!;
    expect(extent(wide)).toEqual({ width: BOX, height: BOX / 2 });
    const tall = preprocessDigit(image(200, 300, (x, y) => (x >= 10 && x < 46 && y >= 20 && y < 140 ? 1 : 0)))!;
    expect(extent(tall)).toEqual({ width: 6, height: BOX });
    // Area averaging keeps the mass: a full block of 20 x 10 output pixels of ink.
    expect(wide.reduce((a, b) => a + b, 0)).toBeCloseTo(BOX * (BOX / 2), 3);
  });

  it('puts the centre of mass at the centre of pixel (14, 14), as MNIST does, fractional shifts included', () => {
    // An L: its centre of mass is far from its box's centre.
    const l = image(150, 170, (x, y) => ((x >= 20 && x < 35 && y >= 30 && y < 150) || (x >= 20 && x < 120 && y >= 135 && y < 150) ? 1 : 0));
    const out = preprocessDigit(l)!;
    const [cx, cy] = centreOfMass(out);
    // Exact for the continuous image; the rounding into pixels moves it by hundredths.
    expect(Math.abs(cx - CENTRE)).toBeLessThan(0.03);
    expect(Math.abs(cy - CENTRE)).toBeLessThan(0.03);
    // Fractional placement means grey edges (anti-aliasing), not only 0 and 1.
    expect(out.some((v) => v > 0.05 && v < 0.95)).toBe(true);
  });

  it('does not depend on where the digit is drawn or how big', () => {
    const digit = image(30, 40, (x, y) => (Math.abs(Math.hypot(x - 15, y - 20) - 11) < 3 ? 1 : 0)); // a ring, a "0"
    const a = preprocessDigit(enlarge(digit, 4, 10, 7, 280, 280))!;
    const b = preprocessDigit(enlarge(digit, 4, 130, 90, 280, 280))!;
    const c = preprocessDigit(enlarge(digit, 8))!;
    const maxDiff = (p: Float32Array, q: Float32Array) => p.reduce((m, v, i) => Math.max(m, Math.abs(v - q[i]!)), 0);
    expect(maxDiff(a, b)).toBeLessThan(1e-5);
    expect(maxDiff(a, c)).toBeLessThan(1e-4);
  });

  it('gives back real MNIST digits drawn ten times larger', async () => {
    const test = await loadMnist('test');
    const n = 200;
    let sum = 0;
    let worst = 1;
    for (let i = 0; i < n; i++) {
      const { image: px } = test.get(i);
      const digit: Gray = { width: 28, height: 28, data: Array.from(px, (v) => v / 255) };
      const out = preprocessDigit(enlarge(digit, 10))!;
      const r = correlation(Array.from(digit.data), Array.from(out));
      sum += r;
      worst = Math.min(worst, r);
    }
    // MNIST's own boxes and centring were computed the same way (in whole pixels), up to its
    // anti-aliasing; a digit moved by one pixel correlates at about 0.5.
    expect(sum / n).toBeGreaterThan(0.95); // measured 0.965
    expect(worst).toBeGreaterThan(0.6);
  });

  it('rejects a data array of the wrong size', () => {
    expect(() => preprocessDigit({ width: 10, height: 10, data: new Float32Array(99) })).toThrow(/99 values for a 10x10 image/);
  });
});

function correlation(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}
