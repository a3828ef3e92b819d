/**
 * Turns a drawing into an MNIST-like 28x28 image, the way MNIST's digits were made (LeCun et
 * al.): the digit's bounding box is scaled so its longer side is 20 pixels (aspect ratio kept),
 * with anti-aliased grey levels, and the result is placed in a 28x28 field so that its centre of
 * mass sits at the field's centre. A net trained on MNIST sees a drawing the way it saw its data.
 *
 * Pure: no DOM, no canvas. Input and output are plain arrays of ink intensity in [0, 1].
 */

/** Side of the output image. */
export const SIZE = 28;
/** Longer side of the digit's box after scaling (MNIST's 20 in the 28 field). */
export const BOX = 20;
/**
 * Where the centre of mass goes, in pixel units (pixel i covers [i, i + 1)): the middle of pixel
 * (14, 14), not the field's geometric centre 14.0. MNIST's digits have their centre of mass
 * there (the mean over its test set is 14.5, 14.5 in these units: the centring was done in whole
 * pixels, at index 14); centring at 14.0 instead lowers the match with real digits measurably.
 */
export const CENTRE = 14.5;
/** Pixels at or below this intensity count as paper when finding the bounding box. */
const INK = 0.05;

/** A grayscale image, row-major, intensity in [0, 1] (0 = paper, 1 = ink). */
export interface Gray {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

/**
 * `image` (any size) -> 28x28 intensities in [0, 1], row-major; null when nothing is drawn.
 *
 * The resampling is area averaging under one affine map (scale, then the translation that moves
 * the centre of mass to {@link CENTRE}): each output pixel is the mean of the input over the square
 * it covers, fractional coverage included. Area averaging preserves mass and (up to the rounding
 * into pixels, hundredths of a pixel) its centre, so a fractional shift needs no second
 * resampling.
 *
 * The result is scaled so its brightest pixel is 1: MNIST's strokes reach full ink, while a pen
 * of fixed width gives thinner strokes (lower grey levels) the larger one draws.
 */
export function preprocessDigit(image: Gray): Float32Array | null {
  const { width: w, height: h, data } = image;
  if (data.length !== w * h) throw new Error(`preprocessDigit: ${data.length} values for a ${w}x${h} image`);
  // Bounding box of the ink, and its centre of mass (pixel i covers [i, i + 1), centre i + 0.5).
  let x0 = w;
  let x1 = -1;
  let y0 = h;
  let y1 = -1;
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = clamp01(data[y * w + x]!);
      if (v <= INK) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  if (x1 < 0) return null;
  // The same faint pixels the box ignores also stay out of the centre of mass (see the loop).
  const scale = BOX / Math.max(x1 - x0 + 1, y1 - y0 + 1);
  const cx = mx / mass;
  const cy = my / mass;
  // Output coordinate u = (x - cx) * scale + CENTRE, i.e. output pixel u covers input [x(u), x(u + 1)).
  const toInput = (u: number, c: number) => (u - CENTRE) / scale + c;
  const wx = coverage(w, (u) => toInput(u, cx));
  const wy = coverage(h, (v) => toInput(v, cy));
  // Separable: columns first (h x 28), then rows (28 x 28).
  const cols = new Float64Array(h * SIZE);
  for (let y = 0; y < h; y++) {
    for (let u = 0; u < SIZE; u++) {
      let s = 0;
      for (const [x, weight] of wx[u]!) {
        const v = clamp01(data[y * w + x]!);
        if (v > INK) s += weight * v;
      }
      cols[y * SIZE + u] = s;
    }
  }
  const out = new Float32Array(SIZE * SIZE);
  let peak = 0;
  for (let v = 0; v < SIZE; v++) {
    for (let u = 0; u < SIZE; u++) {
      let s = 0;
      for (const [y, weight] of wy[v]!) s += weight * cols[y * SIZE + u]!;
      // Mean over the covered square: the weights are lengths in input pixels, 1/scale each side.
      const value = s * scale * scale;
      out[v * SIZE + u] = value;
      peak = Math.max(peak, value);
    }
  }
  if (peak > 0) for (let i = 0; i < out.length; i++) out[i] = Math.min(1, out[i]! / peak);
  return out;
}

/** For each output index u, the input pixels it covers with the overlap lengths. */
function coverage(n: number, at: (u: number) => number): [number, number][][] {
  const rows: [number, number][][] = [];
  for (let u = 0; u < SIZE; u++) {
    const a = at(u);
    const b = at(u + 1);
    const row: [number, number][] = [];
    for (let i = Math.max(0, Math.floor(a)); i < Math.min(n, Math.ceil(b)); i++) {
      const overlap = Math.min(b, i + 1) - Math.max(a, i);
      if (overlap > 0) row.push([i, overlap]);
    }
    rows.push(row);
  }
  return rows;
}

const clamp01 = (v: number) => (v > 1 ? 1 : v > 0 ? v : 0);

/** The centre of mass (x, y) of a 28x28 image, in pixel units (pixel i's centre is i + 0.5). */
export function centreOfMass(img: ArrayLike<number>, size = SIZE): [number, number] {
  let m = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < size * size; i++) {
    const v = img[i]!;
    m += v;
    x += v * ((i % size) + 0.5);
    y += v * (Math.floor(i / size) + 0.5);
  }
  return m > 0 ? [x / m, y / m] : [NaN, NaN];
}
