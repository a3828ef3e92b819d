/**
 * Elementwise loops compiled per op and per dtype combination.
 *
 * Why: V8 keeps one set of type feedback per function *source* (closures made by one factory
 * share it), so a single loop serving every op and dtype goes megamorphic: its typed-array
 * loads and its call of the op stop being inlined (many times slower than a hand-written loop;
 * docs/benchmarks.md, "Issue 11"). Here each (op, output dtype, input dtypes) gets its own function built
 * from source with `new Function`, so every loop sees one array type per argument and the op's
 * expression inline.
 *
 * The readable definitions stay in elementwise.ts (UNARY / BINARY, one JS function per op) and
 * are what runs where `new Function` is refused (a page whose Content-Security-Policy forbids
 * eval) or when {@link setCompiledLoops}(false); tests check both give bit-identical results.
 */
import type { DType, TypedArray } from '../dtype.js';
import type { LoopPlan } from './loop-plan.js';
import { erf, relu6Float32, reluFloat32, roundHalfEven, sigmoid } from './scalar-math.js';

/** Helpers the expressions may call, passed into each compiled function. */
const HELPERS = { erf, relu6Float32, reluFloat32, roundHalfEven, sigmoid };

/** A unary loop: out[p] = f(x[...]) over the plan of one view. */
export type UnaryLoop = (o: TypedArray, x: TypedArray, plan: LoopPlan) => void;
/** A binary loop: out[p] = f(a[...], b[...]) over the plan of two views. */
export type BinaryLoop = (o: TypedArray, a: TypedArray, b: TypedArray, plan: LoopPlan) => void;

let enabled = true;
let available: boolean | null = null;

/** Turns the compiled loops on or off (off: the readable loops run); returns the old setting. */
export function setCompiledLoops(on: boolean): boolean {
  const old = enabled;
  enabled = on;
  return old;
}

/** Whether compiled loops are in use: enabled and `new Function` allowed by the runtime. */
export function compiledLoopsActive(): boolean {
  if (!enabled) return false;
  if (available === null) {
    try {
      available = new Function('return 1')() === 1;
    } catch {
      available = false;
    }
  }
  return available;
}

const unaryCache = new Map<string, UnaryLoop>();
const binaryCache = new Map<string, BinaryLoop>();

/**
 * Wraps an expression so a bool output stores 0/1 (a Uint8Array would wrap 256 to 0); not
 * needed, and skipped, for expressions that only take the values 0 and 1 (`zeroOne`).
 */
const store = (expr: string, out: DType, zeroOne = false) => (out === 'bool' && !zeroOne ? `((${expr}) !== 0 ? 1 : 0)` : expr);

/**
 * The unary loop for `expr` (JavaScript over `a`) from `inDtype` to `outDtype`. `key` names
 * the op (the expression is compiled once per key and dtypes).
 */
export function compiledUnary(key: string, expr: string, inDtype: DType, outDtype: DType): UnaryLoop {
  const id = `${key}|${inDtype}|${outDtype}`;
  let loop = unaryCache.get(id);
  if (loop) return loop;
  const e = store(expr, outDtype);
  const src = `
    const { erf, relu6Float32, reluFloat32, roundHalfEven, sigmoid } = helpers;
    return function unary_${key}(o, x, plan) {
      const outer = plan.outer[0], inner = plan.inner, s = plan.strides[0];
      let p = 0;
      for (let r = 0; r < outer.length; r++) {
        let i = outer[r];
        if (s === 1) {
          for (let j = 0; j < inner; j++) { const a = x[i + j]; o[p + j] = ${e}; }
        } else {
          for (let j = 0; j < inner; j++, i += s) { const a = x[i]; o[p + j] = ${e}; }
        }
        p += inner;
      }
    };`;
  loop = new Function('helpers', src)(HELPERS) as UnaryLoop;
  unaryCache.set(id, loop);
  return loop;
}

/** The binary loop for `expr` (JavaScript over `a` and `b`); as {@link compiledUnary}. */
export function compiledBinary(key: string, expr: string, aDtype: DType, bDtype: DType, outDtype: DType, zeroOne = false): BinaryLoop {
  const id = `${key}|${aDtype}|${bDtype}|${outDtype}`;
  let loop = binaryCache.get(id);
  if (loop) return loop;
  const e = store(expr, outDtype, zeroOne);
  // The common inner-stride pairs get their own loops: both contiguous, or one side broadcast
  // (stride 0, hoisted out of the loop). Anything else takes the general strided loop.
  const src = `
    return function binary_${key}(o, x, y, plan) {
      const ao = plan.outer[0], bo = plan.outer[1], inner = plan.inner;
      const sa = plan.strides[0], sb = plan.strides[1];
      let p = 0;
      for (let r = 0; r < ao.length; r++) {
        let ia = ao[r], ib = bo[r];
        if (sa === 1 && sb === 1) {
          for (let j = 0; j < inner; j++) { const a = x[ia + j], b = y[ib + j]; o[p + j] = ${e}; }
        } else if (sa === 1 && sb === 0) {
          const b = y[ib];
          for (let j = 0; j < inner; j++) { const a = x[ia + j]; o[p + j] = ${e}; }
        } else if (sa === 0 && sb === 1) {
          const a = x[ia];
          for (let j = 0; j < inner; j++) { const b = y[ib + j]; o[p + j] = ${e}; }
        } else {
          for (let j = 0; j < inner; j++, ia += sa, ib += sb) { const a = x[ia], b = y[ib]; o[p + j] = ${e}; }
        }
        p += inner;
      }
    };`;
  loop = new Function(src)() as BinaryLoop;
  binaryCache.set(id, loop);
  return loop;
}

/** A select loop: out[p] = cond[...] !== 0 ? a[...] : b[...] over the plan of three views. */
export type WhereLoop = (o: TypedArray, c: TypedArray, a: TypedArray, b: TypedArray, plan: LoopPlan) => void;

const whereCache = new Map<string, WhereLoop>();

/** The select loop for these dtypes (cond's, a's, b's, the output's). */
export function compiledWhere(condDtype: DType, aDtype: DType, bDtype: DType, outDtype: DType): WhereLoop {
  const id = `${condDtype}|${aDtype}|${bDtype}|${outDtype}`;
  let loop = whereCache.get(id);
  if (loop) return loop;
  const e = store('(c[ic] !== 0 ? x[ia] : y[ib])', outDtype);
  const src = `
    return function where_loop(o, c, x, y, plan) {
      const co = plan.outer[0], ao = plan.outer[1], bo = plan.outer[2], inner = plan.inner;
      const sc = plan.strides[0], sa = plan.strides[1], sb = plan.strides[2];
      let p = 0;
      for (let r = 0; r < co.length; r++) {
        let ic = co[r], ia = ao[r], ib = bo[r];
        for (let j = 0; j < inner; j++, ic += sc, ia += sa, ib += sb) o[p + j] = ${e};
        p += inner;
      }
    };`;
  loop = new Function(src)() as WhereLoop;
  whereCache.set(id, loop);
  return loop;
}
