/**
 * Detects two copies of @dynconv/core in one program. Packages that build on core (nn, models,
 * gpu, data) take it as a peer dependency, so an install normally holds one copy; a version
 * mismatch or a bundler that resolves two paths can still load two. Their tensors then fail
 * each other's `instanceof Tensor` checks and a backend registered with one is unknown to the
 * other, which reads as a baffling "must be a Tensor, got object". So every copy records itself
 * under a global symbol when it loads and brands its tensors with another, and the errors that
 * two copies cause name them instead.
 */
import { CORE_VERSION } from './version.js';

/** One loaded copy of core: its version and the module URL it was loaded from. */
export interface CoreCopy {
  /** Its package version (`CORE_VERSION`). */
  readonly version: string;
  /** The URL of the folder its modules were loaded from, or 'unknown'. */
  readonly location: string;
}

// Symbol.for keys are shared by every copy (and realm) in the process, unlike the classes.
const COPIES = Symbol.for('@dynconv/core:copies');
/** The key under which every copy's tensors carry a brand (their copy's location). */
export const TENSOR_BRAND = Symbol.for('@dynconv/core:tensor');

/** Where this copy was loaded from: its module URL (ESM) or 'unknown'. */
const here: CoreCopy = { version: CORE_VERSION, location: thisLocation() };

function thisLocation(): string {
  try {
    return new URL('.', import.meta.url).href;
  } catch {
    return 'unknown';
  }
}

const registry = ((globalThis as Record<symbol, CoreCopy[] | undefined>)[COPIES] ??= []);
// A module system that re-evaluates the same file (a test runner's isolation) is one copy.
if (!registry.some((c) => c.location === here.location && c.version === here.version)) registry.push(here);

/** The copies of @dynconv/core loaded in this program, this one first. */
export function loadedCopies(): CoreCopy[] {
  return [here, ...registry.filter((c) => c !== here && !(c.location === here.location && c.version === here.version))];
}

/** This copy's brand value (its location), set on each of its tensors. */
export const THIS_COPY = here.location;

/** Whether `x` is a tensor made by another copy of core. */
export function isForeignTensor(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false;
  const brand = (x as Record<symbol, unknown>)[TENSOR_BRAND];
  return typeof brand === 'string' && brand !== THIS_COPY;
}

/** The sentence that names the loaded copies and says what to do. */
export function twoCopiesMessage(): string {
  const list = loadedCopies().map((c) => `${c.version} at ${c.location}`).join('; ');
  return `two copies of @dynconv/core are loaded: ${list}; deduplicate (npm dedupe / pnpm dedupe, or give every @dynconv package the same @dynconv/core: it is their peer dependency)`;
}

/** Appends the two-copies diagnosis to an error message when more than one copy is loaded. */
export function withCopiesHint(message: string): string {
  return loadedCopies().length > 1 ? `${message}. Note: ${twoCopiesMessage()}` : message;
}

/**
 * The error for an argument that should be a Tensor: names the op, the argument and what it
 * got (`got`, by default its type), and when the value is another copy's tensor, says that two
 * copies are loaded instead.
 */
export function notATensorError(op: string, what: string, x: unknown, got = describe(x)): Error {
  if (isForeignTensor(x)) return new Error(`${op}: ${what} is a Tensor from another copy of @dynconv/core: ${twoCopiesMessage()}`);
  return new Error(`${op}: ${what} must be a Tensor, got ${got}`);
}

function describe(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
}
