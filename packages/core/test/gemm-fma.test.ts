/**
 * The FMA GEMM kernels (relaxed SIMD's relaxed_madd, feature-detected): Node 20 has relaxed
 * SIMD only behind --experimental-wasm-relaxed-simd, so the check runs in a child process with
 * the flag (helpers/fma-gemm-check.ts): the kernels match the reference loops, give the same
 * bits on one and two threads, and become the default where the engine supports them. In this
 * process (no flag) the plain kernels are the default.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { F32_FMA_SHAPE, gemmUsesFma } from '../src/cpu/gemm/simd-gemm.js';
import { simdKernel } from '../src/cpu/gemm/simd-kernel.js';

const script = fileURLToPath(new URL('./helpers/fma-gemm-check.ts', import.meta.url));

describe('FMA GEMM kernels', () => {
  it('are used exactly when the engine validates relaxed SIMD', () => {
    expect(gemmUsesFma()).toBe(simdKernel(F32_FMA_SHAPE) !== null);
  });

  it('match the reference and are thread-count independent (child node with relaxed SIMD)', () => {
    const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', script], { encoding: 'utf8', timeout: 120_000 });
    if (/bad option/.test(r.stderr)) return void console.warn('FMA GEMM check skipped: this node has no --experimental-wasm-relaxed-simd (relaxed SIMD is then on by default or absent)');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { available: boolean; usesFma: boolean; worst: number; problems: string[] };
    expect(out.available).toBe(true);
    expect(out.usesFma).toBe(true);
    expect(out.problems).toEqual([]);
    expect(out.worst).toBeLessThan(1e-6);
  });
});
