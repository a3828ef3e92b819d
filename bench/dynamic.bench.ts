/**
 * DynamicConv2d's two paths against static convolutions, on a representative layer:
 * C_in = C_out = 64, 28x28, 3x3, pad 1, group size 6, float32, batch 1 and 32.
 *
 *   pnpm bench:dynamic [--repeats 5]
 *
 * Rows: output fusion; kernel fusion as one grouped conv over the batch ('batched') and as a
 * per-image loop ('loop'); a static Conv2d(64, 64) (what kernel fusion convolves) and a static
 * Conv2d(64, 384) (what output fusion convolves). The dynamic rows include their own
 * coefficient predictor and bias. "forward" runs without the tape (inference); "fwd+bwd" is
 * forward with the tape plus backward of sum(y * r) (r a fixed random tensor) to the input and
 * every parameter. Multiply-adds come from dynamicConvCost. Medians of --repeats runs.
 */
import { parseArgs } from 'node:util';
import { Generator, noGrad, randn, type Tensor } from '@dynconv/core';
import { Conv2d, DynamicConv2d, dynamicConvCost, type Module } from '@dynconv/nn';
import { machine, medianMs, table } from './timing.js';

const { values: flags } = parseArgs({ options: { repeats: { type: 'string', default: '5' } } });
const repeats = Number(flags.repeats);
const [C, HW, k, g] = [64, 28, 3, 6];

interface Row {
  name: string;
  module: Module;
  macs: (N: number) => number;
}

const gen = new Generator(0);
const dynamic = (variant: 'output' | 'batched' | 'loop') =>
  new DynamicConv2d(C, C, k, { padding: 1, groupSize: g, generator: gen, fusion: variant === 'output' ? 'output' : 'kernel', kernelFusion: variant === 'loop' ? 'loop' : 'batched' });
const rows: Row[] = [];
for (const variant of ['output', 'batched', 'loop'] as const) {
  const layer = dynamic(variant);
  const path = variant === 'output' ? 'output' : 'kernel';
  rows.push({
    name: variant === 'output' ? 'dynamic, output fusion' : `dynamic, kernel fusion (${variant})`,
    module: layer,
    macs: (N) => dynamicConvCost(layer, [N, C, HW, HW])[path].total,
  });
}
for (const K of [C, C * g]) {
  rows.push({ name: `static Conv2d(${C}, ${K})`, module: new Conv2d(C, K, k, { padding: 1, generator: gen }), macs: (N) => N * K * HW * HW * C * k * k });
}

console.log(`DynamicConv2d(${C}, ${C}, ${k}x${k}, pad 1, group size ${g}) on ${HW}x${HW}, float32; median of ${repeats}; ${machine()}\n`);
const summary: string[] = [];
for (const N of [1, 32]) {
  const x = randn([N, C, HW, HW], { generator: gen });
  const r = randn([N, C, HW, HW], { generator: gen });
  const times = rows.map((row) => {
    const m = row.module;
    const rr = m instanceof Conv2d && m.outChannels !== C ? randn([N, m.outChannels, HW, HW], { generator: gen }) : r;
    const reps = N === 1 ? repeats * 2 : repeats;
    const fwd = medianMs(() => void noGrad(() => (m as Module<[Tensor], Tensor>).forward(x)), { repeats: reps });
    const xg = x.detach().requiresGrad_();
    const fb = medianMs(() => {
      m.zeroGrad();
      (m as Module<[Tensor], Tensor>).forward(xg).mul(rr).sum().backward();
    }, { repeats: reps });
    return { fwd, fb };
  });
  const base = times[3]!;
  console.log(`batch ${N}`);
  table(
    ['layer', 'MMAC', 'forward ms', 'x static 64', 'fwd+bwd ms', 'x static 64'],
    rows.map((row, i) => [row.name, row.macs(N) / 1e6, times[i]!.fwd, times[i]!.fwd / base.fwd, times[i]!.fb, times[i]!.fb / base.fb]),
  );
  const [out, batched, loop] = times as [typeof base, typeof base, typeof base];
  const kernelBest = batched.fb <= loop.fb ? 'batched' : 'loop';
  const kf = Math.min(batched.fb, loop.fb);
  summary.push(
    `batch ${N}: kernel fusion forward ${(out.fwd / Math.min(batched.fwd, loop.fwd)).toFixed(2)}x faster than output fusion; ` +
      `training step (fwd+bwd): kernel fusion (${kernelBest}) ${kf.toFixed(1)} ms vs output fusion ${out.fb.toFixed(1)} ms -> ` +
      (kf < out.fb ? `kernel fusion is ${(out.fb / kf).toFixed(2)}x faster to train` : `output fusion is ${(kf / out.fb).toFixed(2)}x faster to train`) +
      `; batched vs loop: forward ${batched.fwd.toFixed(1)} / ${loop.fwd.toFixed(1)} ms, fwd+bwd ${batched.fb.toFixed(1)} / ${loop.fb.toFixed(1)} ms`,
  );

  // What fusion: 'auto' picks here, with its own one-shot wall-clock measurement.
  const auto = new DynamicConv2d(C, C, k, { padding: 1, groupSize: g, generator: gen, fusion: 'auto' });
  auto.forward(x.detach().requiresGrad_());
  noGrad(() => auto.eval().forward(x));
  for (const [sig, c] of auto.autoFusionCache) {
    summary.push(`  fusion 'auto' at ${sig}: output ${c.outputMs.toFixed(1)} ms, kernel ${c.kernelMs.toFixed(1)} ms -> ${c.path}`);
  }
  console.log();
}
console.log(summary.join('\n'));
