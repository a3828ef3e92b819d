/**
 * The run settings stored in a checkpoint (tools/train/stored-run.ts): a damaged or edited
 * field is refused with its name and value before a resume or an evaluation uses it.
 */
import { describe, expect, it } from 'vitest';
import { parseTrainArgs, UNSTORED_ARGS } from '../tools/train/args.js';
import { modelConfig, type RunExtra } from '../tools/train/run.js';
import { runExtraOf } from '../tools/train/stored-run.js';

/** What tools/train.ts stores for a run with these flags (as JSON, so undefined keys are gone). */
function storedExtra(flags: string[]): Record<string, unknown> {
  const parsed = parseTrainArgs(flags);
  if (parsed.help) throw new Error('unreachable');
  const args: Record<string, unknown> = { ...parsed.args };
  for (const k of UNSTORED_ARGS) delete args[k];
  const extra: RunExtra = {
    args: args as RunExtra['args'],
    config: modelConfig(parsed.args),
    loader: { seed: 0, epoch: 0, batch: 3, batchSize: 64, datasetLength: 640 },
    history: [{ epoch: 1, trainLoss: 1, trainAccuracy: 0.5, testLoss: 1.1, testAccuracy: 0.4, seconds: 3, lr: 0.01, step: 10, samplesPerSecond: 200 }],
    trace: [{ epoch: 0.5, loss: 1.2, accuracy: 0.3 }],
    sums: { lossSum: 3, correct: 20, seen: 64, seconds: 1, trainSeconds: 1, traceLossSum: 0, traceCorrect: 0, traceSeen: 0, lr: 0.01 },
    elapsed: 4,
  };
  return JSON.parse(JSON.stringify(extra)) as Record<string, unknown>;
}

const FLAG_SETS = [[], ['--dataset', 'fashion', '--model', 'static', '--limit', '512', '--optimizer', 'sgd', '--augment'], ['--widths', '8,16', '--test-limit', '100', '--lr', '0.5']];

/** [path into extra, bad value, what the message must say]. */
const DAMAGE: [string[], unknown, string][] = [
  [['args', 'dataset'], 'imagenet', '--dataset must be one of mnist, fashion, got "imagenet"'],
  [['args', 'epochs'], -2, '--epochs must be an integer >= 1, got "-2"'],
  [['args', 'lr'], 0, '--lr must be a positive number, got "0"'],
  [['args', 'limit'], 0, "--limit must be a positive integer or 'all', got \"0\""],
  [['args', 'widths'], 'wide', 'widths must be two numbers, got "wide"'],
  [['args', 'augment'], 'yes', 'augment must be true or false, got "yes"'],
  [['args', 'batchSize'], null, 'batchSize must be a number or a string, got null'],
  [['args', 'frobnicate'], 1, "stored setting 'frobnicate' is unknown"],
  [['args', 'out'], 'elsewhere', "'out' is not a stored setting"],
  [['config', 'kind'], 'huge', 'config.kind must be one of dynamic, static, static-wide, fixed, got "huge"'],
  [['config', 'stem'], 0, 'config.stem must be a positive integer, got 0'],
  [['config', 'widths'], [32], 'config.widths must be two positive integers, got [32]'],
  [['config', 'numClasses'], 1000, 'config.numClasses is 1000'],
  [['history', '0', 'testAccuracy'], 'NaN', 'history[0].testAccuracy must be a finite number, got "NaN"'],
  [['trace', '0', 'loss'], null, 'trace[0].loss must be a finite number, got null'],
  [['sums', 'seen'], 'x', 'sums.seen must be a finite number, got "x"'],
  [['elapsed'], -1, 'elapsed must be a finite number >= 0, got -1'],
  [['history'], {}, 'lacks args, config, loader, history, trace or sums'],
  [['loader'], 7, 'loader must be an object, got 7'],
];

describe('stored run settings', () => {
  it('a checkpoint of any valid run passes, settings unchanged', () => {
    for (const flags of FLAG_SETS) {
      const extra = storedExtra(flags);
      expect(JSON.parse(JSON.stringify(runExtraOf(extra, 'ck.safetensors').args))).toEqual(extra.args);
    }
  });

  it('each damaged field is refused, naming the file, the field and the value', () => {
    // Every damage on every run: few enough to try them all.
    for (const flags of FLAG_SETS) {
      for (const [path, value, says] of DAMAGE) {
        const extra = storedExtra(flags);
        let o = extra as Record<string, unknown>;
        for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
        o[path.at(-1)!] = value;
        expect(() => runExtraOf(extra, 'ck.safetensors'), path.join('.')).toThrow(`'ck.safetensors': `);
        expect(() => runExtraOf(extra, 'ck.safetensors'), path.join('.')).toThrow(says);
      }
    }
  });
});
