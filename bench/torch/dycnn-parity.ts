/**
 * Checks that bench/torch/dycnn.py is the same net as tools/models/dy-cnn.ts, not only the same
 * parameter count:  npx tsx bench/torch/dycnn-parity.ts
 * Builds each Dy-CNN kind here (training mode, batch statistics), runs a random batch, hands the
 * named parameters, the input and the logits to bench/torch/dycnn_parity.py, which loads them into
 * the PyTorch mirror by name (the names must match exactly) and compares the logits. Exits 1 on a
 * mismatch. Needs Debian's /usr/bin/python3 with torch.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, noGrad, randn } from '@dynconv/core';
import { DEFAULT_CONFIG, DyCnn } from '../../tools/models/dy-cnn.js';
import { PYTHON } from '../suite/torch-worker.js';

const cases = [['dynamic', 'kernel'], ['dynamic', 'output'], ['static', 'kernel'], ['static-wide', 'kernel']] as const;
const dump: Record<string, unknown> = {};
for (const [kind, fusion] of cases) {
  const g = new Generator(0);
  const model = new DyCnn({ ...DEFAULT_CONFIG, kind }, { generator: g, fusion }).train();
  const x = randn([8, 1, 28, 28], { generator: g });
  const y = noGrad(() => model.forward(x));
  const params = Object.fromEntries(model.namedParameters().map(([n, p]) => [n, { shape: p.shape, data: Array.from(p.dataSync()) }]));
  dump[`${kind}/${fusion}`] = { kind, fusion, params, x: { shape: x.shape, data: Array.from(x.dataSync()) }, y: Array.from(y.dataSync()) };
}
const dir = mkdtempSync(path.join(os.tmpdir(), 'dycnn-parity-'));
const file = path.join(dir, 'dump.json');
writeFileSync(file, JSON.stringify(dump));
const script = fileURLToPath(new URL('./dycnn_parity.py', import.meta.url));
const res = spawnSync(PYTHON, [script, file], { stdio: 'inherit', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
rmSync(dir, { recursive: true, force: true });
process.exit(res.status ?? 1);
