/**
 * What the command-line tools of tools/paper/ share: running as the main module, Ctrl-C, the
 * context, formatting.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SampleSummary } from '@dynconv/analysis';
import { runCli } from '../cli.js';
import { type PaperContext, RunStopped } from './runs.js';

/** True when the module at `url` is the script node was started with. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(url);
}

/** A context logging to stdout, whose `control.stop` a first Ctrl-C sets (a second exits at once). */
export function cliContext(runsDir: string, verbose: boolean): PaperContext {
  const ctx: PaperContext = { runsDir, verbose, log: (l) => console.log(l), control: { stop: false }, counter: { done: 0, total: 0 } };
  process.on('SIGINT', () => {
    if (ctx.control.stop) process.exit(130);
    ctx.control.stop = true;
    process.stderr.write('\ninterrupt: saving the current run at the end of this step (Ctrl-C again to quit without saving)\n');
  });
  return ctx;
}

/** Runs a tool's main (tools/cli.ts's runCli): usage errors exit with code 2, a stopped run with 130. */
export function runMain(name: string, usage: string, main: () => Promise<number>): void {
  runCli(name, usage, main, (e) => {
    if (e instanceof RunStopped) {
      process.stderr.write(`${name}: ${e.message}\n`);
      return 130;
    }
    process.stderr.write(`${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  });
}

/** Writes a tool's results (file name -> text) into `dir`, made if needed, and says so. */
export function writeOutputs(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  console.log(`\nwrote ${Object.keys(files).map((name) => join(dir, name)).join(', ')}`);
}

/** `98.63 ± 0.12` (percent points, two decimals). */
export function pm(s: SampleSummary, digits = 2): string {
  return `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
}

/** A p-value for a table: `0.003`, `< 0.001`. */
export function pValue(p: number): string {
  if (Number.isNaN(p)) return '-';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** A signed difference in points: `+0.12`, `-0.30`. */
export function signed(x: number, digits = 2): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
}

/** A markdown table (first row the header; columns whose cells all look numeric are right-aligned). */
export function markdownTable(rows: string[][]): string {
  const [head, ...body] = rows;
  const numeric = head!.map((_, i) => body.length > 0 && body.every((r) => /^[-+<>~]?\s?[\d.,]+(\s?[±%x].*)?$|^-$/.test(r[i] ?? '')));
  const lines = [`| ${head!.join(' | ')} |`, `|${head!.map((_, i) => (numeric[i] ? '---:' : '---')).join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)];
  return lines.join('\n');
}
