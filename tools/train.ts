/**
 * Trains a Dy-CNN (or a static baseline) on MNIST or Fashion-MNIST: `pnpm start` runs it with
 * the defaults, then tools/evaluate.ts on the checkpoint. See `--help` and README.md's
 * "Training" section.
 *
 * Ctrl-C saves a checkpoint at the current step and exits with code 130; a second Ctrl-C exits
 * at once. Bad flags print the usage and exit with code 2.
 */
import { runCli } from './cli.js';
import { parseTrainArgs, USAGE } from './train/args.js';
import { selectBackend } from './train/backend.js';
import { readRun, runTraining, type StopControl } from './train/run.js';

async function main(): Promise<number> {
  const parsed = parseTrainArgs(process.argv.slice(2));
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const runArgs = parsed.args.resume === undefined ? parsed.args : (storedArgs(parsed.args.resume) ?? parsed.args);
  const chosen = await selectBackend(runArgs.backend, runArgs.gpuMode);
  if (chosen) process.stdout.write(`${chosen}\n`);
  const control: StopControl = { stop: false };
  process.on('SIGINT', () => {
    if (control.stop) process.exit(130);
    control.stop = true;
    process.stderr.write('\ninterrupt: saving a checkpoint at the end of this step (Ctrl-C again to quit without saving)\n');
  });
  const sink = { write: (t: string) => void process.stdout.write(t), isTTY: process.stdout.isTTY === true };
  const result = await runTraining(parsed.args, sink, control);
  return result.status === 'stopped' && control.stop ? 130 : 0;
}

/** The settings stored in a checkpoint (a resumed run keeps its backend). */
function storedArgs(path: string): { backend: string; gpuMode?: string } | undefined {
  try {
    return readRun(path).extra.args;
  } catch {
    return undefined; // runTraining reports the bad checkpoint
  }
}

runCli('train', USAGE, main);
