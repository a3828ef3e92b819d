/**
 * TensorFlow.js (CPU backend) as an independent reference for differential tests. It works in
 * NHWC with filters [kh, kw, Cin, Cout]; these helpers convert from dynconv's NCHW layouts.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core ships gradients separately from the ops; the full tfjs package registers them.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import type { Tensor } from '../../src/index.js';

let ready: Promise<boolean> | null = null;

/** Selects tfjs's CPU backend once. */
export function tfReady(): Promise<boolean> {
  ready ??= tf.setBackend('cpu');
  return ready;
}

export { tf };

/** NCHW dynconv tensor -> NHWC tf tensor (float32, as tfjs's CPU backend computes). */
export function toNHWC(x: Tensor): tf.Tensor4D {
  return tf.transpose(tf.tensor4d(Float32Array.from(x.dataSync()), x.shape as [number, number, number, number]), [0, 2, 3, 1]);
}

/** NHWC tf tensor -> NCHW values as a flat array in row-major order. */
export function fromNHWC(t: tf.Tensor): Float32Array {
  return tf.transpose(t, [0, 3, 1, 2]).dataSync() as Float32Array;
}

/** dynconv conv weight [K, C, kh, kw] -> tf filter [kh, kw, C, K]. */
export function toTfFilter(w: Tensor): tf.Tensor4D {
  return tf.transpose(tf.tensor4d(Float32Array.from(w.dataSync()), w.shape as [number, number, number, number]), [2, 3, 1, 0]);
}

/** tf filter [kh, kw, C, K] -> dynconv layout [K, C, kh, kw], flat. */
export function fromTfFilter(t: tf.Tensor): Float32Array {
  return tf.transpose(t, [3, 2, 0, 1]).dataSync() as Float32Array;
}

/** dynconv depthwise weight [C*m, 1, kh, kw] -> tf depthwise filter [kh, kw, C, m]. */
export function toTfDepthwise(w: Tensor, C: number): tf.Tensor4D {
  const [K, , kh, kw] = w.shape as [number, number, number, number];
  return tf.transpose(tf.tensor4d(Float32Array.from(w.dataSync()), [C, K / C, kh, kw]), [2, 3, 0, 1]);
}

/** tf depthwise filter [kh, kw, C, m] -> dynconv layout [C*m, 1, kh, kw], flat. */
export function fromTfDepthwise(t: tf.Tensor): Float32Array {
  return tf.transpose(t, [2, 3, 0, 1]).dataSync() as Float32Array;
}
