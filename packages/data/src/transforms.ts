/**
 * Per-sample transforms in the spirit of torchvision's, working in place on one image
 * (channels x height x width float32 values) with randomness drawn from a Generator the
 * DataLoader derives per batch, so augmentations are reproducible.
 *
 * The loader hands every transform the image as float32 copies of the stored values (0-255
 * for uint8 datasets); {@link toTensor} scales uint8 data to [0, 1] as torchvision's
 * ToTensor does, so the usual chains read the same as in PyTorch:
 * `[randomCrop({ padding: 4 }), randomHorizontalFlip(), toTensor(), normalize(0.1307, 0.3081)]`.
 */
import type { Generator } from '@dynconv/core';

/** The layout of the images a transform sees, and the dataset's storage type. */
export interface SampleInfo {
  /** Channels per image. */
  readonly channels: number;
  /** Image height in pixels. */
  readonly height: number;
  /** Image width in pixels. */
  readonly width: number;
  /** How the dataset stores pixels: uint8 (0-255) or float32. */
  readonly source: 'uint8' | 'float32';
}

/** v -> scale[c] * v + shift[c] for channel c. */
export interface Affine {
  /** Per-channel factor. */
  readonly scale: readonly number[];
  /** Per-channel offset, added after scaling. */
  readonly shift: readonly number[];
}

/** One step of a sample pipeline. */
export interface Transform {
  /** For messages, e.g. "normalize(0.1307, 0.3081)". */
  readonly name: string;
  /**
   * Present when the step is a pointwise per-channel affine map drawing no random numbers;
   * the loader then fuses adjacent such steps into one pass (one table lookup per pixel
   * when they come first on uint8 data), computing in float64 and rounding once.
   */
  affine?(info: SampleInfo): Affine;
  /** Transforms one image in place; any randomness comes from `rng`. */
  apply(image: Float32Array, info: SampleInfo, rng: Generator): void;
}

function applyAffine(image: Float32Array, info: SampleInfo, a: Affine): void {
  const plane = info.height * info.width;
  for (let c = 0; c < info.channels; c++) {
    const s = a.scale[c]!;
    const t = a.shift[c]!;
    for (let i = c * plane, end = i + plane; i < end; i++) image[i] = image[i]! * s + t;
  }
}

function perChannel(what: string, v: number | readonly number[], channels: number): number[] {
  const arr = typeof v === 'number' ? [v] : [...v];
  if (arr.length === 1) return new Array<number>(channels).fill(arr[0]!);
  if (arr.length !== channels) throw new Error(`${what}: ${arr.length} values for ${channels} channels`);
  return arr;
}

/** Scales uint8 pixels to [0, 1] (divides by 255); float32 datasets pass through, as in torchvision. */
export function toTensor(): Transform {
  const affine = (info: SampleInfo): Affine => {
    const s = info.source === 'uint8' ? 1 / 255 : 1;
    return { scale: new Array<number>(info.channels).fill(s), shift: new Array<number>(info.channels).fill(0) };
  };
  return { name: 'toTensor()', affine, apply: (image, info) => applyAffine(image, info, affine(info)) };
}

/**
 * (v - mean[c]) / std[c] per channel; a single number applies to every channel.
 * @throws Error when a std is zero or not finite, or the counts do not match the channels (at first use).
 */
export function normalize(mean: number | readonly number[], std: number | readonly number[]): Transform {
  const name = `normalize(${JSON.stringify(mean)}, ${JSON.stringify(std)})`;
  for (const s of typeof std === 'number' ? [std] : std) if (!(Number.isFinite(s) && s !== 0)) throw new Error(`${name}: std must be finite and non-zero`);
  for (const m of typeof mean === 'number' ? [mean] : mean) if (!Number.isFinite(m)) throw new Error(`${name}: mean must be finite`);
  const affine = (info: SampleInfo): Affine => {
    const m = perChannel(name, mean, info.channels);
    const s = perChannel(name, std, info.channels);
    return { scale: s.map((x) => 1 / x), shift: m.map((x, c) => -x / s[c]!) };
  };
  return { name, affine, apply: (image, info) => applyAffine(image, info, affine(info)) };
}

/** Options of {@link randomCrop}. */
export interface RandomCropOptions {
  /** Pixels of `fill` added on every side before cropping; the shift is up to ±padding. */
  padding: number;
  /** Value of the padding, in the units the image has at this step (0 = black for raw pixels). */
  fill?: number;
}

/**
 * torchvision's RandomCrop(size = the image's size, padding): pads every side by `padding`
 * and takes a window of the original size at a uniformly random offset, i.e. shifts the
 * image by dy, dx in [-padding, padding] (drawn in that order) filling what moves in.
 */
export function randomCrop(opts: RandomCropOptions): Transform {
  const p = opts.padding;
  const fill = opts.fill ?? 0;
  if (!Number.isInteger(p) || p < 0) throw new Error(`randomCrop: padding must be a non-negative integer, got ${p}`);
  let scratch = new Float32Array(0);
  return {
    name: `randomCrop({ padding: ${p}, fill: ${fill} })`,
    apply(image, info, rng) {
      // Offsets into the padded image, as torchvision draws them (top, then left).
      const top = rng.nextInt(0, 2 * p + 1);
      const left = rng.nextInt(0, 2 * p + 1);
      const dy = top - p;
      const dx = left - p;
      if (dy === 0 && dx === 0) return;
      const { channels, height: h, width: w } = info;
      if (scratch.length < image.length) scratch = new Float32Array(image.length);
      scratch.set(image);
      // Output (y, x) reads source (y + dy, x + dx); the valid columns are one contiguous run.
      const x0 = Math.max(0, -dx);
      const x1 = Math.min(w, w - dx);
      for (let c = 0; c < channels; c++) {
        for (let y = 0; y < h; y++) {
          const out = (c * h + y) * w;
          const sy = y + dy;
          if (sy < 0 || sy >= h || x0 >= x1) {
            image.fill(fill, out, out + w);
            continue;
          }
          const src = (c * h + sy) * w;
          if (x0 > 0) image.fill(fill, out, out + x0);
          image.set(scratch.subarray(src + x0 + dx, src + x1 + dx), out + x0);
          if (x1 < w) image.fill(fill, out + x1, out + w);
        }
      }
    },
  };
}

/** Mirrors the image left-right (reverses every row) with probability `p`; draws one number per image either way. */
export function randomHorizontalFlip(p = 0.5): Transform {
  if (!(p >= 0 && p <= 1)) throw new Error(`randomHorizontalFlip: p must lie in [0, 1], got ${p}`);
  return {
    name: `randomHorizontalFlip(${p})`,
    apply(image, info, rng) {
      if (!(rng.nextDouble() < p)) return;
      const w = info.width;
      const rows = info.channels * info.height;
      for (let r = 0; r < rows; r++) image.subarray(r * w, (r + 1) * w).reverse();
    },
  };
}
