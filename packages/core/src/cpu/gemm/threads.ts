/**
 * Helper threads for the GEMM: worker_threads that share the kernel's WebAssembly memory and
 * run part of each large block call, so two cores work on one matrix product.
 *
 * A block call updates the C block panel by panel; the panels are split into contiguous runs,
 * one per thread (the calling thread takes the first). Each C element is computed by exactly
 * one thread in the same order as with one thread, so results are bitwise identical whatever
 * the thread count. Threads talk through a shared Int32Array per worker: the caller writes the
 * job and bumps a sequence number, the worker runs it and echoes the number back
 * (Atomics.wait/notify, after a short spin that keeps back-to-back calls cheap).
 *
 * Only on Node (worker_threads, reached through `process.getBuiltinModule`, so bundles for the
 * browser see no `node:` import) and where SharedArrayBuffer exists. `DYNCONV_THREADS` sets the
 * count (default: the number of cores; 1 turns threads off); {@link setNumThreads} changes it.
 * The workers are unref'd: they never keep a process alive.
 */
import type { BlockFn } from './simd-kernel.js';
import type { WasmMemory } from './wasm-api.js';

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: string, fn: (e: unknown) => void): void;
}
interface WorkerThreadsModule {
  Worker: new (code: string, opts: { eval: true; workerData: unknown }) => NodeWorker;
  isMainThread: boolean;
}

/** worker_threads, when this runtime has it (Node >= 20.16), else null. */
function workerThreads(): WorkerThreadsModule | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return (proc?.getBuiltinModule?.('node:worker_threads') as WorkerThreadsModule | undefined) ?? null;
  } catch {
    return null;
  }
}

function coreCount(): number {
  const proc = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  const os = proc.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
  return os ? (os.availableParallelism?.() ?? os.cpus().length) : 1;
}

function threadsFromEnv(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.DYNCONV_THREADS;
  if (env === undefined || env === '') return coreCount();
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`DYNCONV_THREADS must be a positive integer, got ${JSON.stringify(env)}`);
  return n;
}

let requested: number | null = null;

/** Threads the GEMM may use (including the calling one): DYNCONV_THREADS, else the core count. */
export function getNumThreads(): number {
  return (requested ??= threadsFromEnv());
}

/**
 * Sets how many threads the CPU backend's GEMM uses (1: only the calling thread). Results do
 * not depend on it. Helper threads start on first use; where threads are unavailable (browsers,
 * no SharedArrayBuffer) the count is accepted and one thread runs.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expects a positive integer, got ${String(n)}`);
  requested = n;
}

/** Whether helper threads can exist here (shared memory and worker_threads). */
export function threadsSupported(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && workerThreads() !== null;
}

// Control words of one worker: [seq, set?, a, b, c, mTiles, nTiles, depth, ldc, done].
const SEQ = 0;
const DONE = 9;
const SPIN = 20000;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = new Int32Array(ctrl);
let seen = 0;
for (;;) {
  let s = Atomics.load(c, ${SEQ});
  for (let i = 0; s === seen && i < ${SPIN}; i++) s = Atomics.load(c, ${SEQ});
  while (s === seen) { Atomics.wait(c, ${SEQ}, seen); s = Atomics.load(c, ${SEQ}); }
  seen = s;
  (c[1] ? ex.blockSet : ex.blockAdd)(c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
  Atomics.store(c, ${DONE}, seen);
  Atomics.notify(c, ${DONE});
}`;

/** Helper threads bound to one compiled kernel module and its shared memory. */
export class BlockWorkers {
  private readonly ctrls: Int32Array[] = [];
  private broken = false;

  constructor(
    private readonly module: object,
    private readonly memory: WasmMemory,
  ) {}

  /** Starts helpers until there are `n` (returns how many there are). */
  private ensure(n: number): number {
    const wt = workerThreads();
    while (!this.broken && wt && this.ctrls.length < n) {
      const ctrl = new Int32Array(new SharedArrayBuffer(16 * 4));
      try {
        const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: { module: this.module, memory: this.memory, ctrl: ctrl.buffer } });
        w.unref();
        w.on('error', () => (this.broken = true));
      } catch {
        this.broken = true;
        break;
      }
      this.ctrls.push(ctrl);
    }
    return this.broken ? 0 : this.ctrls.length;
  }

  /**
   * Runs `block` (blockSet when `set`) over nTiles column panels, split among up to
   * `threads` threads; panel p of B starts at bPack + p * bPanelBytes and of C at c + p * cPanelBytes.
   */
  run(block: BlockFn, set: boolean, threads: number, aPack: number, bPack: number, c: number, mTiles: number, nTiles: number, depth: number, ldc: number, bPanelBytes: number, cPanelBytes: number): void {
    const helpers = Math.min(this.ensure(threads - 1), nTiles - 1);
    if (helpers <= 0) return block(aPack, bPack, c, mTiles, nTiles, depth, ldc);
    const parts = helpers + 1;
    const start = (t: number) => Math.floor((t * nTiles) / parts);
    for (let t = 1; t < parts; t++) {
      const ctl = this.ctrls[t - 1]!;
      const p0 = start(t);
      ctl[1] = set ? 1 : 0;
      ctl[2] = aPack;
      ctl[3] = bPack + p0 * bPanelBytes;
      ctl[4] = c + p0 * cPanelBytes;
      ctl[5] = mTiles;
      ctl[6] = start(t + 1) - p0;
      ctl[7] = depth;
      ctl[8] = ldc;
      Atomics.add(ctl, SEQ, 1);
      Atomics.notify(ctl, SEQ);
    }
    block(aPack, bPack, c, mTiles, start(1), depth, ldc);
    for (let t = 1; t < parts; t++) {
      const ctl = this.ctrls[t - 1]!;
      const seq = Atomics.load(ctl, SEQ);
      let d = Atomics.load(ctl, DONE);
      for (let i = 0; d !== seq && i < SPIN; i++) d = Atomics.load(ctl, DONE);
      while (d !== seq) {
        Atomics.wait(ctl, DONE, d, 1000);
        d = Atomics.load(ctl, DONE);
        if (this.broken) throw new Error('gemm: a helper thread failed');
      }
    }
  }
}
