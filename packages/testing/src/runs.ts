/**
 * How many cases a property runs, and which seed replays a failure: the DYNCONV_NUM_RUNS and
 * DYNCONV_SEED environment variables, read when `process` exists (Node, Deno, Bun) and
 * ignored in a browser.
 */
import type fc from 'fast-check';

/** Cases per property when DYNCONV_NUM_RUNS is not set. */
export const DEFAULT_NUM_RUNS = 12;

/** An environment variable, or undefined where there is no `process` (a browser). */
function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = proc?.env?.[name];
  return v === undefined || v.trim() === '' ? undefined : v;
}

function integerVar(name: string, min: number): number | undefined {
  const raw = env(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * The number of cases a property runs: DYNCONV_NUM_RUNS (default 12) times `scale`, rounded,
 * at least 1. A slow property takes `numRuns(0.25)`; a deep run sets
 * `DYNCONV_NUM_RUNS=200` for the whole suite.
 */
export function numRuns(scale = 1): number {
  if (!(scale > 0)) throw new Error(`numRuns: scale must be > 0, got ${scale}`);
  return Math.max(1, Math.round((integerVar('DYNCONV_NUM_RUNS', 1) ?? DEFAULT_NUM_RUNS) * scale));
}

/** The seed fast-check should use (DYNCONV_SEED), or undefined for a fresh one each run. */
export function seed(): number | undefined {
  return integerVar('DYNCONV_SEED', -(2 ** 31));
}

/**
 * Parameters for `fc.assert`: {@link numRuns}`(scale)` cases, and DYNCONV_SEED's seed when it
 * is set, so the seed a failure prints replays it (`DYNCONV_SEED=<seed> npx vitest run ...`).
 */
export function runs(scale = 1): fc.Parameters<unknown> {
  const s = seed();
  return { numRuns: numRuns(scale), ...(s === undefined ? {} : { seed: s }) };
}
