/**
 * The gpu backend in every gpu.js mode that works on this machine, next to the CPU backend:
 * matmul and conv (forward, input and filter gradient), float32, and which mode `auto` picks.
 *
 *   pnpm bench:gpu [--repeats 5] [--sizes 128,256,512] [--modes webasm,headlessgl,cpu]
 *
 * Each time includes the kernel launch and reading the result back (dataSync), which is what a
 * user of the backend pays per op at the end of a chain; kernels are compiled in the warm-up
 * (GL modes compile one shader per shape, a noticeable cost each: docs/benchmarks.md, "GPU
 * backend"). headless-gl needs an X display:
 * run under `xvfb-run -a` to include it.
 */
import { parseArgs } from 'node:util';
import { conv2d, Generator, randn, tidy, type Tensor } from '@dynconv/core';
import { availableModes, createGpuBackend, type GpuMode } from '@dynconv/gpu';
import { gflops, machine, medianMs, table } from './timing.js';

const { values: flags } = parseArgs({
  options: {
    repeats: { type: 'string', default: '5' },
    sizes: { type: 'string', default: '128,256,512' },
    modes: { type: 'string' },
  },
});
const repeats = Number(flags.repeats);
const sizes = flags.sizes.split(',').map(Number);
const wanted = (flags.modes?.split(',') ?? ['headlessgl', 'webasm', 'cpu']) as GpuMode[];

const availability = availableModes(wanted);
const backends: { label: string; name: string }[] = [{ label: 'cpu backend', name: 'cpu' }];
for (const m of availability) {
  if (!m.available) {
    console.log(`gpu mode ${m.mode}: unavailable (${m.reason})`);
    continue;
  }
  const b = createGpuBackend({ name: `gpu-${m.mode}`, mode: m.mode });
  console.log(`gpu mode ${m.mode}: ${b.renderer}`);
  backends.push({ label: `gpu ${m.mode}`, name: b.name });
}
const auto = createGpuBackend({ name: 'gpu-auto', mode: 'auto' });
const measured = auto.modeReport.candidates?.map((c) => (c.ms === undefined ? `${c.mode} unavailable` : `${c.mode} ${c.ms.toFixed(1)} ms`)).join(', ');
console.log(`auto chose ${auto.mode} (${auto.renderer}); probe: ${measured}`);
console.log(machine());

const g = new Generator(0);
/** The same values on every backend. */
const inputs = (shape: number[]) => {
  const host = randn(shape, { generator: g });
  return (name: string): Tensor => (name === 'cpu' ? host : tidy(() => host.to(name)));
};

const time = (fn: () => Tensor): number =>
  medianMs(() => tidy(() => void fn().dataSync()), { repeats, warmup: 1 });

const mmRows: (string | number)[][] = [];
for (const n of sizes) {
  const a = inputs([n, n]);
  const b = inputs([n, n]);
  const row: (string | number)[] = [String(n)];
  for (const be of backends) {
    const [x, y] = [a(be.name), b(be.name)];
    const ms = time(() => x.matmul(y));
    row.push(`${ms.toFixed(1)} (${gflops(2 * n ** 3, ms).toFixed(2)})`);
  }
  mmRows.push(row);
}
console.log('\nmatmul n x n . n x n: ms (GFLOP/s), result read back');
table(['n', ...backends.map((b) => b.label)], mmRows);

// The Dy-CNN's middle layer at batch 32, and a larger one.
const convs = [
  { label: 'N32 C16 14x14 K32 3x3 s1', N: 32, C: 16, H: 14, K: 32 },
  { label: 'N8 C32 28x28 K32 3x3 s1', N: 8, C: 32, H: 28, K: 32 },
];
const convRows: (string | number)[][] = [];
for (const c of convs) {
  const x = inputs([c.N, c.C, c.H, c.H]);
  const w = inputs([c.K, c.C, 3, 3]);
  const dyShape = [c.N, c.K, c.H, c.H];
  const dy = inputs(dyShape);
  const flops = 2 * c.N * c.K * c.H * c.H * c.C * 9;
  for (const [what, run] of [
    ['forward', (xx: Tensor, ww: Tensor) => conv2d(xx, ww, null, { padding: 1 })],
    ['forward + both grads', (xx: Tensor, ww: Tensor, gg?: Tensor) => {
      const xr = xx.detach().requiresGrad_();
      const wr = ww.detach().requiresGrad_();
      conv2d(xr, wr, null, { padding: 1 }).mul(gg!).sum().backward();
      const out = xr.grad!.sum().add(wr.grad!.sum());
      xr.grad!.dispose();
      wr.grad!.dispose();
      return out;
    }],
  ] as const) {
    const row: (string | number)[] = [c.label, what];
    for (const be of backends) {
      const [xx, ww, gg] = [x(be.name), w(be.name), dy(be.name)];
      const ms = time(() => run(xx, ww, gg));
      const f = what === 'forward' ? flops : 3 * flops;
      row.push(`${ms.toFixed(1)} (${gflops(f, ms).toFixed(2)})`);
    }
    convRows.push(row);
  }
}
console.log('\nconv2d 3x3 padding 1: ms (GFLOP/s), result read back');
table(['conv', 'pass', ...backends.map((b) => b.label)], convRows);
