/**
 * Matmul speed, ours vs TensorFlow.js's CPU backend, square float32 products in the same run,
 * one thread; plus ours in float64 (tfjs's CPU backend has no float64).
 *
 *   pnpm bench:matmul [--repeats 7] [--sizes 256,512,1024] [--skip-tfjs]
 *
 * Both sides go through their public ops and read the result back (dataSync), so each time
 * includes allocating the output and the read-back copy; a fresh typed array's page faults
 * dominate at small n (docs/benchmarks.md, "Matrix multiply"). The "gemm only" column times
 * the kernel alone into a reused output. tfjs's CPU matmul is slow (figures in
 * docs/benchmarks.md), so it gets fewer repeats.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Generator, matmul, randn, type TypedArray } from '@dynconv/core';
import { gemm } from '../packages/core/src/cpu/gemm.js';
import { gflops, machine, medianMs, table } from './timing.js';

const { values: flags } = parseArgs({
  options: {
    repeats: { type: 'string', default: '7' },
    sizes: { type: 'string', default: '256,512,1024' },
    'skip-tfjs': { type: 'boolean', default: false },
  },
});
const repeats = Number(flags.repeats);
const sizes = flags.sizes.split(',').map(Number);
await tf.setBackend('cpu');

const g = new Generator(0);
const rows: (string | number)[][] = [];
const rows64: (string | number)[][] = [];
for (const n of sizes) {
  const flops = 2 * n ** 3;
  const a = randn([n, n], { generator: g });
  const b = randn([n, n], { generator: g });
  const ours = medianMs(() => void matmul(a, b).dataSync(), { repeats, warmup: 2 });
  const kernel = gemmOnlyMs(a.dataSync(), b.dataSync(), n);

  let tfMs = NaN;
  if (!flags['skip-tfjs']) {
    const ta = tf.tensor2d(a.dataSync() as Float32Array, [n, n]);
    const tb = tf.tensor2d(b.dataSync() as Float32Array, [n, n]);
    tfMs = medianMs(() => void tf.tidy(() => tf.matMul(ta, tb).dataSync()), { repeats: Math.min(repeats, n >= 1024 ? 3 : 5) });
    // The same numbers in, so the two results should agree to float32 accuracy.
    const diff = maxAbsDiff(matmul(a, b).dataSync(), tf.tidy(() => tf.matMul(ta, tb).dataSync()));
    if (diff > 1e-3 * Math.sqrt(n)) throw new Error(`ours and tfjs disagree at n=${n}: max |diff| ${diff}`);
    tf.dispose([ta, tb]);
  }
  rows.push([String(n), ours, gflops(flops, ours), gflops(flops, kernel), tfMs, gflops(flops, tfMs), tfMs / ours]);

  const a64 = randn([n, n], { generator: g, dtype: 'float64' });
  const b64 = randn([n, n], { generator: g, dtype: 'float64' });
  const ours64 = medianMs(() => void matmul(a64, b64).dataSync(), { repeats, warmup: 2 });
  const kernel64 = gemmOnlyMs(a64.dataSync(), b64.dataSync(), n);
  rows64.push([String(n), ours64, gflops(flops, ours64), gflops(flops, kernel64)]);
}

console.log(`matmul n x n . n x n, one thread; ${machine()}`);
console.log('float32:');
table(['n', 'ours ms', 'ours GFLOP/s', 'gemm only GFLOP/s', 'tfjs-cpu ms', 'tfjs GFLOP/s', 'speed-up'], rows);
console.log('float64 (ours only):');
table(['n', 'ours ms', 'ours GFLOP/s', 'gemm only GFLOP/s'], rows64);

/** Median ms of the GEMM alone, C = A B into one output array reused across runs. */
function gemmOnlyMs(A: TypedArray, B: TypedArray, n: number): number {
  if (!(A instanceof Float32Array || A instanceof Float64Array) || !(B instanceof Float32Array || B instanceof Float64Array)) throw new Error('float input expected');
  const C = A instanceof Float32Array ? new Float32Array(n * n) : new Float64Array(n * n);
  const args = { M: n, N: n, K: n, transA: false, transB: false, A, aOffset: 0, lda: n, B, bOffset: 0, ldb: n, C, cOffset: 0, ldc: n, beta: 0 } as const;
  return medianMs(() => gemm(args), { repeats, warmup: 2 });
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}
