/**
 * The project's first demo: a two-layer MLP fitted with autograd to a toy data set
 * (three interleaved spirals), printing the loss as it falls. Everything is built from
 * @dynconv/core ops. It was `pnpm start` until that became the Dy-CNN on MNIST.
 *
 *   npx tsx tools/demo-mlp.ts [--steps 800] [--hidden 64] [--lr 1] [--seed 0]
 */
import { parseArgs } from 'node:util';
import { Generator, type Tensor, gather, linear, logSoftmax, noGrad, randn, tensor, zeros } from '@dynconv/core';

const USAGE = 'usage: tsx tools/demo-mlp.ts [--steps N] [--hidden N] [--lr X] [--seed N]';
function readFlags() {
  try {
    return parseArgs({
      options: {
        steps: { type: 'string', default: '800' },
        hidden: { type: 'string', default: '64' },
        lr: { type: 'string', default: '1' },
        seed: { type: 'string', default: '0' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    console.error(`demo-mlp: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}
const flags = readFlags();
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
const num = (name: string, v: string | undefined, integer: boolean): number => {
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x))) {
    console.error(`demo-mlp: --${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return x;
};
const steps = num('steps', flags.steps, true);
const hidden = num('hidden', flags.hidden, true);
const lr = num('lr', flags.lr, false);
const gen = new Generator(Number(flags.seed));

/** Three spiral arms in the plane, with a little noise. */
function spirals(perClass: number, classes: number): { x: Tensor; y: Tensor } {
  const pts: number[][] = [];
  const labels: number[] = [];
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      const r = i / perClass;
      const theta = (c * 2 * Math.PI) / classes + 4 * r + 0.2 * gen.nextNormal();
      pts.push([r * Math.sin(theta), r * Math.cos(theta)]);
      labels.push(c);
    }
  }
  return { x: tensor(pts), y: tensor(labels, { dtype: 'int32' }) };
}

const { x, y } = spirals(100, 3);
// PyTorch-style init scale 1/sqrt(fan_in), as leaves that require grad.
let w1 = randn([hidden, 2], { generator: gen }).mul(1 / Math.sqrt(2)).detach().requiresGrad_();
let b1 = zeros([hidden], { requiresGrad: true });
let w2 = randn([3, hidden], { generator: gen }).mul(1 / Math.sqrt(hidden)).detach().requiresGrad_();
let b2 = zeros([3], { requiresGrad: true });

const forward = (inp: Tensor): Tensor => linear(linear(inp, w1, b1).tanh(), w2, b2);

console.log(`fitting a 2-${hidden}-3 MLP to ${x.shape[0]} spiral points, ${steps} steps of gradient descent (lr ${lr})`);
const started = Date.now();
for (let step = 0; step <= steps; step++) {
  const logp = logSoftmax(forward(x), 1);
  // Cross entropy: minus the mean log-probability of the true class.
  const loss = gather(logp, 1, y.unsqueeze(1)).mean().neg();
  if (step % Math.max(1, Math.floor(steps / 10)) === 0 || step === steps) {
    const acc = noGrad(() => logp.argmax(1).eq(y).float().mean().item());
    console.log(`step ${String(step).padStart(4)}  loss ${loss.item().toFixed(4)}  train accuracy ${(100 * acc).toFixed(1)}%`);
  }
  if (step === steps) break;
  loss.backward();
  // Plain SGD: new leaves from the old values minus lr * grad.
  [w1, b1, w2, b2] = noGrad(() => [w1, b1, w2, b2].map((p) => p.sub(p.grad!.mul(lr)).requiresGrad_()));
}
console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
