/**
 * `fusion: 'auto'`: choose output or kernel fusion for a layer by measuring both, once per
 * input signature, and remembering the winner.
 */

/** The two computation paths of a dynamic convolution. */
export type FusionPath = 'output' | 'kernel';

/**
 * Measures one path: runs `run` (which computes the path, and in training mode also its
 * backward) and returns a cost in milliseconds. Inject a fake one in tests to make the choice
 * deterministic.
 */
export type FusionTimer = (run: () => void, path: FusionPath, signature: string) => number;

/** One entry of a layer's {@link DynamicConv2d.autoFusionCache}. */
export interface AutoFusionChoice {
  /** The path forward() takes for this signature. */
  path: FusionPath;
  /** What the timer measured for output fusion (NaN for a choice set by hand). */
  outputMs: number;
  /** The same for kernel fusion. */
  kernelMs: number;
}

/**
 * The cache key: input shape, dtype, and training or not (training timings include the
 * backward pass, so the same shape may pick differently in the two modes).
 */
export function fusionSignature(shape: readonly number[], dtype: string, training: boolean): string {
  return `[${shape.join(', ')}] ${dtype} ${training ? 'train' : 'eval'}`;
}

/**
 * The default timer: one warm-up run (first calls pay for JIT compilation and allocation),
 * then one timed run, wall clock.
 */
export const wallClockTimer: FusionTimer = (run) => {
  run();
  const t0 = performance.now();
  run();
  return performance.now() - t0;
};
