/**
 * The record of a `pnpm bench` run (the JSON written to bench/results/) and its renderings:
 * the two tables (times and ratios; natural units) and the generated section of
 * docs/benchmarks.md. Everything here is pure: no timing, no I/O.
 */
import { fmtNum, fmtRatio, median, speedRatio, type Unit, unitValue } from './stats.js';

/** The measured columns, in table order. */
export const COLUMNS = ['dynconv', 'dynconv-2t', 'torch-1', 'torch-2', 'tfjs', 'ort-1', 'ort-2'] as const;
export type Column = (typeof COLUMNS)[number];

export const COLUMN_LABELS: Record<Column, string> = {
  dynconv: 'dynconv 1t',
  'dynconv-2t': 'dynconv 2t',
  'torch-1': 'torch 1t',
  'torch-2': 'torch 2t',
  tfjs: 'tfjs-cpu',
  'ort-1': 'ort 1t',
  'ort-2': 'ort 2t',
};

/** One column of one item: per-round rep times, or why it is n/a. */
export interface ColumnResult {
  /** rounds[r] = the rep times (ms) of round r (an empty array: skipped that round). */
  rounds: number[][];
  /** Median over every rep of every round (NaN when n/a). */
  medianMs: number;
  /** Set when the column was not measured. */
  na?: string;
  /** A single call was slower than the slow threshold: it is the only sample of its round. */
  slow?: boolean;
}

export interface ItemResult {
  id: string;
  title: string;
  unit: Unit;
  work: number;
  columns: Record<Column, ColumnResult>;
  /** Dy-CNN items: parameter counts of dynconv's net and of the PyTorch mirror. */
  paramCheck?: { dynconv: number; torch: number | null; equal: boolean };
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  torch: string | null;
  torchvision: string | null;
  torchBlas: string | null;
  torchMatmul1024Gflops1t: number | null;
  tfjs: string | null;
  /** onnxruntime-node's version (the ort columns: the item's model exported by @dynconv/onnx). */
  onnxruntime?: string | null;
  /** How dynconv's threads were set. */
  dynconvThreads: string;
  /** machine() of bench/timing.ts, the one-line summary. */
  summary: string;
}

export interface BenchRecord {
  date: string;
  command: string;
  convention: string;
  machine: Machine;
  git: { commit: string; dirty: boolean };
  flags: Record<string, unknown>;
  policy: Record<string, number>;
  wallSeconds: number;
  items: ItemResult[];
}

export const CONVENTION =
  'speed vs X = X time / dynconv time: 1.00x the same speed, 0.25x dynconv at a quarter of X\'s speed (4x slower), 4.00x dynconv 4x faster';

/** Medians of the rep times, pooled over the rounds. */
export function pooledMedian(rounds: readonly (readonly number[])[]): number {
  return median(rounds.flat());
}

const ms = (c: ColumnResult | undefined) => (!c || c.na ? NaN : c.medianMs);

/** The times table: ms per column and the speed ratios vs torch 1t, torch 2t, tfjs, ort 1t and ort 2t. */
export function timeRows(items: readonly ItemResult[]): { header: string[]; rows: string[][] } {
  const header = ['item', ...COLUMNS.map((c) => `${COLUMN_LABELS[c]} ms`), 'vs torch 1t', 'vs torch 2t', 'vs tfjs', 'vs ort 1t', 'vs ort 2t'];
  const rows = items.map((it) => {
    const d = ms(it.columns.dynconv);
    return [
      it.id,
      ...COLUMNS.map((c) => fmtNum(ms(it.columns[c]))),
      fmtRatio(speedRatio(ms(it.columns['torch-1']), d)),
      fmtRatio(speedRatio(ms(it.columns['torch-2']), d)),
      fmtRatio(speedRatio(ms(it.columns.tfjs), d)),
      fmtRatio(speedRatio(ms(it.columns['ort-1']), d)),
      fmtRatio(speedRatio(ms(it.columns['ort-2']), d)),
    ];
  });
  return { header, rows };
}

/** A natural-unit cell: GFLOP/s, img/s, or "ns/elem (elem/ns)". */
export function unitCell(item: Pick<ItemResult, 'unit' | 'work'>, msValue: number): string {
  const v = unitValue(item, msValue);
  if (!Number.isFinite(v)) return 'n/a';
  if (item.unit === 'ns/elem') return `${fmtNum(v)} (${fmtNum(1 / v)})`;
  return fmtNum(v);
}

/** The units table: each column's median in the item's natural unit. */
export function unitRows(items: readonly ItemResult[]): { header: string[]; rows: string[][] } {
  const header = ['item', 'unit', ...COLUMNS.map((c) => COLUMN_LABELS[c])];
  const rows = items.map((it) => [it.id, it.unit === 'ns/elem' ? 'ns/elem (elem/ns)' : it.unit, ...COLUMNS.map((c) => unitCell(it, ms(it.columns[c])))]);
  return { header, rows };
}

/** A GitHub-flavoured markdown table. */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (r: readonly string[]) => `| ${r.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const DOCS_START = '<!-- pnpm-bench:start -->';
export const DOCS_END = '<!-- pnpm-bench:end -->';

/**
 * `doc` with the text between the markers replaced by `body` (markers kept, everything outside
 * them untouched). Throws when the markers are missing or out of order.
 */
export function replaceSection(doc: string, body: string, start = DOCS_START, end = DOCS_END): string {
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < 0 || j < i) throw new Error(`docs: markers ${start} ... ${end} not found (in that order)`);
  return `${doc.slice(0, i + start.length)}\n${body.trim()}\n${doc.slice(j)}`;
}

/** The n/a reasons of the record, one line each (deduplicated). */
export function naNotes(items: readonly ItemResult[]): string[] {
  const notes = new Map<string, string[]>();
  for (const it of items) {
    for (const c of COLUMNS) {
      const why = it.columns[c].na;
      if (!why) continue;
      const key = `${COLUMN_LABELS[c]}: ${why}`;
      notes.set(key, [...(notes.get(key) ?? []), it.id]);
    }
  }
  return [...notes].map(([k, ids]) => `${k} (${ids.join(', ')})`);
}

/** The generated section of docs/benchmarks.md, from a run's record. */
export function docsSection(rec: BenchRecord): string {
  const t = timeRows(rec.items);
  const u = unitRows(rec.items);
  const m = rec.machine;
  const rounds = Math.max(0, ...rec.items.flatMap((it) => COLUMNS.map((c) => it.columns[c].rounds.length)));
  const checks = rec.items.filter((it) => it.paramCheck).map((it) => `${it.id} ${it.paramCheck!.dynconv.toLocaleString('en-US')} (torch ${it.paramCheck!.torch === null ? 'n/a' : it.paramCheck!.torch.toLocaleString('en-US')}${it.paramCheck!.equal ? ', equal' : ', DIFFERENT'})`);
  const slow = rec.items.flatMap((it) =>
    COLUMNS.filter((c) => it.columns[c].slow).map((c) => {
      const measured = it.columns[c].rounds.filter((r) => r.length > 0).length;
      return `${it.id} ${COLUMN_LABELS[c]}${measured < it.columns[c].rounds.length ? ` (${measured} of ${it.columns[c].rounds.length} rounds: calls over ${rec.policy.onceMs / 1000} s run in the first round only)` : ''}`;
    }),
  );
  const lines = [
    '## dynconv vs PyTorch vs TensorFlow.js vs onnxruntime: `pnpm bench`',
    '',
    '_This section is generated by `bench/run.ts` from `bench/results/latest.json`; edit the script, not the text._',
    '',
    `Command: \`${rec.command}\`, ${rounds} alternating round${rounds === 1 ? '' : 's'} (each round runs every item on every side, one after another; the figure is the median of all reps of all rounds). Measured ${rec.date.slice(0, 16).replace('T', ' ')} UTC at commit ${rec.git.commit.slice(0, 10)}${rec.git.dirty ? ' (working tree with uncommitted changes)' : ''}, on a shared machine: read the ratios more than the milliseconds.`,
    '',
    `Machine: ${m.summary}; PyTorch ${m.torch ?? 'n/a'} (Debian, BLAS: ${m.torchBlas ?? 'n/a'}${m.torchMatmul1024Gflops1t ? `, 1024 matmul ${m.torchMatmul1024Gflops1t.toFixed(0)} GFLOP/s at 1 thread` : ''}), torch threads set per measurement (\`torch.set_num_threads\` and OpenBLAS's own count); TensorFlow.js ${m.tfjs ?? 'n/a'} CPU backend (plain JS, one thread) in the same process; onnxruntime-node ${m.onnxruntime ?? 'n/a'} (CPU, the \`onnx-*\` items' models exported by @dynconv/onnx, \`intraOpNumThreads\` 1 or 2) in the same process; dynconv in-process, threads: ${m.dynconvThreads}.`,
    '',
    `Ratios: ${rec.convention}.`,
    '',
    'Milliseconds per call (median):',
    '',
    mdTable(t.header, t.rows),
    '',
    'The same medians in each item\'s natural unit (higher is better except ns/elem):',
    '',
    mdTable(u.header, u.rows),
    '',
    'Items:',
    '',
    ...rec.items.map((it) => `- \`${it.id}\`: ${it.title}.`),
  ];
  const notes = naNotes(rec.items);
  if (notes.length) lines.push('', 'n/a:', '', ...notes.map((n) => `- ${n}`));
  if (slow.length) lines.push('', `Timed with one call per round (a single call took over ${rec.policy.slowMs / 1000} s): ${slow.join('; ')}.`);
  if (checks.length) lines.push('', `Parameter counts of the Dy-CNN nets, dynconv vs the PyTorch mirror (bench/torch/dycnn.py): ${checks.join('; ')}.`);
  return lines.join('\n');
}
