/**
 * Client of bench/torch/worker.py: one persistent PyTorch process speaking JSON lines.
 * `TorchWorker.start()` resolves to null (after printing how to install PyTorch, once) when
 * Debian's /usr/bin/python3 or its torch is missing, so the bench runs on with torch columns n/a.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RepPolicy } from './stats.js';

/** Debian's Python, the one with python3-torch (the pyenv python3 first on PATH has none); DYNCONV_BENCH_PYTHON overrides it. */
export const PYTHON = process.env.DYNCONV_BENCH_PYTHON || '/usr/bin/python3';
const WORKER = fileURLToPath(new URL('../torch/worker.py', import.meta.url));
export const INSTALL_HINT = 'sudo apt-get install -y python3-torch python3-torchvision libopenblas0-pthread';

/** What the worker says about itself (cmd "info"). */
export interface TorchInfo {
  torch: string;
  torchvision: string;
  python: string;
  executable: string;
  parallel: string[];
  blas: { openblas: boolean; openblasPath: string | null; openblasConfig: string | null; configShowsOpenblas: boolean; libraries: string[] };
  env: Record<string, string | null>;
  /** A 1024 float32 matmul at 1 thread, best of 3. */
  matmul1024Gflops1t: number;
}

/** One measurement's answer. */
export interface TorchRun {
  ms: number[];
  slow: boolean;
  threads: number;
  paramCount?: number;
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

export class TorchWorker {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited: string | null = null;

  private constructor(private readonly proc: ChildProcessWithoutNullStreams, ready: Pending) {
    this.pending.set(0, ready);
    const lines = createInterface({ input: proc.stdout });
    lines.on('line', (line) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        process.stderr.write(`[torch worker] ${line}\n`);
        return;
      }
      const id = typeof msg.id === 'number' ? msg.id : -1;
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      if (typeof msg.error === 'string') {
        const err = new Error(`torch worker: ${msg.error}${typeof msg.traceback === 'string' ? `\n${msg.traceback}` : ''}`);
        (err as Error & { noTorch?: boolean }).noTorch = msg.noTorch === true;
        p.reject(err);
      } else p.resolve(msg);
    });
    proc.stderr.on('data', (d: Buffer) => process.stderr.write(`[torch worker] ${d.toString()}`));
    proc.on('exit', (code, signal) => {
      this.exited = `exited with ${signal ?? code}`;
      for (const [, p] of this.pending) p.reject(new Error(`torch worker ${this.exited}`));
      this.pending.clear();
    });
  }

  /**
   * Starts the worker with OMP_NUM_THREADS / OPENBLAS_NUM_THREADS at `maxThreads` (each request
   * then sets its own count below that). Null, after one printed hint, when torch is unavailable.
   */
  static async start(maxThreads: number): Promise<TorchWorker | null> {
    if (!existsSync(PYTHON)) {
      console.log(`PyTorch: ${PYTHON} not found; torch columns are n/a. Install: ${INSTALL_HINT}`);
      return null;
    }
    const n = String(maxThreads);
    const proc = spawn(PYTHON, ['-u', WORKER], {
      env: { ...process.env, OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n, PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let worker: TorchWorker;
    const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
      worker = new TorchWorker(proc, { resolve, reject });
    });
    proc.on('error', () => undefined); // reported through 'exit' / the ready promise
    try {
      await ready;
      return worker!;
    } catch (e) {
      const msg = (e as Error).message;
      console.log(`PyTorch: ${msg.split('\n')[0]}; torch columns are n/a. Install: ${INSTALL_HINT}`);
      proc.kill();
      return null;
    }
  }

  private request(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(new Error(`torch worker ${this.exited}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.stdin.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }

  async info(): Promise<TorchInfo> {
    return (await this.request({ cmd: 'info' })) as unknown as TorchInfo;
  }

  /** One measurement of `op` with `params` at `threads` threads, under `policy`. */
  async run(op: string, params: Record<string, unknown>, threads: number, policy: RepPolicy): Promise<TorchRun> {
    const res = await this.request({ cmd: 'run', op, params, threads, warmup: policy.warmup, targetMs: policy.targetMs, maxReps: policy.maxReps, slowMs: policy.slowMs });
    return res as unknown as TorchRun;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    await Promise.race([this.request({ cmd: 'quit' }).catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    if (!this.exited) this.proc.kill();
  }
}
