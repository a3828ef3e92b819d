/**
 * Running tools/train.ts and tools/evaluate.ts as a user does, in their own Node processes,
 * and reading what they write: shared by the end-to-end tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '@dynconv/core';
import { loadCheckpoint } from '@dynconv/nn/node';

export const ROOT = new URL('../..', import.meta.url).pathname;

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool in its own Node process (node --import tsx, so a signal reaches it directly). */
export function tool(script: string, args: string[], onStdout?: (text: string, child: ChildProcess) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export const train = (args: string[], onStdout?: (text: string, child: ChildProcess) => void) => tool('tools/train.ts', args, onStdout);

export function metrics(dir: string): Record<string, number>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);
}

/** metrics.jsonl without the wall-clock fields, which differ from run to run. */
export function deterministicMetrics(dir: string) {
  return metrics(dir).map(({ seconds: _s, samplesPerSecond: _r, ...rest }) => rest);
}

/** A tensor's bit pattern, as base64 (compact, and compared exactly). */
const bits = (t: Tensor) => {
  const d = t.contiguous().dataSync();
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');
};

/** The bit patterns of every model tensor and the optimizer/schedule state of a checkpoint. */
export function snapshot(path: string) {
  const c = loadCheckpoint(path);
  const tensors = Object.fromEntries(Object.entries(c.stateDict).map(([k, t]) => [k, bits(t)]));
  const optimizer = c.optimizer && {
    paramGroups: c.optimizer.paramGroups,
    state: Object.fromEntries(Object.entries(c.optimizer.state).map(([i, s]) => [i, Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v instanceof Tensor ? bits(v) : v]))])),
  };
  return { epoch: c.epoch, step: c.step, tensors, optimizer, scheduler: c.scheduler };
}
