/**
 * tools/train.ts and tools/evaluate.ts end to end, as a user runs them: real MNIST images,
 * separate processes (so Ctrl-C is a real SIGINT), files checked on disk. Kept to a few hundred
 * images so the suite takes well under a minute on two cores. The tools run through tsx and
 * import the packages' dist/ builds, so `tsc -b` must have run first (`pnpm test` does).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '@dynconv/nn';
import { loadCheckpoint } from '@dynconv/nn/node';
import { deterministicMetrics, metrics, snapshot, tool, train } from './helpers/train-tools.js';

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dynconv-train-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every tag opened is closed, in order: enough XML checking to catch a broken writer. */
function checkTagsBalanced(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w-]*)([^>]*?)(\/?)>/g)) {
    const [, close, name, , selfClose] = m;
    if (selfClose) continue;
    if (close) expect(stack.pop(), `closing </${name}>`).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
}

// A small but real run: 512 MNIST training images, 500 test images, three epochs.
const SMALL = ['--limit', '512', '--test-limit', '500', '--epochs', '3', '--batch-size', '32', '--warmup', '5'];

describe('tools/train.ts', () => {
  it('trains the Dy-CNN: the loss falls, accuracy beats chance, and the outputs are well-formed', async () => {
    const out = join(tmp, 'small');
    const run = await train([...SMALL, '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // Not a terminal: plain progress lines, no carriage returns.
    expect(run.stdout).not.toContain('\r');
    expect(run.stdout).toMatch(/epoch 1\/3 step 16\/16 \(100%\)\s+\d+ img\/s\s+loss \d\.\d{4}\s+acc \d+\.\d\d%/);

    const m = metrics(out);
    expect(m.map((r) => r.epoch)).toEqual([1, 2, 3]);
    for (const r of m) {
      for (const k of ['trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy', 'seconds', 'lr', 'step']) expect(Number.isFinite(r[k]), k).toBe(true);
    }
    expect(m[2]!.trainLoss).toBeLessThan(m[0]!.trainLoss * 0.6);
    expect(m[2]!.testLoss).toBeLessThan(m[0]!.testLoss);
    expect(m[2]!.testAccuracy).toBeGreaterThan(0.6); // ten classes: chance is 0.1
    expect(m[2]!.step).toBe(48);

    const svg = readFileSync(join(out, 'curves.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    checkTagsBalanced(svg);
    // Two panels, each with three curves (running train, train per epoch, test per epoch).
    expect(svg.match(/<path d="M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)*"/g)?.length).toBe(6);
    for (const text of ['Loss', 'Accuracy', 'epoch', 'test (end of epoch)', 'train (epoch mean)']) expect(svg).toContain(text);

    const c = loadCheckpoint(join(out, 'checkpoint.safetensors'));
    expect([c.epoch, c.step]).toEqual([3, 48]);
    expect(Object.keys(c.stateDict)).toContain('stage1.conv1.weight');
    expect(c.optimizer).not.toBeNull();
    expect((c.extra.args as Record<string, unknown>).model).toBe('dynamic');
  });

  it('stops (--stop-after-steps, or Ctrl-C = SIGINT) with a checkpoint, and --resume continues exactly where it stopped', async () => {
    const args = ['--limit', '256', '--test-limit', '100', '--epochs', '2', '--batch-size', '32', '--warmup', '3'];
    const [whole, steps, sigint] = ['whole', 'stop-after-steps', 'sigint'].map((d) => join(tmp, d)) as [string, string, string];
    let sent = false;
    const [a, b, c] = await Promise.all([
      train([...args, '--out', whole]),
      train([...args, '--out', steps, '--stop-after-steps', '5']),
      // A real Ctrl-C, at the second progress line of the first epoch.
      train([...args, '--out', sigint], (text, child) => {
        if (!sent && (text.match(/epoch 1\/2 step/g)?.length ?? 0) >= 2) {
          sent = true;
          child.kill('SIGINT');
        }
      }),
    ]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(b.stdout).toContain('stopped at step 5/8 of the epoch');
    expect(existsSync(join(steps, 'metrics.jsonl'))).toBe(false); // no epoch finished yet
    expect(c.code).toBe(130);
    expect(c.stderr).toContain('interrupt: saving a checkpoint');
    expect(c.stdout).toMatch(/stopped .*checkpoint saved to/);
    const cut = loadCheckpoint(join(sigint, 'checkpoint.safetensors'));
    expect(cut.step).toBeGreaterThanOrEqual(2);
    expect(cut.step).toBeLessThan(16);

    const resumed = await Promise.all([steps, sigint].map((d) => train(['--resume', join(d, 'checkpoint.safetensors')])));
    for (const r of resumed) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    expect(resumed[0]!.stdout).toContain('at epoch 1, step 5');
    // Bit for bit the weights, optimizer and schedule of the uninterrupted run, and the same metrics and curves.
    const reference = snapshot(join(whole, 'checkpoint.safetensors'));
    for (const d of [steps, sigint]) {
      expect(snapshot(join(d, 'checkpoint.safetensors'))).toEqual(reference);
      expect(deterministicMetrics(d)).toEqual(deterministicMetrics(whole));
      expect(readFileSync(join(d, 'curves.svg'), 'utf8')).toBe(readFileSync(join(whole, 'curves.svg'), 'utf8'));
    }
  });

  it('rejects bad flags with a clear message and the usage (exit code 2)', async () => {
    const cases: [string[], RegExp][] = [
      [['--epochs', 'two'], /--epochs must be an integer >= 1, got "two"/],
      [['--model', 'huge'], /--model must be one of dynamic, static, static-wide, fixed, got "huge"/],
      [['--backend', 'tpu'], /--backend: unknown backend "tpu" \(available: cpu, gpu\)/],
      [['--frobnicate'], /Unknown option '--frobnicate'/],
      [['--resume', 'x.safetensors', '--lr', '1'], /cannot be combined with --lr/],
      // A negative number after a space reaches the flag's own rule (not Node's "ambiguous").
      [['--lr', '-1'], /--lr must be a positive number, got "-1"/],
      [['--test-limit', '0'], /--test-limit must be a positive integer or 'all', got "0"/],
    ];
    const runs = await Promise.all(cases.map(([args]) => train(args)));
    runs.forEach((r, i) => {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(cases[i]![1]);
      expect(r.stderr).toContain('usage: tsx tools/train.ts');
      expect(r.stdout).toBe('');
    });
    const help = await train(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--resume CHECKPOINT');
  });
});

describe('tools/evaluate.ts', () => {
  it('rebuilds the net from the checkpoint; kernel and output fusion agree; prints the confusion matrix', async () => {
    const ckpt = join(tmp, 'small', 'checkpoint.safetensors');
    expect(existsSync(ckpt), 'the training test above writes it').toBe(true);
    const run = await tool('tools/evaluate.ts', [ckpt, '--fusion', 'both', '--limit', '500']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const acc = (path: string) => Number(run.stdout.match(new RegExp(`${path} fusion: test accuracy (\\d+\\.\\d+)%`))?.[1]);
    expect(acc('kernel')).toBeGreaterThan(60);
    // The same weights: the two fusion paths classify the test images alike.
    expect(Math.abs(acc('kernel') - acc('output'))).toBeLessThanOrEqual(0.2);
    expect(run.stdout).toMatch(/kernel vs output fusion: accuracy/);
    // The last epoch's test accuracy in metrics.jsonl is this evaluation's (same 500 images, kernel fusion).
    expect(acc('kernel')).toBeCloseTo(100 * metrics(join(tmp, 'small')).at(-1)!.testAccuracy, 6);
    const matrix = run.stdout.split('\n').filter((l) => /^\d( [\w-]+)?\s+(\d+\s+){10}\s*[\d.]+%$/.test(l));
    expect(matrix).toHaveLength(10);
    const total = matrix.flatMap((l) => l.trim().split(/\s+/).slice(-11, -1).map(Number)).reduce((x, y) => x + y, 0);
    expect(total).toBe(500);
  });

  it('refuses a missing checkpoint and bad flags', async () => {
    const missing = await tool('tools/evaluate.ts', [join(tmp, 'nope.safetensors')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read/);
    const bad = await tool('tools/evaluate.ts', ['x', '--fusion', 'sideways']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--fusion must be kernel, output or both/);
    // The same name and rule as tools/train.ts (--limit is the old name); 0 used to print NaN%.
    const limits = await Promise.all([['--test-limit', '0'], ['--limit', '0'], ['--test-limit', '-5']].map((f) => tool('tools/evaluate.ts', ['x', ...f])));
    limits.forEach((r) => {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--(test-)?limit must be a positive integer or 'all', got "(0|-5)"/);
    });
  });

  it('refuses a checkpoint whose stored settings name an unknown data set, naming the setting (no internal TypeError)', async () => {
    const ckpt = join(tmp, 'small', 'checkpoint.safetensors');
    expect(existsSync(ckpt), 'the training test above writes it').toBe(true);
    const { tensors, metadata } = decodeSafetensors(readFileSync(ckpt));
    const meta = JSON.parse(metadata['dynconv.checkpoint']!) as { extra: { args: { dataset: string } } };
    meta.extra.args.dataset = 'imagenet';
    const edited = join(tmp, 'edited.safetensors');
    writeFileSync(edited, encodeSafetensors(tensors, { 'dynconv.checkpoint': JSON.stringify(meta) }));
    const [evaluate, resume] = await Promise.all([tool('tools/evaluate.ts', [edited]), train(['--resume', edited])]);
    for (const r of [evaluate, resume]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('edited.safetensors\': stored setting --dataset must be one of mnist, fashion, got "imagenet"');
    }
  });
});
