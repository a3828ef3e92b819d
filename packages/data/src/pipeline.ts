/**
 * Compiles a list of transforms into one function that turns a stored image into its
 * float32 batch slot. Pointwise affine steps (toTensor, normalize) are fused: when they
 * come first on uint8 data the conversion is a single 256-entry table lookup per pixel, so
 * the evaluation path costs one pass over the data.
 */
import type { Generator } from '@dynconv/core';
import type { PixelArray } from './dataset.js';
import type { Affine, SampleInfo, Transform } from './transforms.js';

/** Writes the transformed image `src[srcOffset ..]` to `dst[dstOffset ..]` (sampleSize values each). */
export type SampleWriter = (src: PixelArray, srcOffset: number, dst: Float32Array, dstOffset: number, rng: Generator) => void;

function compose(a: Affine, b: Affine): Affine {
  // b(a(v)) = b.scale * (a.scale * v + a.shift) + b.shift
  return { scale: a.scale.map((s, c) => b.scale[c]! * s), shift: a.shift.map((t, c) => b.scale[c]! * t + b.shift[c]!) };
}

type Step = { kind: 'affine'; affine: Affine } | { kind: 'apply'; transform: Transform };

/** Groups the transforms into steps, fusing runs of affine ones. */
function plan(transforms: readonly Transform[], info: SampleInfo): Step[] {
  const steps: Step[] = [];
  for (const t of transforms) {
    const a = t.affine?.(info);
    if (a && (a.scale.length !== info.channels || a.shift.length !== info.channels)) {
      throw new Error(`${t.name}: affine() gave ${a.scale.length} scales and ${a.shift.length} shifts for ${info.channels} channels`);
    }
    const last = steps[steps.length - 1];
    if (a && last?.kind === 'affine') last.affine = compose(last.affine, a);
    else steps.push(a ? { kind: 'affine', affine: a } : { kind: 'apply', transform: t });
  }
  return steps;
}

/** Builds the writer for `transforms` on images described by `info`. */
export function compilePipeline(transforms: readonly Transform[], info: SampleInfo): SampleWriter {
  const size = info.channels * info.height * info.width;
  const plane = info.height * info.width;
  const steps = plan(transforms, info);
  const first = steps[0]?.kind === 'affine' ? (steps.shift() as { affine: Affine }).affine : undefined;
  const fuseAffine = (a: Affine) => (dst: Float32Array, off: number): void => {
    for (let c = 0; c < info.channels; c++) {
      const s = a.scale[c]!;
      const t = a.shift[c]!;
      for (let i = off + c * plane, end = i + plane; i < end; i++) dst[i] = dst[i]! * s + t;
    }
  };
  const rest = steps.map((step) => {
    if (step.kind === 'affine') {
      const f = fuseAffine(step.affine);
      return (dst: Float32Array, off: number): void => f(dst, off);
    }
    const t = step.transform;
    return (dst: Float32Array, off: number, rng: Generator): void => t.apply(dst.subarray(off, off + size), info, rng);
  });

  let load: (src: PixelArray, so: number, dst: Float32Array, off: number) => void;
  if (first && info.source === 'uint8') {
    // Double precision, rounded once into the float32 table.
    const lut = new Float32Array(256 * info.channels);
    for (let c = 0; c < info.channels; c++) for (let v = 0; v < 256; v++) lut[c * 256 + v] = first.scale[c]! * v + first.shift[c]!;
    load = (src, so, dst, off) => {
      for (let c = 0; c < info.channels; c++) {
        const base = c * 256;
        const s0 = so + c * plane;
        const d0 = off + c * plane;
        for (let i = 0; i < plane; i++) dst[d0 + i] = lut[base + src[s0 + i]!]!;
      }
    };
  } else if (first) {
    load = (src, so, dst, off) => {
      for (let c = 0; c < info.channels; c++) {
        const s = first.scale[c]!;
        const t = first.shift[c]!;
        const s0 = so + c * plane;
        const d0 = off + c * plane;
        for (let i = 0; i < plane; i++) dst[d0 + i] = src[s0 + i]! * s + t;
      }
    };
  } else {
    // A typed-array set converts uint8 to float32 natively.
    load = (src, so, dst, off) => dst.set(src.subarray(so, so + size), off);
  }
  if (rest.length === 0) return (src, so, dst, off) => load(src, so, dst, off);
  return (src, so, dst, off, rng) => {
    load(src, so, dst, off);
    for (const step of rest) step(dst, off, rng);
  };
}
