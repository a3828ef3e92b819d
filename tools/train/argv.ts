/**
 * Command-line details shared by tools/train.ts and tools/evaluate.ts.
 */

/** A negative number as a flag's value: -1, -0.5, -.5, -1e-3. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * `--lr -1` as `--lr=-1`: Node's parseArgs refuses a value that starts with a dash when it is
 * written after a space ("argument is ambiguous"), so the value reaches the flag's own check
 * (which then says what it accepts). Only for flags that take a value, and only for values
 * that are negative numbers: `--out -x` still fails as before.
 */
export function joinNegativeValues(argv: readonly string[], valueFlags: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg.startsWith('--') && valueFlags.has(arg.slice(2)) && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** The flags of a parseArgs options table that take a value. */
export function valueFlagsOf(options: Record<string, { type: string }>): Set<string> {
  return new Set(Object.entries(options).filter(([, o]) => o.type === 'string').map(([k]) => k));
}

/**
 * A count of images (`--limit`, `--test-limit`): a positive integer, or 'all' (undefined).
 * Returns an error message instead of throwing, so each tool raises its own usage error.
 */
export function parseImageCount(flag: string, text: string): { value: number | undefined } | { error: string } {
  if (text === 'all') return { value: undefined };
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) return { error: `--${flag} must be a positive integer or 'all', got ${JSON.stringify(text)}` };
  return { value: n };
}
