/**
 * Switching the tools to a compute backend. The gpu backend is imported only when asked for, so
 * gpu.js and its mode probing stay out of CPU runs.
 */
import { setBackend } from '@dynconv/core';

/**
 * Makes `name` ('cpu' or 'gpu') the backend new tensors are created on; for 'gpu', with gpu.js
 * mode `gpuMode` (default 'auto'). Returns a line saying what was chosen, or undefined for the CPU.
 */
export async function selectBackend(name: string, gpuMode?: string): Promise<string | undefined> {
  if (name !== 'gpu') {
    setBackend(name);
    return undefined;
  }
  const { gpuBackend } = await import('@dynconv/gpu');
  setBackend('gpu', { mode: gpuMode ?? 'auto' });
  const b = gpuBackend();
  const measured = b.modeReport.candidates?.map((c) => (c.ms === undefined ? `${c.mode}: unavailable` : `${c.mode} ${c.ms.toFixed(0)} ms`)).join(', ');
  return `gpu backend: mode ${b.mode} (${b.renderer})${measured ? `; auto measured ${measured}` : ''}`;
}
