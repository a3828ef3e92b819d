/**
 * gpu.js modes: which ones work here, and `auto`, which measures the candidates instead of
 * trusting an order (a software renderer or adapter is often slower than WebAssembly).
 */
import { GpuContext, type GpuMode } from './context.js';

/** A mode, or 'auto'. */
export type ModeOption = GpuMode | 'auto';

/** Every gpu.js mode the backend accepts (besides 'auto'). */
export const MODES: readonly GpuMode[] = ['headlessgl', 'webgl2', 'webgl', 'webgpu', 'webasm', 'cpu'];

/** Whether a mode works here, and why not when it does not. */
export interface ModeAvailability {
  /** The mode tried. */
  mode: GpuMode;
  /** Whether a context could be started in it. */
  available: boolean;
  /** Why not, when it could not. */
  reason?: string;
  /** What runs it, when it could (the GL renderer string, or a description). */
  renderer?: string;
}

/** How a backend's mode was chosen. */
export interface ModeReport {
  /** The mode asked for (possibly `auto`). */
  requested: ModeOption;
  /** The mode the backend runs in. */
  chosen: GpuMode;
  /** The chosen mode's renderer (the GL renderer string, or a description). */
  renderer: string;
  /** For 'auto': each candidate, and its measured milliseconds for the probe workload. */
  candidates?: {
    /** The candidate mode. */
    mode: GpuMode;
    /** Milliseconds for the probe workload, when the mode started. */
    ms?: number;
    /** Why the mode could not start, when it could not. */
    reason?: string;
    /** Its renderer, when it started. */
    renderer?: string;
  }[];
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** The modes worth trying in this environment, fastest-first by reputation (auto measures anyway). */
export function candidateModes(): GpuMode[] {
  return isNode ? ['headlessgl', 'webasm', 'cpu'] : ['webgl2', 'webgl', 'webasm', 'cpu'];
}

/** Starts a context in `mode`, or says why that fails. */
export function tryMode(mode: GpuMode): { ctx?: GpuContext; reason?: string } {
  if (mode === 'headlessgl' && isNode && !process.env.DISPLAY) {
    return { reason: 'headless-gl needs an X display (DISPLAY is not set; run under xvfb-run)' };
  }
  if ((mode === 'webgl' || mode === 'webgl2') && isNode) return { reason: `${mode} needs a browser (in Node use headlessgl)` };
  try {
    return { ctx: new GpuContext(mode) };
  } catch (e) {
    return { reason: e instanceof Error ? e.message.split('\n')[0] : String(e) };
  }
}

/** Which modes work here (each is started once and torn down). */
export function availableModes(modes: readonly GpuMode[] = MODES): ModeAvailability[] {
  return modes.map((mode) => {
    const r = tryMode(mode);
    if (r.ctx) {
      const renderer = r.ctx.renderer;
      r.ctx.destroy();
      return { mode, available: true, renderer };
    }
    return { mode, available: false, reason: r.reason };
  });
}

/**
 * A small matmul and conv-shaped workload, timed after a warm-up call: what decides `auto`.
 * Milliseconds for three repetitions.
 */
function measure(ctx: GpuContext): number {
  const n = 96;
  const a = ctx.upload(Float32Array.from({ length: n * n }, (_, i) => (i % 7) - 3));
  const src = `function(a) {
const i = Math.floor((this.thread.x + 0.5) / ${n}.0);
const j = this.thread.x - i * ${n}.0;
let acc = 0.0;
for (let k = 0; k < ${n}; k++) { acc += a[i * ${n}.0 + k] * a[k * ${n}.0 + j]; }
return acc;
}`;
  const run = () => {
    const out = ctx.launch('auto-probe', `auto-probe:${n}`, n * n, () => src, [a]);
    ctx.toHost(out, n * n);
    ctx.free(out, n * n);
  };
  run();
  const t0 = performance.now();
  for (let r = 0; r < 3; r++) run();
  const ms = performance.now() - t0;
  ctx.free(a, n * n);
  return ms;
}

/** A context in the requested mode; for 'auto', the fastest available one, measured. */
export function chooseMode(requested: ModeOption, candidates: readonly GpuMode[] = candidateModes()): { ctx: GpuContext; report: ModeReport } {
  if (requested !== 'auto') {
    if (!MODES.includes(requested)) throw new Error(`gpu backend: unknown mode ${JSON.stringify(requested)} (expected one of ${[...MODES, 'auto'].join(', ')})`);
    const r = tryMode(requested);
    if (!r.ctx) throw new Error(`gpu backend: mode '${requested}' is not available here: ${r.reason}`);
    return { ctx: r.ctx, report: { requested, chosen: requested, renderer: r.ctx.renderer } };
  }
  const tried: NonNullable<ModeReport['candidates']> = [];
  let best: { ctx: GpuContext; ms: number } | null = null;
  for (const mode of candidates) {
    const r = tryMode(mode);
    if (!r.ctx) {
      tried.push({ mode, reason: r.reason });
      continue;
    }
    const ms = measure(r.ctx);
    tried.push({ mode, ms, renderer: r.ctx.renderer });
    if (!best || ms < best.ms) {
      best?.ctx.destroy();
      best = { ctx: r.ctx, ms };
    } else r.ctx.destroy();
  }
  if (!best) throw new Error(`gpu backend: no gpu.js mode works here (${tried.map((c) => `${c.mode}: ${c.reason}`).join('; ')})`);
  return { ctx: best.ctx, report: { requested, chosen: best.ctx.mode, renderer: best.ctx.renderer, candidates: tried } };
}
