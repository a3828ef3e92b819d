/**
 * `pnpm bench`: one command, one run, dynconv vs PyTorch (CPU, 1 and 2 threads) vs
 * TensorFlow.js's CPU backend vs onnxruntime-node (CPU, 1 and 2 threads, on the `onnx-*` items'
 * models as @dynconv/onnx exports them), side by side on the same items.
 *
 *   pnpm bench [--items id,id|prefix*] [--rounds 3] [--quick] [--no-torch] [--no-tfjs]
 *              [--json PATH] [--no-docs] [--target-ms 400]
 *
 * Rounds alternate: in each round every selected item runs on every side, one after another
 * (dynconv, dynconv 2 threads, torch 1 thread, torch 2 threads, tfjs, ort 1 thread, ort 2 threads), each a warm-up call and
 * then as many reps as fit in about --target-ms (onnxruntime: the same, each run awaited); a call slower than 2 s is the round's only
 * sample, and a side slower than 10 s per call is measured in the first round only. The
 * reported figure is the median of every rep of every round. Ratios are
 * "speed vs X = X time / dynconv time" (below 1: dynconv slower).
 *
 * PyTorch runs in one persistent worker (bench/torch/worker.py, Debian's /usr/bin/python3);
 * without it the torch columns are n/a. dynconv runs in this process at 1 thread; when
 * @dynconv/core exports setNumThreads, a second dynconv column runs at 2 threads.
 *
 * Writes bench/results/<date-time>.json and bench/results/latest.json (with --json PATH also
 * PATH), then regenerates the marked section of docs/benchmarks.md unless --no-docs. --quick
 * (1 round, 1 rep each, for smoke tests) writes only the --json PATH, if given, and never the docs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import * as core from '@dynconv/core';
import { type AsyncRun, dycnnParamCount, ITEMS, type Item, type Run } from './suite/items.js';
import { type BenchRecord, type Column, COLUMN_LABELS, type ColumnResult, COLUMNS, CONVENTION, docsSection, type ItemResult, type Machine, naNotes, pooledMedian, replaceSection, timeRows, unitRows } from './suite/report.js';
import { fmtNum, measureAsync, measureSync, type RepPolicy, selectIds } from './suite/stats.js';
import { type TorchInfo, TorchWorker } from './suite/torch-worker.js';
import { machine, table } from './timing.js';

const USAGE = `usage: pnpm bench [--items id,id|prefix*] [--rounds N] [--quick] [--no-torch] [--no-tfjs] [--json PATH] [--no-docs] [--target-ms MS]
items: ${ITEMS.map((i) => i.id).join(', ')}`;

/** onnxruntime-node's version, or null when it is not installed (the ort columns are then n/a). */
const ortVersion: string | null = await import('onnxruntime-node').then((ort) => ort.env.versions.node ?? 'unknown', () => null);

const { values: flags } = parseArgs({
  options: {
    items: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false },
    'no-tfjs': { type: 'boolean', default: false },
    json: { type: 'string' },
    'no-docs': { type: 'boolean', default: false },
    'target-ms': { type: 'string', default: '400' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

const root = new URL('../', import.meta.url);
const t0 = performance.now();
const rounds = flags.quick ? 1 : Number(flags.rounds);
if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds must be a positive integer, got ${flags.rounds}`);
const policy: RepPolicy = flags.quick
  ? { warmup: 1, targetMs: 0, maxReps: 1, slowMs: 2000 }
  : { warmup: 1, targetMs: Number(flags['target-ms']), maxReps: 300, slowMs: 2000 };
/** A side whose call takes this long is measured in the first round only. */
const ONCE_MS = 10_000;
let selected: Item[];
try {
  const ids = selectIds(ITEMS.map((i) => i.id), flags.items);
  selected = ITEMS.filter((i) => ids.includes(i.id));
} catch (e) {
  fail(`${(e as Error).message}\n${USAGE}`);
}

// ---- the three sides ----------------------------------------------------------------------------

const useTfjs = !flags['no-tfjs'];
if (useTfjs) await tf.setBackend('cpu');

let torch: TorchWorker | null = null;
let torchInfo: TorchInfo | null = null;
if (!flags['no-torch']) {
  torch = await TorchWorker.start(2);
  if (torch) {
    torchInfo = await torch.info();
    const b = torchInfo.blas;
    console.log(`PyTorch ${torchInfo.torch} (${torchInfo.executable}); BLAS: ${b.openblasConfig ?? b.libraries.join(', ')}; 1024 matmul at 1 thread: ${torchInfo.matmul1024Gflops1t.toFixed(0)} GFLOP/s`);
    if (!b.openblas || torchInfo.matmul1024Gflops1t < 15) {
      console.log(`WARNING: torch looks like it runs on the reference BLAS (${b.libraries.join(', ') || 'no BLAS library found'}, ${torchInfo.matmul1024Gflops1t.toFixed(1)} GFLOP/s); install OpenBLAS: sudo apt-get install -y libopenblas0-pthread`);
    }
  }
}

/**
 * dynconv's thread control, when @dynconv/core has one: the dynconv column runs at 1 thread
 * (set explicitly, since a threaded core may default to every core), dynconv 2t at 2.
 */
const coreExports = core as Record<string, unknown>;
const setNumThreads = 'setNumThreads' in core ? (coreExports.setNumThreads as (n: number) => unknown) : null;
const threadsOk = setNumThreads !== null && (typeof coreExports.threadsSupported !== 'function' || (coreExports.threadsSupported as () => boolean)());
const dynconvThreads = async (n: number) => {
  if (setNumThreads) await setNumThreads(n);
};
await dynconvThreads(1);

// ---- the rounds ---------------------------------------------------------------------------------

interface State {
  item: Item;
  result: ItemResult;
  dynRun: Run | null;
  tfRun: Run | null;
  /** onnxruntime sessions by thread count (one per column: threads are fixed when a session is made). */
  ortRuns: Map<number, AsyncRun>;
}

const states: State[] = selected.map((item) => {
  const fresh = (): ColumnResult => ({ rounds: [], medianMs: NaN });
  const columns: Record<Column, ColumnResult> = { dynconv: fresh(), 'dynconv-2t': fresh(), 'torch-1': fresh(), 'torch-2': fresh(), tfjs: fresh(), 'ort-1': fresh(), 'ort-2': fresh() };
  const na = (c: Column, why: string) => (columns[c].na = why);
  if (!setNumThreads) na('dynconv-2t', '@dynconv/core has no setNumThreads (one thread only)');
  else if (!threadsOk) na('dynconv-2t', '@dynconv/core threadsSupported() is false here');
  if (!item.torch) (['torch-1', 'torch-2'] as const).forEach((c) => na(c, item.na?.torch ?? 'not implemented'));
  else if (!torch) (['torch-1', 'torch-2'] as const).forEach((c) => na(c, flags['no-torch'] ? '--no-torch' : 'PyTorch unavailable'));
  if (!item.tfjs) na('tfjs', item.na?.tfjs ?? 'not implemented');
  else if (!useTfjs) na('tfjs', '--no-tfjs');
  if (!item.ort) (['ort-1', 'ort-2'] as const).forEach((c) => na(c, item.na?.ort ?? 'no ONNX model (the onnx-* items have one)'));
  else if (!ortVersion) (['ort-1', 'ort-2'] as const).forEach((c) => na(c, 'onnxruntime-node is not installed'));
  return { item, result: { id: item.id, title: item.title, unit: item.unit, work: item.work, columns }, dynRun: null, tfRun: null, ortRuns: new Map() };
});

console.log(`${selected.length} item${selected.length === 1 ? '' : 's'}, ${rounds} round${rounds === 1 ? '' : 's'}, ~${policy.targetMs} ms of reps per measurement; dynconv threads: ${setNumThreads ? (threadsOk ? '1 and 2' : '1 (threadsSupported() false)') : '1 (no setNumThreads in @dynconv/core)'}; ${machine()}`);

for (let r = 0; r < rounds; r++) {
  for (const s of states) {
    const line: string[] = [];
    for (const c of COLUMNS) {
      const col = s.result.columns[c];
      if (col.na) continue;
      // Slow sides (tfjs's filter gradient: tens of seconds per call) run in the first round only.
      if (r > 0 && col.rounds.some((rs) => rs.some((t) => t >= ONCE_MS))) {
        col.rounds.push([]);
        continue;
      }
      try {
        const { ms, slow } = await measure(s, c);
        col.rounds.push(ms);
        if (slow) col.slow = true;
        line.push(`${COLUMN_LABELS[c]} ${fmtNum(pooledMedian([ms]))} ms${ms.length > 1 ? ` (${ms.length} reps)` : ''}`);
      } catch (e) {
        const msg = (e as Error).message;
        // The worker asserts the Dy-CNN mirror's parameter count: a mismatch ends the run.
        if (msg.includes('AssertionError')) fail(`${s.item.id} ${c}: ${msg}`);
        col.na = `failed: ${msg.split('\n')[0]}`;
        console.log(`  ${s.item.id} ${COLUMN_LABELS[c]} failed: ${msg}`);
      }
    }
    console.log(`round ${r + 1}/${rounds} ${s.item.id}: ${line.join(', ')}`);
  }
}

async function measure(s: State, c: Column): Promise<{ ms: number[]; slow: boolean }> {
  const { item } = s;
  switch (c) {
    case 'dynconv':
    case 'dynconv-2t': {
      s.dynRun ??= item.dynconv();
      if (c === 'dynconv') return measureSync(s.dynRun, policy);
      await dynconvThreads(2);
      try {
        return measureSync(s.dynRun, policy);
      } finally {
        await dynconvThreads(1);
      }
    }
    case 'torch-1':
    case 'torch-2': {
      const spec = item.torch!();
      const res = await torch!.run(spec.op, spec.params, c === 'torch-1' ? 1 : 2, policy);
      if (spec.op === 'dycnn-train') checkParams(s, spec.params.kind as Parameters<typeof dycnnParamCount>[0], res.paramCount ?? null);
      if (res.threads !== (c === 'torch-1' ? 1 : 2)) console.log(`  WARNING: torch ran ${item.id} at ${res.threads} threads, asked for ${c}`);
      return res;
    }
    case 'tfjs':
      s.tfRun ??= item.tfjs!();
      return measureSync(s.tfRun, policy);
    case 'ort-1':
    case 'ort-2': {
      const threads = c === 'ort-1' ? 1 : 2;
      let run = s.ortRuns.get(threads);
      if (!run) {
        run = await item.ort!(threads);
        s.ortRuns.set(threads, run);
      }
      return measureAsync(run, policy);
    }
  }
}

/** The PyTorch mirror of the Dy-CNN must have exactly dynconv's parameter count (the worker asserts it too). */
function checkParams(s: State, kind: Parameters<typeof dycnnParamCount>[0], torchCount: number | null): void {
  const dyn = dycnnParamCount(kind);
  s.result.paramCheck = { dynconv: dyn, torch: torchCount, equal: dyn === torchCount };
  if (dyn !== torchCount) fail(`${s.item.id}: the PyTorch Dy-CNN (bench/torch/dycnn.py) has ${torchCount} parameters, dynconv's has ${dyn}`);
}

for (const s of states) {
  for (const c of COLUMNS) {
    const col = s.result.columns[c];
    col.medianMs = col.na ? NaN : pooledMedian(col.rounds);
  }
}
await torch?.close();

// ---- report -------------------------------------------------------------------------------------

const items = states.map((s) => s.result);
console.log(`\nMilliseconds per call, median of all reps of ${rounds} round${rounds === 1 ? '' : 's'}. ${CONVENTION}.`);
const t = timeRows(items);
table(t.header, t.rows);
console.log('\nNatural units (GFLOP/s, img/s: higher is better; ns/elem: lower is better, elem/ns in brackets):');
const u = unitRows(items);
table(u.header, u.rows);
for (const n of naNotes(items)) console.log(`n/a: ${n}`);
for (const it of items) if (it.paramCheck) console.log(`param count ${it.id}: dynconv ${it.paramCheck.dynconv}, torch ${it.paramCheck.torch} (${it.paramCheck.equal ? 'equal' : 'DIFFERENT'})`);

const date = new Date().toISOString();
const rec: BenchRecord = {
  date,
  command: ['pnpm bench', ...process.argv.slice(2)].join(' '),
  convention: CONVENTION,
  machine: machineRecord(torchInfo),
  git: gitState(),
  flags: { ...flags, rounds },
  policy: { ...policy, onceMs: ONCE_MS },
  wallSeconds: (performance.now() - t0) / 1000,
  items,
};
// NaN is not JSON: n/a medians are written as null.
const json = `${JSON.stringify(rec, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
const written: string[] = [];
if (!flags.quick) {
  const dir = new URL('bench/results/', root);
  mkdirSync(dir, { recursive: true });
  const stamped = new URL(`${date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`, dir);
  writeFileSync(stamped, json);
  writeFileSync(new URL('latest.json', dir), json);
  written.push(stamped.pathname, new URL('latest.json', dir).pathname);
}
if (flags.json) {
  writeFileSync(flags.json, json);
  written.push(flags.json);
}
if (written.length) console.log(`\nwrote ${written.join(', ')}`);
if (!flags.quick && !flags['no-docs']) {
  const docs = new URL('docs/benchmarks.md', root);
  writeFileSync(docs, replaceSection(readFileSync(docs, 'utf8'), docsSection(rec)));
  console.log(`updated the pnpm-bench section of ${docs.pathname}`);
}
console.log(`done in ${rec.wallSeconds.toFixed(0)} s`);

function machineRecord(info: TorchInfo | null): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown CPU',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    torch: info?.torch ?? null,
    torchvision: info?.torchvision ?? null,
    torchBlas: info ? (info.blas.openblasConfig ?? (info.blas.libraries.join(', ') || 'unknown')) : null,
    torchMatmul1024Gflops1t: info?.matmul1024Gflops1t ?? null,
    tfjs: useTfjs ? tf.version_core : null,
    onnxruntime: ortVersion,
    dynconvThreads: setNumThreads ? (threadsOk ? '1 and 2 (setNumThreads)' : '1 (setNumThreads present, threadsSupported() false)') : '1 (no setNumThreads)',
    summary: machine(),
  };
}

function gitState(): { commit: string; dirty: boolean } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

function fail(msg: string): never {
  console.error(`pnpm bench: ${msg}`);
  process.exit(1);
}
