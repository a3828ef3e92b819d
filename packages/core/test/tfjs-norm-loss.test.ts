/**
 * Differential tests against TensorFlow.js's CPU backend for batch norm and the losses,
 * forward values and gradients (tf.grads). tfjs has no nllLoss, groupNorm or class-weighted
 * / ignoreIndex cross entropy: those are carried by gradcheck and the reference properties in
 * normalization.test.ts and loss.test.ts.
 */
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import {
  batchNorm, binaryCrossEntropyWithLogits, crossEntropy, Generator, grad, l1Loss, mseLoss, oneHot, rand, randint, randn, smoothL1Loss, ones, zeros,
} from '../src/index.js';
import { expectClose, runs } from '@dynconv/testing';
import { fromNHWC, tf, tfReady, toNHWC } from './helpers/tfjs.js';

beforeAll(async () => {
  await tfReady();
});

const TOL = 2e-4;
const t2 = (x: { dataSync(): ArrayLike<number>; shape: number[] }) => tf.tensor(Float32Array.from(x.dataSync()), x.shape);

describe('batchNorm vs tf.batchNorm', () => {
  const arb = fc.record({ N: fc.integer({ min: 2, max: 3 }), C: fc.integer({ min: 1, max: 5 }), H: fc.integer({ min: 1, max: 4 }), W: fc.integer({ min: 1, max: 4 }), seed: fc.integer() });

  it('eval mode (running statistics): values and gradients w.r.t. x, weight and bias', () => {
    fc.assert(
      fc.property(arb, ({ N, C, H, W, seed }) => {
        const g = new Generator(seed);
        const x = randn([N, C, H, W], { generator: g }).requiresGrad_();
        const mean = randn([C], { generator: g });
        const variance = rand([C], { generator: g }).add(0.5);
        const weight = randn([C], { generator: g }).requiresGrad_();
        const bias = randn([C], { generator: g }).requiresGrad_();
        const y = batchNorm(x, mean, variance, weight, bias, false, 0.1, 1e-5);
        const f = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.batchNorm(a, t2(mean), t2(variance), o, s, 1e-5);
        expectClose(y.dataSync(), fromNHWC(f(toNHWC(x), t2(weight), t2(bias))), { rtol: TOL, atol: TOL });
        const v = randn(y.shape, { generator: g });
        const [gx, gw, gb] = grad(y, [x, weight, bias], { gradOutputs: v });
        const [tx, ts, to] = tf.grads(f)([toNHWC(x), t2(weight), t2(bias)], toNHWC(v));
        expectClose(gx!.dataSync(), fromNHWC(tx!), { rtol: TOL, atol: TOL });
        expectClose(gw!.dataSync(), ts!.dataSync(), { rtol: TOL, atol: TOL });
        expectClose(gb!.dataSync(), to!.dataSync(), { rtol: TOL, atol: TOL });
      }),
      runs(2),
    );
  });

  it('training mode (batch statistics from tf.moments): values and gradients', () => {
    fc.assert(
      fc.property(arb, ({ N, C, H, W, seed }) => {
        const g = new Generator(seed);
        const x = randn([N, C, H, W], { generator: g }).requiresGrad_();
        const weight = randn([C], { generator: g }).requiresGrad_();
        const bias = randn([C], { generator: g }).requiresGrad_();
        const y = batchNorm(x, zeros([C]), ones([C]), weight, bias, true, 0.1, 1e-5);
        const f = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
          const { mean, variance } = tf.moments(a, [0, 1, 2]);
          return tf.batchNorm(a, mean, variance, o, s, 1e-5);
        };
        expectClose(y.dataSync(), fromNHWC(f(toNHWC(x), t2(weight), t2(bias))), { rtol: 1e-3, atol: 1e-3 });
        const v = randn(y.shape, { generator: g });
        const [gx, gw, gb] = grad(y, [x, weight, bias], { gradOutputs: v });
        const [tx, ts, to] = tf.grads(f)([toNHWC(x), t2(weight), t2(bias)], toNHWC(v));
        expectClose(gx!.dataSync(), fromNHWC(tx!), { rtol: 1e-3, atol: 1e-3 });
        expectClose(gw!.dataSync(), ts!.dataSync(), { rtol: 1e-3, atol: 1e-3 });
        expectClose(gb!.dataSync(), to!.dataSync(), { rtol: 1e-3, atol: 1e-3 });
      }),
      runs(2),
    );
  });
});

describe('losses vs tf.losses', () => {
  const arb = fc.record({ N: fc.integer({ min: 1, max: 6 }), C: fc.integer({ min: 2, max: 6 }), seed: fc.integer() });

  it('crossEntropy (class indices, label smoothing) = softmaxCrossEntropy with one-hot labels', () => {
    fc.assert(
      fc.property(arb, fc.double({ min: 0, max: 0.5, noNaN: true }), ({ N, C, seed }, ls) => {
        const g = new Generator(seed);
        const logits = randn([N, C], { generator: g }).mul(2).detach().requiresGrad_();
        const target = randint(0, C, [N], { generator: g });
        const loss = crossEntropy(logits, target, { labelSmoothing: ls });
        const labels = t2(oneHot(target, C, { dtype: 'float32' }));
        const f = (l: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, l, undefined, ls, tf.Reduction.MEAN);
        expectClose([loss.item()], [f(t2(logits)).dataSync()[0]!], { rtol: TOL, atol: TOL });
        const [gl] = grad(loss, logits);
        expectClose(gl!.dataSync(), tf.grad(f)(t2(logits)).dataSync(), { rtol: TOL, atol: TOL });
      }),
      runs(2),
    );
  });

  it('mseLoss, l1Loss, smoothL1Loss (= huberLoss / beta), BCE with logits (= sigmoidCrossEntropy)', () => {
    fc.assert(
      fc.property(arb, fc.double({ min: 0.2, max: 2, noNaN: true }), ({ N, C, seed }, beta) => {
        const g = new Generator(seed);
        const input = randn([N, C], { generator: g }).mul(2).detach().requiresGrad_();
        const target = randn([N, C], { generator: g });
        const probs = rand([N, C], { generator: g });
        const cases: [string, () => ReturnType<typeof mseLoss>, (p: tf.Tensor) => tf.Tensor, number][] = [
          ['mse', () => mseLoss(input, target), (p) => tf.losses.meanSquaredError(t2(target), p, undefined, tf.Reduction.MEAN), 1],
          ['l1', () => l1Loss(input, target), (p) => tf.losses.absoluteDifference(t2(target), p, undefined, tf.Reduction.MEAN), 1],
          ['smoothL1', () => smoothL1Loss(input, target, { beta }), (p) => tf.losses.huberLoss(t2(target), p, undefined, beta, tf.Reduction.MEAN), beta],
          ['bce', () => binaryCrossEntropyWithLogits(input, probs), (p) => tf.losses.sigmoidCrossEntropy(t2(probs), p, undefined, 0, tf.Reduction.MEAN), 1],
        ];
        for (const [, ours, theirs, scale] of cases) {
          const loss = ours().mul(scale);
          expectClose([loss.item()], [theirs(t2(input)).dataSync()[0]!], { rtol: TOL, atol: TOL });
          const [gi] = grad(loss, input);
          expectClose(gi!.dataSync(), tf.grad(theirs)(t2(input)).dataSync(), { rtol: TOL, atol: TOL });
        }
      }),
      runs(2),
    );
  });
});
