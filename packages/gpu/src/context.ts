/**
 * One gpu.js instance in one mode: the compiled-kernel cache, launches (with the size checks
 * gpu.js does not do), uploads and readbacks, and the live-memory counters.
 *
 * Device data is a gpu.js pipeline `Texture` on the GL modes (headlessgl, webgl, webgl2) and a
 * plain Float32Array on webasm and cpu, where gpu.js's `pipeline: true` returns typed arrays
 * (there is no device memory to keep data in). Either way it stays where kernels read it until a
 * tensor is read back.
 */
import { GPU, type IKernelRunShortcut, type Texture } from 'gpu.js';

/** What a storage holds: a texture on GL modes, a typed array on webasm/cpu. */
export type DeviceData = Texture | Float32Array;

/** The gpu.js modes this backend can run kernels in. */
export type GpuMode = 'headlessgl' | 'webgl2' | 'webgl' | 'webgpu' | 'webasm' | 'cpu';

/** Largest element count an output or storage may have: float32 index arithmetic is exact below 2^24. */
export const MAX_ELEMENTS = 2 ** 24;

type Arg = DeviceData | number;

/** A kernel's cached compiled form plus what a launch needs. */
interface CachedKernel {
  run: IKernelRunShortcut;
  size: number;
}

export class GpuContext {
  readonly gpu: GPU;
  private readonly cache = new Map<string, CachedKernel>();
  /** Live counters. */
  numTextures = 0;
  numBytes = 0;
  kernelsCompiled = 0;
  launches = 0;
  /** Readbacks to the host (toArray, dataSync...). */
  readbacks = 0;
  readonly maxTextureSize: number;
  readonly renderer: string;
  /** Whether device data is a texture (GL modes) rather than a host array. */
  readonly textures: boolean;

  constructor(readonly mode: GpuMode) {
    if (mode === 'webgpu') {
      throw new Error(
        "gpu backend: mode 'webgpu' is not supported: gpu.js's WebGPU kernels only return Promises, and dynconv's kernel interface is synchronous (use headlessgl, webgl2, webgl, webasm or cpu)",
      );
    }
    this.gpu = new GPU({ mode });
    if (this.gpu.mode !== mode) throw new Error(`gpu backend: gpu.js could not start mode '${mode}' (it chose '${this.gpu.mode}')`);
    this.textures = mode === 'headlessgl' || mode === 'webgl' || mode === 'webgl2';
    // Probe: one tiny kernel, checked, so an unusable mode fails here and not in a user's op.
    const probe = this.gpu.createKernel('function(a) { return a[this.thread.x] * 2.0 + 1.0; }', { output: [3], pipeline: true, immutable: true, precision: 'single' });
    const out = probe(Float32Array.of(1, 2, 3)) as DeviceData;
    const values = this.toHost(out, 3);
    if (values[0] !== 3 || values[1] !== 5 || values[2] !== 7) throw new Error(`gpu backend: mode '${mode}' computed wrong values in its self-test (${Array.from(values).join(', ')})`);
    const kernel = (probe as unknown as { kernel: { constructor: { features?: { maxTextureSize?: number }; name: string }; fallbackReason?: string | null } }).kernel;
    if (kernel.fallbackReason) throw new Error(`gpu backend: mode '${mode}' fell back to gpu.js's cpu backend: ${kernel.fallbackReason}`);
    this.maxTextureSize = kernel.constructor.features?.maxTextureSize ?? Infinity;
    this.renderer = rendererOf(this.gpu, kernel.constructor.name);
    if (out !== undefined && !(out instanceof Float32Array)) (out as Texture).delete();
    probe.destroy();
  }

  /** Checks an output of `n` elements against index precision and the device's texture limit. */
  checkSize(op: string, n: number): void {
    if (n >= MAX_ELEMENTS) {
      throw new Error(`gpu backend: ${op} would produce ${n} elements; the gpu backend computes indices in float32 and supports at most ${MAX_ELEMENTS - 1} elements per tensor storage`);
    }
    if (this.textures && n > this.maxTextureSize * this.maxTextureSize) {
      throw new Error(`gpu backend: ${op} would produce ${n} elements, more than one ${this.maxTextureSize}x${this.maxTextureSize} texture holds (the device's maximum texture size)`);
    }
    if (this.textures) {
      // gpu.js lays a 1-D output of n elements out as a near-square texture.
      const w = Math.ceil(Math.sqrt(n));
      if (w > this.maxTextureSize) throw new Error(`gpu backend: ${op}: a texture of ${w}x${w} exceeds the maximum texture size ${this.maxTextureSize}`);
    }
  }

  /**
   * Runs the kernel cached under `key` (compiled from `source()` on first use) over a 1-D
   * output of `n` elements. `source` is a gpu.js kernel function as text.
   */
  launch(op: string, key: string, n: number, source: () => string, args: readonly Arg[]): DeviceData {
    this.checkSize(op, n);
    let k = this.cache.get(key);
    if (!k) {
      const run = this.gpu.createKernel(source(), {
        output: [n],
        pipeline: true,
        immutable: true,
        precision: 'single',
        // highp everywhere on GL; every loop bound is a literal, so gpu.js's cap on
        // argument-bounded loops (loopMaxIterations) never applies.
        ...(this.textures ? { tactic: 'precision' } : {}),
      } as Parameters<GPU['createKernel']>[1]);
      k = { run, size: n };
      this.cache.set(key, k);
      this.kernelsCompiled++;
      if (this.cache.size > 4000) this.evict();
    }
    this.launches++;
    const out = k.run(...(args as never[])) as unknown as DeviceData;
    this.track(n);
    return out;
  }

  private evict(): void {
    // Drop the oldest half (Map iteration is insertion order).
    let drop = this.cache.size >> 1;
    for (const [key, k] of this.cache) {
      if (drop-- <= 0) break;
      this.cache.delete(key);
      try {
        k.run.destroy();
      } catch {
        // a kernel whose context is gone
      }
    }
  }

  private track(n: number): void {
    this.numTextures++;
    this.numBytes += 4 * n;
  }

  /** Frees device data of `n` elements (a texture is deleted; an array is left to the GC). */
  free(data: DeviceData, n: number): void {
    if (!(data instanceof Float32Array)) (data as Texture).delete();
    this.numTextures--;
    this.numBytes -= 4 * n;
  }

  /** New device data holding `values` (a copy). */
  upload(values: Float32Array): DeviceData {
    const n = values.length;
    if (!this.textures) {
      this.checkSize('upload', n);
      this.track(n);
      return values.slice();
    }
    return this.launch('upload', `upload:${n}`, n, () => 'function(a) { return a[this.thread.x]; }', [values]);
  }

  /** New device data of `n` elements all equal to `value`. */
  fill(n: number, value: number): DeviceData {
    if (!this.textures) {
      this.checkSize('fill', n);
      this.track(n);
      return new Float32Array(n).fill(value);
    }
    if (!Number.isFinite(value)) {
      return this.launch('fill', `fill:${n}:${value}`, n, () => `function() { return ${value !== value ? '0.0 / 0.0' : value > 0 ? '1.0 / 0.0' : '-1.0 / 0.0'}; }`, []);
    }
    return this.launch('fill', `fill:${n}`, n, () => 'function(v) { return v; }', [value]);
  }

  /** The values of device data of `n` elements, as a Float32Array (a view for host arrays: do not mutate). */
  toHost(data: DeviceData, n: number): Float32Array {
    this.readbacks++;
    if (data instanceof Float32Array) return data;
    const arr = (data as Texture).toArray() as unknown;
    if (arr instanceof Float32Array) return arr.length === n ? arr : arr.subarray(0, n);
    return Float32Array.from((arr as ArrayLike<number>) ?? []).subarray(0, n);
  }

  /** Compiled kernels in the cache. */
  get cachedKernels(): number {
    return this.cache.size;
  }

  destroy(): void {
    for (const k of this.cache.values()) {
      try {
        k.run.destroy();
      } catch {
        // ignore
      }
    }
    this.cache.clear();
  }
}

/** A short description of what runs the kernels (the GL renderer string where there is one). */
function rendererOf(gpu: GPU, kernelName: string): string {
  const ctx = (gpu as unknown as { context?: { getParameter?: (p: number) => unknown; getExtension?: (n: string) => { UNMASKED_RENDERER_WEBGL: number } | null; RENDERER?: number } }).context;
  try {
    if (ctx?.getParameter) {
      const ext = ctx.getExtension?.('WEBGL_debug_renderer_info');
      const r = ext ? ctx.getParameter(ext.UNMASKED_RENDERER_WEBGL) : ctx.getParameter(ctx.RENDERER ?? 0x1f01);
      const v = ctx.getParameter(0x1f02); // VERSION
      if (typeof r === 'string' && r) return typeof v === 'string' && v ? `${r} (${v})` : r;
    }
  } catch {
    // fall through
  }
  if (gpu.mode === 'webasm') return 'WebAssembly (f32x4 SIMD, single thread)';
  if (gpu.mode === 'cpu') return 'JavaScript (gpu.js cpu mode)';
  return kernelName;
}
