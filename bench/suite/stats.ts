/**
 * Pure helpers of `pnpm bench`: medians, rep-count sizing, number and ratio formatting.
 *
 * Ratio convention (used in every table): **speed vs X = X's time / dynconv's time**.
 * 1.00x: the same speed; 0.25x: dynconv runs at a quarter of X's speed (4x slower);
 * 4.00x: dynconv is 4x faster.
 */

/** Median of the values (mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Speed of dynconv relative to a peer: peer ms / dynconv ms (NaN when either is missing). */
export function speedRatio(peerMs: number, dynconvMs: number): number {
  if (!(peerMs > 0) || !(dynconvMs > 0)) return NaN;
  return peerMs / dynconvMs;
}

/** A ratio as "0.25x" (three significant digits at most; "n/a" for NaN). */
export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return 'n/a';
  if (r >= 100) return `${r.toFixed(0)}x`;
  if (r >= 10) return `${r.toFixed(1)}x`;
  if (r >= 0.1) return `${r.toFixed(2)}x`;
  return `${r.toPrecision(2)}x`;
}

/** A positive quantity with about three significant digits ("n/a" for NaN). */
export function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a === 0) return '0';
  return x.toPrecision(2);
}

/** How the reps of one measurement are sized. */
export interface RepPolicy {
  /** Untimed calls before the reps (at least 1: the last one sizes the run). */
  warmup: number;
  /** Aim for about this many ms of timed reps. */
  targetMs: number;
  maxReps: number;
  /** A warm-up call at least this slow is taken as the only sample (no further reps). */
  slowMs: number;
}

/** Reps that fit `targetMs` after a call of `lastMs`, between 1 and `maxReps`. */
export function repsFor(lastMs: number, policy: Pick<RepPolicy, 'targetMs' | 'maxReps'>): number {
  return Math.max(1, Math.min(policy.maxReps, Math.round(policy.targetMs / Math.max(lastMs, 1e-3))));
}

/** Runs `fn` under `policy` and returns the per-rep times (ms); `slow` when the warm-up call was the sample. */
export function measureSync(fn: () => void, policy: RepPolicy): { ms: number[]; slow: boolean } {
  let last = 0;
  for (let i = 0; i < Math.max(1, policy.warmup); i++) {
    const t0 = performance.now();
    fn();
    last = performance.now() - t0;
  }
  if (last >= policy.slowMs) return { ms: [last], slow: true };
  const reps = repsFor(last, policy);
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return { ms, slow: false };
}

/** {@link measureSync} for a function that returns a promise (onnxruntime's `session.run`): each rep awaited. */
export async function measureAsync(fn: () => Promise<unknown>, policy: RepPolicy): Promise<{ ms: number[]; slow: boolean }> {
  let last = 0;
  for (let i = 0; i < Math.max(1, policy.warmup); i++) {
    const t0 = performance.now();
    await fn();
    last = performance.now() - t0;
  }
  if (last >= policy.slowMs) return { ms: [last], slow: true };
  const reps = repsFor(last, policy);
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return { ms, slow: false };
}

/**
 * Selects ids by a comma list of exact ids or prefix globs ("matmul*"); throws on a pattern that
 * matches nothing, naming the known ids. An empty list selects everything.
 */
export function selectIds(all: readonly string[], patterns: string | undefined): string[] {
  const pats = (patterns ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (pats.length === 0) return [...all];
  const chosen = new Set<string>();
  for (const p of pats) {
    const hits = p.endsWith('*') ? all.filter((id) => id.startsWith(p.slice(0, -1))) : all.filter((id) => id === p);
    if (hits.length === 0) throw new Error(`--items: ${JSON.stringify(p)} matches no item; known: ${all.join(', ')}`);
    for (const h of hits) chosen.add(h);
  }
  return all.filter((id) => chosen.has(id));
}

/** The natural unit an item is reported in, next to ms. */
export type Unit = 'GFLOP/s' | 'img/s' | 'ns/elem';

/** The natural-unit value of one rep doing `work` (flops, images or elements) in `ms`. */
export function unitValue(item: { unit: Unit; work: number }, ms: number): number {
  if (!(ms > 0)) return NaN;
  switch (item.unit) {
    case 'GFLOP/s':
      return item.work / ms / 1e6;
    case 'img/s':
      return (item.work * 1000) / ms;
    case 'ns/elem':
      return (ms * 1e6) / item.work;
  }
}
