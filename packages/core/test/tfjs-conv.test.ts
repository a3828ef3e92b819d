/**
 * Differential tests against TensorFlow.js's CPU backend: forward values and gradients
 * (tf.grads) on generated configurations, converting NCHW <-> NHWC.
 *
 * Where tfjs has no counterpart, gradcheck carries the case instead (see conv.test.ts and
 * pool.test.ts): grouped convolution (tfjs has only groups 1 and depthwise), gradients of
 * dilated convolutions (tfjs throws "dilation rates greater than 1 are not yet supported in
 * gradients"), stride and dilation both above 1 (tfjs refuses), asymmetric padding other than
 * 'same', ceil mode and padded average pooling (tfjs pads differently).
 */
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { avgPool2d, conv2d, grad, Generator, maxPool2d, randn, type Tensor } from '../src/index.js';
import { expectClose, runs } from '@dynconv/testing';
import { fromNHWC, fromTfDepthwise, fromTfFilter, tf, tfReady, toNHWC, toTfDepthwise, toTfFilter } from './helpers/tfjs.js';

beforeAll(async () => {
  await tfReady();
});

const TOL = 2e-4; // float32 against float32, different summation orders

interface Cfg { N: number; C: number; H: number; W: number; K: number; k: [number, number]; s: number; p: number | 'same'; d: number; seed: number }

const cfgArb = (opts: { dilation: boolean }): fc.Arbitrary<Cfg> =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 3 }), C: fc.integer({ min: 1, max: 6 }), K: fc.integer({ min: 1, max: 6 }),
      k: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })),
      s: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: opts.dilation ? 3 : 1 }),
      p: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constant('same' as const)),
      extra: fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })), seed: fc.integer(),
    })
    .map((r) => {
      // tfjs refuses stride > 1 together with dilation > 1, and 'same' with stride > 1 differs from PyTorch's.
      const s = r.d > 1 || r.p === 'same' ? 1 : r.s;
      const pad = r.p === 'same' ? 0 : r.p;
      const need = (k: number) => Math.max(1, r.d * (k - 1) + 1 - 2 * pad);
      return { N: r.N, C: r.C, K: r.K, k: r.k, s, d: r.d, p: r.p, seed: r.seed, H: need(r.k[0]) + r.extra[0], W: need(r.k[1]) + r.extra[1] };
    });

function tfPad(p: number | 'same'): 'same' | [[0, 0], [number, number], [number, number], [0, 0]] {
  return p === 'same' ? 'same' : [[0, 0], [p, p], [p, p], [0, 0]];
}

function inputs(c: Cfg, wShape: number[]): { x: Tensor; w: Tensor; dy: (shape: number[]) => Tensor } {
  const g = new Generator(c.seed);
  const x = randn([c.N, c.C, c.H, c.W], { generator: g }).requiresGrad_();
  const w = randn(wShape, { generator: g }).requiresGrad_();
  return { x, w, dy: (shape) => randn(shape, { generator: g }) };
}

describe('conv2d vs tf.conv2d', () => {
  it('forward values agree (dilation included)', async () => {
    fc.assert(
      fc.property(cfgArb({ dilation: true }), (c) => {
        const { x, w } = inputs(c, [c.K, c.C, c.k[0], c.k[1]]);
        const ours = conv2d(x, w, null, { stride: c.s, padding: c.p, dilation: c.d });
        const theirs = tf.conv2d(toNHWC(x), toTfFilter(w), c.s, tfPad(c.p), 'NHWC', c.d);
        expectClose(ours.dataSync(), fromNHWC(theirs), { rtol: TOL, atol: TOL });
      }),
      runs(2),
    );
  });

  it('input and filter gradients agree (tf.grads; dilation 1)', () => {
    fc.assert(
      fc.property(cfgArb({ dilation: false }), (c) => {
        const { x, w, dy } = inputs(c, [c.K, c.C, c.k[0], c.k[1]]);
        const y = conv2d(x, w, null, { stride: c.s, padding: c.p });
        const v = dy(y.shape);
        const [gx, gw] = grad(y, [x, w], { gradOutputs: v });
        const [tx, tw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, tfPad(c.p)))([toNHWC(x), toTfFilter(w)], toNHWC(v));
        expectClose(gx!.dataSync(), fromNHWC(tx!), { rtol: TOL, atol: TOL });
        expectClose(gw!.dataSync(), fromTfFilter(tw!), { rtol: TOL, atol: TOL });
      }),
      runs(2),
    );
  });

  it('depthwise (groups = C, channel multiplier) agrees with tf.depthwiseConv2d, forward and gradients', () => {
    fc.assert(
      fc.property(cfgArb({ dilation: false }), fc.integer({ min: 1, max: 3 }), (c, mult) => {
        const { x, w, dy } = inputs(c, [c.C * mult, 1, c.k[0], c.k[1]]);
        const y = conv2d(x, w, null, { stride: c.s, padding: c.p, groups: c.C });
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, tfPad(c.p));
        expectClose(y.dataSync(), fromNHWC(f(toNHWC(x), toTfDepthwise(w, c.C))), { rtol: TOL, atol: TOL });
        const v = dy(y.shape);
        const [gx, gw] = grad(y, [x, w], { gradOutputs: v });
        const [tx, tw] = tf.grads(f)([toNHWC(x), toTfDepthwise(w, c.C)], toNHWC(v));
        expectClose(gx!.dataSync(), fromNHWC(tx!), { rtol: TOL, atol: TOL });
        expectClose(gw!.dataSync(), fromTfDepthwise(tw!), { rtol: TOL, atol: TOL });
      }),
      runs(2),
    );
  });
});

describe('pooling vs tf.maxPool / tf.avgPool (no padding)', () => {
  const poolArb = fc.record({
    N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 4 }), k: fc.integer({ min: 1, max: 4 }), s: fc.integer({ min: 1, max: 3 }),
    extra: fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })), seed: fc.integer(),
  });

  it('max pooling: values and gradients', () => {
    fc.assert(
      fc.property(poolArb, (c) => {
        const g = new Generator(c.seed);
        const x = randn([c.N, c.C, c.k + c.extra[0], c.k + c.extra[1]], { generator: g }).requiresGrad_();
        const y = maxPool2d(x, c.k, { stride: c.s });
        const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, c.k, c.s, 'valid');
        expectClose(y.dataSync(), fromNHWC(f(toNHWC(x))), { rtol: 0, atol: 0 });
        const v = randn(y.shape, { generator: g });
        const [gx] = grad(y, x, { gradOutputs: v });
        expectClose(gx!.dataSync(), fromNHWC(tf.grad(f)(toNHWC(x), toNHWC(v))), { rtol: TOL, atol: TOL });
      }),
      runs(2),
    );
  });

  it('average pooling: values and gradients', () => {
    fc.assert(
      fc.property(poolArb, (c) => {
        const g = new Generator(c.seed);
        const x = randn([c.N, c.C, c.k + c.extra[0], c.k + c.extra[1]], { generator: g }).requiresGrad_();
        const y = avgPool2d(x, c.k, { stride: c.s });
        const f = (a: tf.Tensor) => tf.avgPool(a as tf.Tensor4D, c.k, c.s, 'valid');
        expectClose(y.dataSync(), fromNHWC(f(toNHWC(x))), { rtol: TOL, atol: TOL });
        const v = randn(y.shape, { generator: g });
        const [gx] = grad(y, x, { gradOutputs: v });
        expectClose(gx!.dataSync(), fromNHWC(tf.grad(f)(toNHWC(x), toNHWC(v))), { rtol: TOL, atol: TOL });
      }),
      runs(2),
    );
  });
});
