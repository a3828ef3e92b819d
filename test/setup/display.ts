/**
 * Vitest global setup: gives the suites an X display, so headless-gl (gpu.js's `headlessgl`
 * mode) works under a plain `pnpm test`. When DISPLAY is unset and Xvfb is installed, starts a
 * private Xvfb server for the run and stops it afterwards. Without Xvfb nothing happens and the
 * GPU suites report headlessgl as unavailable (a failure only where DYNCONV_GPU_MODES asks for it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

let server: ChildProcess | undefined;

function hasXvfb(): boolean {
  return spawnSync('sh', ['-c', 'command -v Xvfb'], { stdio: 'ignore' }).status === 0;
}

/** The first display number whose lock file and socket are free. */
function freeDisplay(): number {
  for (let n = 90; n < 190; n++) if (!existsSync(`/tmp/.X${n}-lock`) && !existsSync(`/tmp/.X11-unix/X${n}`)) return n;
  throw new Error('test setup: no free X display number in :90-:189');
}

export async function setup(): Promise<void> {
  if (process.env.DISPLAY || !hasXvfb()) return;
  const n = freeDisplay();
  server = spawn('Xvfb', [`:${n}`, '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
  let failed: Error | undefined;
  server.on('error', (e) => (failed = e));
  server.on('exit', (code) => (failed ??= new Error(`Xvfb exited with code ${code}`)));
  const deadline = Date.now() + 10_000;
  while (!existsSync(`/tmp/.X11-unix/X${n}`)) {
    if (failed) {
      console.warn(`test setup: could not start Xvfb (${failed.message}); headlessgl will be unavailable`);
      return;
    }
    if (Date.now() > deadline) {
      console.warn('test setup: Xvfb did not come up within 10 s; headlessgl will be unavailable');
      server.kill();
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // Set in the main process, so the real environment (what libX11's getenv sees in every worker
  // thread) has it, not just a worker's copy of process.env.
  process.env.DISPLAY = `:${n}`;
}

export async function teardown(): Promise<void> {
  if (server && server.exitCode === null) server.kill();
}
