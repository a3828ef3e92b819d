/**
 * Small validators shared by the optimizers and the learning-rate schedules, so every bad
 * option fails with one message shape: `<Class>: invalid <option>: expected <rule>, got <value>`.
 */

/**
 * A rule for one option: returns what was expected when `value` breaks it, else undefined.
 * @inline
 */
export type Rule = (value: unknown) => string | undefined;

/** Formats a user value for an error message (JSON where possible, so strings show their quotes). */
export function show(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Formats a shape as `[2, 3]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export const finite: Rule = (v) => (isNum(v) ? undefined : 'a finite number');
export const nonNegative: Rule = (v) => (isNum(v) && v >= 0 ? undefined : 'a finite number >= 0');
export const positive: Rule = (v) => (isNum(v) && v > 0 ? undefined : 'a finite number > 0');
export const unitClosed: Rule = (v) => (isNum(v) && v >= 0 && v <= 1 ? undefined : 'a number in [0, 1]');
/** The largest float32: a larger step size turns every float32 update into Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** A learning rate: finite, >= 0, and no larger than float32 can hold (1e308 would write Infinity, then NaN). */
export const learningRate: Rule = (v) => (isNum(v) && v >= 0 && v <= FLOAT32_MAX ? undefined : 'a finite number in [0, 3.4e38]');
export const boolean: Rule = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
export const positiveInteger: Rule = (v) => (Number.isSafeInteger(v) && (v as number) > 0 ? undefined : 'a positive integer');
export const nonNegativeInteger: Rule = (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : 'an integer >= 0');

/** Adam's `betas`: two coefficients, each in [0, 1). */
export const betaPair: Rule = (v) =>
  Array.isArray(v) && v.length === 2 && v.every((b) => isNum(b) && b >= 0 && b < 1) ? undefined : 'two numbers in [0, 1), like [0.9, 0.999]';

/** Throws `<owner>: invalid <key>: expected <rule>, got <value><where>` when `rule` fails. */
export function check(owner: string, key: string, value: unknown, rule: Rule, where = ''): void {
  const expected = rule(value);
  if (expected !== undefined) throw new Error(`${owner}: invalid ${key}: expected ${expected}, got ${show(value)}${where}`);
}

/** True for a plain object (not an array, tensor or null). */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}
