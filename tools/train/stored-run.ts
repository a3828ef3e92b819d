/**
 * The run settings a checkpoint of tools/train.ts carries (its `extra`), checked before a
 * resume or an evaluation uses them: a checkpoint is a file, and a file may be damaged or
 * edited. The settings go back through the very rules the command line follows (they are
 * turned into flags and parsed), so a checkpoint can hold only what a user could have typed.
 */
import { DEFAULT_CONFIG, type DyCnnConfig, MODEL_KINDS } from '../models/dy-cnn.js';
import { parseTrainArgs, type TrainArgs, UNSTORED_ARGS, UsageError } from './args.js';
import { DATASET_INFO } from './data.js';
import type { RunExtra } from './run.js';

/** `batchSize` -> `batch-size`. */
const flagOf = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const show = (v: unknown) => (typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v)));

/** The stored settings as the flags that would give them. */
function toArgv(args: Record<string, unknown>, fail: (what: string) => never): string[] {
  const argv: string[] = [];
  for (const [key, v] of Object.entries(args)) {
    if ((UNSTORED_ARGS as readonly string[]).includes(key)) fail(`'${key}' is not a stored setting`);
    if (key === 'widths') {
      if (!Array.isArray(v) || !v.every((w) => typeof w === 'number')) fail(`widths must be two numbers, got ${show(v)}`);
      argv.push(`--widths=${v.join(',')}`);
    } else if (key === 'augment') {
      if (typeof v !== 'boolean') fail(`augment must be true or false, got ${show(v)}`);
      if (v) argv.push('--augment');
    } else if (typeof v === 'number' || typeof v === 'string') {
      argv.push(`--${flagOf(key)}=${v}`);
    } else {
      fail(`${key} must be a number or a string, got ${show(v)}`);
    }
  }
  // An absent limit means all images (JSON drops the undefined).
  for (const key of ['limit', 'testLimit']) if (!(key in args)) argv.push(`--${flagOf(key)}=all`);
  return argv;
}

/** Checks the stored settings by the command line's rules; they must parse back to themselves. */
function checkArgs(stored: unknown, fail: (what: string) => never): Omit<TrainArgs, (typeof UNSTORED_ARGS)[number]> {
  if (!isObject(stored)) fail(`the stored settings must be an object, got ${show(stored)}`);
  let parsed: TrainArgs;
  try {
    const result = parseTrainArgs(toArgv(stored, fail));
    if (result.help) fail('the stored settings ask for --help');
    parsed = result.args;
  } catch (e) {
    if (e instanceof UsageError) fail(`stored setting ${e.message.replace(/^Unknown option '--([^']+)'.*/s, "'$1' is unknown")}`);
    throw e;
  }
  for (const [key, v] of Object.entries(parsed)) {
    if (v !== undefined && JSON.stringify(v) !== JSON.stringify(stored[key])) fail(`stored setting ${key} is ${show(stored[key])}, which reads back as ${show(v)}`);
  }
  return parsed;
}

const positiveInteger = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;

/** The stored net: the settings it was built from, checked field by field. */
function checkConfig(config: unknown, args: Pick<TrainArgs, 'dataset'>, fail: (what: string) => never): DyCnnConfig {
  if (!isObject(config)) fail(`config must be an object, got ${show(config)}`);
  const c = config as Partial<DyCnnConfig>;
  if (!MODEL_KINDS.includes(c.kind as never)) fail(`config.kind must be one of ${MODEL_KINDS.join(', ')}, got ${show(c.kind)}`);
  for (const key of ['stem', 'stemStride', 'groupSize', 'inChannels', 'numClasses'] as const) {
    if (!positiveInteger(c[key])) fail(`config.${key} must be a positive integer, got ${show(c[key])}`);
  }
  for (const key of ['widths', 'strides'] as const) {
    const v = c[key];
    if (!Array.isArray(v) || v.length !== 2 || !v.every(positiveInteger)) fail(`config.${key} must be two positive integers, got ${show(v)}`);
  }
  if (c.hidden !== undefined && !positiveInteger(c.hidden)) fail(`config.hidden must be absent or a positive integer, got ${show(c.hidden)}`);
  const classes = DATASET_INFO[args.dataset].classes.length;
  if (c.numClasses !== classes) fail(`config.numClasses is ${c.numClasses}, but ${args.dataset} has ${classes} classes`);
  if (c.inChannels !== DEFAULT_CONFIG.inChannels) fail(`config.inChannels is ${c.inChannels}, but ${args.dataset} images have ${DEFAULT_CONFIG.inChannels} channel`);
  return c as DyCnnConfig;
}

/** An object whose `fields` are all finite numbers. */
function checkNumbers(name: string, r: unknown, fields: readonly string[], fail: (what: string) => never): void {
  if (!isObject(r)) fail(`${name} must be an object, got ${show(r)}`);
  for (const f of fields) if (typeof r[f] !== 'number' || !Number.isFinite(r[f])) fail(`${name}.${f} must be a finite number, got ${show(r[f])}`);
}

/** An array of such objects. */
function checkRecords(name: string, v: unknown, fields: readonly string[], fail: (what: string) => never): void {
  if (!Array.isArray(v)) fail(`${name} must be an array, got ${show(v)}`);
  v.forEach((r, i) => checkNumbers(`${name}[${i}]`, r, fields, fail));
}

const EPOCH_FIELDS = ['epoch', 'trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy', 'seconds', 'lr', 'step', 'samplesPerSecond'] as const;
const TRACE_FIELDS = ['epoch', 'loss', 'accuracy'] as const;
const SUM_FIELDS = ['lossSum', 'correct', 'seen', 'seconds', 'trainSeconds', 'traceLossSum', 'traceCorrect', 'traceSeen', 'lr'] as const;

/**
 * The stored settings of a checkpoint written by tools/train.ts, every field checked (the
 * data-loader position is checked by DataLoader.setState when it is restored).
 * @throws Error naming the file, the field and its value.
 */
export function runExtraOf(extra: Record<string, unknown>, path: string): RunExtra {
  const fail = (what: string): never => {
    throw new Error(`'${path}': ${what}`);
  };
  const e = extra as Partial<RunExtra>;
  if (!e.args || !e.config || !e.loader || !Array.isArray(e.history) || !Array.isArray(e.trace) || !e.sums) {
    fail('is a checkpoint, but not one written by tools/train.ts (its extra data lacks args, config, loader, history, trace or sums)');
  }
  const args = checkArgs(e.args, fail);
  checkConfig(e.config, args, fail);
  if (!isObject(e.loader)) fail(`loader must be an object, got ${show(e.loader)}`);
  checkRecords('history', e.history, EPOCH_FIELDS, fail);
  checkRecords('trace', e.trace, TRACE_FIELDS, fail);
  checkNumbers('sums', e.sums, SUM_FIELDS, fail);
  if (typeof e.elapsed !== 'number' || !(e.elapsed >= 0) || !Number.isFinite(e.elapsed)) fail(`elapsed must be a finite number >= 0, got ${show(e.elapsed)}`);
  return { ...(e as RunExtra), args };
}
