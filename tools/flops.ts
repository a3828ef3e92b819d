/**
 * The DyNet paper's FLOPs table, reproduced: every model of @dynconv/models profiled in eval
 * mode (Dy-models on their inference path: kernel fusion, the fusion itself and the shared
 * coefficient predictors) on one 224x224 image, next to the paper's and torchvision's figures.
 *
 *   pnpm flops                       the table
 *   pnpm flops --layers dyResnet18   also that model's per-layer profile
 *   pnpm flops --size 160            another input size (the paper's column is for 224)
 *
 * "conv only" leaves out the dynamic layers' kernel fusion and the predictors: the paper's ICLR
 * table appears to count that way (docs/models.md).
 */
import { parseArgs } from 'node:util';
import { createModel, type ModelName, MODELS, PAPER_TABLE, profile, STATIC_DY_PAIRS, TORCHVISION } from '@dynconv/models';

const { values: flags } = parseArgs({
  options: {
    layers: { type: 'string', multiple: true, default: [] },
    size: { type: 'string', default: '224' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log('usage: pnpm flops [--size N] [--layers MODEL ...]\nmodels: ' + Object.keys(MODELS).join(', '));
  process.exit(0);
}
const size = Number(flags.size);
if (!Number.isInteger(size) || size < 32) {
  console.error(`flops: --size must be an integer of at least 32, got ${flags.size}`);
  process.exit(2);
}
for (const name of flags.layers) {
  if (!(name in MODELS)) {
    console.error(`flops: unknown model ${JSON.stringify(name)} for --layers; known: ${Object.keys(MODELS).join(', ')}`);
    process.exit(2);
  }
}

const m = (macs: number) => (macs / 1e6).toFixed(1);
const pad = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  // Names left-aligned, numbers right-aligned.
  const left = rows[0]!.map((_, i) => rows.slice(1).every((r) => !/^[-+]?[\d,.]+%?$|^-$/.test(r[i]!)));
  return rows.map((r, ri) => `| ${r.map((c, i) => (left[i] ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |` + (ri === 0 ? `\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|` : '')).join('\n');
};

console.log(`Multiply-adds per image at ${size}x${size}, eval mode (MFLOPs = millions of multiply-adds, as the paper and torchvision count them)\n`);
const header = ['model', 'paper name', 'params', 'ours MFLOPs', 'conv only', 'paper MFLOPs', 'ours vs paper', 'torchvision GFLOPs'];
const rows: string[][] = [header];
const outside: string[] = [];
const ours = new Map<ModelName, { all: number; convOnly: number }>();
for (const row of PAPER_TABLE) {
  const model = createModel(row.model).eval();
  const p = profile(model, [1, 3, size, size]);
  const b = p.breakdown;
  const convOnly = p.macs - b.fusion - b.predictor;
  ours.set(row.model, { all: p.macs, convOnly });
  const tv = TORCHVISION[row.model];
  let vs = '-';
  if (row.paperMFlops !== null && size === 224) {
    const d = (p.macs / 1e6 / row.paperMFlops - 1) * 100;
    vs = `${d >= 0 ? '+' : ''}${d.toFixed(1)}%`;
    if (Math.abs(d) > 10) outside.push(row.model);
  }
  rows.push([row.model, row.label, p.params.toLocaleString('en-US'), m(p.macs), m(convOnly), row.paperMFlops === null ? '-' : String(row.paperMFlops), vs, tv ? String(tv.gflops) : '-']);
  if (flags.layers.includes(row.model)) layerTable(row.model, p);
}
console.log(pad(rows));

// The paper states each Dy-network's saving in % of its static network's FLOPs.
console.log('\nFLOPs reduction of each Dy-model against its static network (%)\n');
const red = [['Dy-model', 'ours', 'ours, conv only', 'paper (ICLR table)', 'paper (arXiv)']];
for (const [st, dy] of STATIC_DY_PAIRS) {
  const a = ours.get(st)!;
  const d = ours.get(dy)!;
  const pr = PAPER_TABLE.find((r) => r.model === dy)!.paperReduction;
  const pct = (x: number) => (x * 100).toFixed(1);
  red.push([dy, pct(1 - d.all / a.all), pct(1 - d.convOnly / a.convOnly), pr ? pr.iclr.toFixed(1) : '-', pr ? pr.arxiv.toFixed(1) : '-']);
}
console.log(pad(red));
if (size === 224) {
  console.log(
    outside.length
      ? `\nOutside 10% of the paper: ${outside.join(', ')} (see docs/models.md)`
      : '\nEvery row with a paper figure is within 10% of it (docs/models.md explains the remaining differences).',
  );
}

function layerTable(name: ModelName, p: ReturnType<typeof profile>): void {
  console.log(`\n${name}: per layer`);
  const lines = [['layer', 'type', 'output', 'MMAC', 'params', 'path']];
  for (const l of p.layers) lines.push([l.name || '(model)', l.type, l.outputShape.join('x'), (l.macs / 1e6).toFixed(3), String(l.params), l.dynamic?.path ?? '']);
  console.log(pad(lines));
  const b = p.breakdown;
  console.log(`total ${m(p.macs)} MFLOPs: static conv ${m(b.conv)}, dynamic conv ${m(b.dynamicConv)}, fusion ${m(b.fusion)}, predictors ${m(b.predictor)}, linear ${m(b.linear)}, pooling ${m(b.pool)}\n`);
}
