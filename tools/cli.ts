/**
 * What every command-line tool under tools/ shares: a bad command line is a `UsageError`
 * (message, then the usage, exit code 2); any other error prints its message (exit code 1).
 */
import { UsageError } from './train/args.js';

export { UsageError };

/**
 * Runs a tool's `main` and exits with the code it returns. `onError` may take an error first
 * (returning the exit code) and leave the rest (returning undefined) to the default handling.
 */
export function runCli(name: string, usage: string, main: () => Promise<number>, onError?: (e: unknown) => number | undefined): void {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof UsageError) {
        process.stderr.write(`${name}: ${e.message}\n\n${usage}\n`);
        process.exit(2);
      }
      const code = onError?.(e);
      if (code !== undefined) process.exit(code);
      process.stderr.write(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
