/**
 * What the gpu suites run against: one gpu backend per mode under test (the parity check
 * itself is @dynconv/testing's expectParity, against the CPU backend at float32 tolerance).
 *
 * Modes: those in DYNCONV_GPU_MODES (comma-separated) are required: an unavailable one is a
 * failure. Without the variable: webasm always, plus headlessgl when it works here (an X display
 * and a loadable `gl`); otherwise the skip is reported.
 */
import { createGpuBackend, type GpuBackendHandle, type GpuMode } from '../src/index.js';

export interface ModeUnderTest {
  mode: GpuMode;
  required: boolean;
  /** The backend's registry name, when the mode is available. */
  name?: string;
  backend?: GpuBackendHandle;
  reason?: string;
}

const created = new Map<string, ModeUnderTest>();

/** The modes to test, each with its backend (created once per test file). */
export function modesUnderTest(): ModeUnderTest[] {
  const listed = process.env.DYNCONV_GPU_MODES?.split(',').map((m) => m.trim()).filter(Boolean) as GpuMode[] | undefined;
  const modes: { mode: GpuMode; required: boolean }[] = listed?.length ? listed.map((mode) => ({ mode, required: true })) : [{ mode: 'webasm', required: false }, { mode: 'headlessgl', required: false }];
  return modes.map(({ mode, required }) => {
    const known = created.get(mode);
    if (known) return known;
    const name = `gpu-test-${mode}`;
    let m: ModeUnderTest;
    try {
      m = { mode, required, name, backend: createGpuBackend({ name, mode }) };
    } catch (e) {
      m = { mode, required, reason: e instanceof Error ? e.message : String(e) };
    }
    if (!m.backend && !required) console.warn(`[gpu tests] mode ${mode} skipped: ${m.reason}`);
    created.set(mode, m);
    return m;
  });
}

/** Property-run scale per mode: GL modes compile each kernel in ~0.1 s, so they get fewer cases. */
export function runScale(mode: GpuMode): number {
  return mode === 'webasm' || mode === 'cpu' ? 0.5 : 0.25;
}
