/**
 * tools/train.ts under faults, end to end: kill -9 during checkpoint saves (the previous
 * checkpoint survives, the next save removes the dead writer's temp file, --resume finishes the
 * run bit for bit), determinism (two identical runs write identical tensors and metrics), and
 * --detect-anomaly naming the op that first makes a NaN.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '@dynconv/nn/node';
import { deterministicMetrics, type Run, snapshot, train } from './helpers/train-tools.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dynconv-faults-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Tiny: 4 steps per epoch, a checkpoint at the end of each of 5 epochs.
const TINY = ['--limit', '128', '--test-limit', '20', '--epochs', '5', '--batch-size', '32', '--warmup', '2'];
const CHECKPOINT = 'checkpoint.safetensors';
const tempFiles = (dir: string) => readdirSync(dir).filter((f) => f.startsWith(`.${CHECKPOINT}.`) && f.endsWith('.tmp'));

/**
 * Runs the trainer (resuming when a checkpoint exists) and kills it with SIGKILL as soon as a
 * checkpoint save creates its temp file, i.e. while the save is being written, unless no
 * checkpoint exists yet (then the save completes, and the next one is killed).
 */
function runKilledDuringSave(dir: string): Promise<Run> {
  const ckpt = join(dir, CHECKPOINT);
  const resuming = existsSync(ckpt);
  const args = resuming ? ['--resume', ckpt] : [...TINY, '--out', dir];
  let child: ChildProcess | undefined;
  const seen = new Set<string>();
  const watcher = watch(dir, (_event, name) => {
    if (!name?.startsWith(`.${CHECKPOINT}.`) || !name.endsWith('.tmp')) return;
    // The watcher reports a temp file as it is created, written and renamed: count saves by name.
    if (resuming || (seen.size > 0 && !seen.has(name))) child?.kill('SIGKILL');
    seen.add(name);
  });
  return train(args, (_text, c) => (child = c)).finally(() => watcher.close());
}

describe('tools/train.ts under faults', () => {
  it('kill -9 during saves, several times: the last complete checkpoint loads, stale temp files go, --resume finishes bit for bit; identical runs are identical', async () => {
    const [a, b, killed] = ['a', 'b', 'killed'].map((d) => join(tmp, d)) as [string, string, string];
    const { mkdirSync } = await import('node:fs');
    mkdirSync(killed);
    // Two identical uninterrupted runs, while the third is killed again and again.
    const references = Promise.all([train([...TINY, '--out', a]), train([...TINY, '--out', b])]);
    let kills = 0;
    let midWrite = 0;
    let lastStep = -1;
    for (let i = 0; i < 4; i++) {
      const r = await runKilledDuringSave(killed);
      if (r.signal !== 'SIGKILL') break; // the run finished before a save could be interrupted
      kills++;
      if (tempFiles(killed).length > 0) midWrite++;
      const ckpt = join(killed, CHECKPOINT);
      if (existsSync(ckpt)) {
        // Whatever the kill interrupted, the checkpoint on disk is a complete, loadable one.
        const c = loadCheckpoint(ckpt);
        expect(c.step).toBeGreaterThanOrEqual(lastStep);
        lastStep = c.step;
      }
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(midWrite).toBeGreaterThan(0);
    const finish = await train(['--resume', join(killed, CHECKPOINT)]);
    expect(finish.stderr).toBe('');
    expect(finish.code).toBe(0);
    // The dead writers' temp files were removed by the saves after them.
    expect(tempFiles(killed)).toEqual([]);

    const [ra, rb] = await references;
    for (const r of [ra, rb]) expect(r.code).toBe(0);
    const reference = snapshot(join(a, CHECKPOINT));
    expect(reference.step).toBe(20);
    for (const d of [b, killed]) {
      expect(snapshot(join(d, CHECKPOINT))).toEqual(reference);
      expect(deterministicMetrics(d)).toEqual(deterministicMetrics(a));
      expect(readFileSync(join(d, 'curves.svg'), 'utf8')).toBe(readFileSync(join(a, 'curves.svg'), 'utf8'));
    }
  });

  it('--detect-anomaly names the op that first makes a NaN or Inf (an lr of 1e30 blows the weights up)', async () => {
    const r = await train(['--limit', '64', '--test-limit', '20', '--epochs', '1', '--batch-size', '32', '--warmup', '0', '--lr', '1e30', '--detect-anomaly', '--out', join(tmp, 'anomaly')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^train: detectAnomaly: (the backward of )?\w+ returned (NaN|-?Infinity) in (its output|the gradient of input \d+) \(shape \[[\d, ]*\], element \d+\)/);
  });
});
