/**
 * Convolution speed, ours vs TensorFlow.js's CPU backend, on the same shapes in the same run.
 * The ResNet layer of issue #3: N=8, C=64, 56x56, K=64, 3x3, pad 1 (1.85 GFLOP forward), float32,
 * one thread. Forward, input gradient and filter gradient are timed separately.
 *
 *   pnpm bench:conv [--repeats 5] [--skip-tfjs-filter]
 *
 * tfjs's filter gradient is very slow (docs/benchmarks.md, "Convolution"), so it is timed once;
 * --skip-tfjs-filter leaves it out for a quick run.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { conv2d, grad, Generator, randn } from '@dynconv/core';
import { gflops, machine, medianMs, table } from './timing.js';

const { values: flags } = parseArgs({
  options: { repeats: { type: 'string', default: '5' }, 'skip-tfjs-filter': { type: 'boolean', default: false } },
});
const repeats = Number(flags.repeats);
await tf.setBackend('cpu');

const [N, C, H, W, K, k] = [8, 64, 56, 56, 64, 3];
const flops = 2 * N * K * H * W * C * k * k;
const g = new Generator(0);
const x = randn([N, C, H, W], { generator: g });
const w = randn([K, C, k, k], { generator: g });
const dy = randn([N, K, H, W], { generator: g });

// Ours, through the public ops: forward; then each gradient alone (the other input frozen).
const oursForward = medianMs(() => void conv2d(x, w, null, { padding: 1 }).dataSync(), { repeats });
const xg = x.detach().requiresGrad_();
const yx = conv2d(xg, w, null, { padding: 1 });
const oursInput = medianMs(() => void grad(yx, xg, { gradOutputs: dy, retainGraph: true })[0]!.dataSync(), { repeats });
const wg = w.detach().requiresGrad_();
const yw = conv2d(x, wg, null, { padding: 1 });
const oursFilter = medianMs(() => void grad(yw, wg, { gradOutputs: dy, retainGraph: true })[0]!.dataSync(), { repeats });

// tfjs, NHWC, the same numbers.
const tx = tf.transpose(tf.tensor4d(x.dataSync() as Float32Array, [N, C, H, W]), [0, 2, 3, 1]) as tf.Tensor4D;
const tw = tf.transpose(tf.tensor4d(w.dataSync() as Float32Array, [K, C, k, k]), [2, 3, 1, 0]) as tf.Tensor4D;
const tdy = tf.transpose(tf.tensor4d(dy.dataSync() as Float32Array, [N, K, H, W]), [0, 2, 3, 1]) as tf.Tensor4D;
const tfRepeats = Math.min(repeats, 3);
const tfForward = medianMs(() => void tf.tidy(() => tf.conv2d(tx, tw, 1, 1).dataSync()), { repeats: tfRepeats });
const tfInput = medianMs(() => void tf.tidy(() => tf.conv2dTranspose(tdy, tw, [N, H, W, C], 1, 1).dataSync()), { repeats: tfRepeats });
const tfFilter = flags['skip-tfjs-filter']
  ? NaN
  : medianMs(
      () =>
        void tf.tidy(() =>
          (tf.engine().runKernel('Conv2DBackpropFilter', { x: tx, dy: tdy }, { strides: 1, pad: 1, dataFormat: 'NHWC', filterShape: [k, k, C, K] }) as tf.Tensor).dataSync(),
        ),
      { repeats: 1, warmup: 0 },
    );

console.log(`conv2d N=${N} C=${C} ${H}x${W} K=${K} ${k}x${k} pad 1, float32, ${(flops / 1e9).toFixed(2)} GFLOP per pass; ${machine()}`);
table(
  ['pass', 'ours ms', 'ours GFLOP/s', 'tfjs-cpu ms', 'tfjs GFLOP/s', 'speed-up'],
  [
    ['forward', oursForward, gflops(flops, oursForward), tfForward, gflops(flops, tfForward), tfForward / oursForward],
    ['input grad', oursInput, gflops(flops, oursInput), tfInput, gflops(flops, tfInput), tfInput / oursInput],
    ['filter grad', oursFilter, gflops(flops, oursFilter), tfFilter, gflops(flops, tfFilter), tfFilter / oursFilter],
  ],
);
