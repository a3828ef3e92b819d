/**
 * Training-mode batch normalization's loops in WebAssembly, for float32 storage: float64
 * arithmetic in two f64x2 lanes (each pair of float32 widened), without JavaScript's bounds
 * checks and per-element conversions.
 *
 * Bit-identical to the JavaScript loops of batchnorm.ts, which are written in the same order:
 * each (image, channel) run is summed as two interleaved partial sums (even and odd positions,
 * an odd last element added to the even one), added together at the end of the run, and the
 * runs are added image by image; the elementwise passes do the same float64 operations per
 * element, rounded once to float32 when stored.
 *
 * Every function works on one channel: N runs of S elements, `step` bytes apart.
 */
import { Code, ValType, type WasmFunction } from './gemm/wasm-assembler.js';
import { HeapModule } from './heap-module.js';
import type { WasmHeap } from './wasm-heap.js';

const { i32, f64, v128 } = ValType;
const F64_ADD = 0xa0;
const F64_SUB = 0xa1;
const F64_MUL = 0xa2;

/** What a channel loop does at each point (pair: two elements as f64x2; single: the odd last one). */
interface RunHooks {
  start?: () => void;
  pair: () => void;
  afterPairs?: () => void;
  single: () => void;
  end?: () => void;
}

/** Locals every channel loop uses. */
interface LoopLocals {
  S: number;
  N: number;
  step: number;
  /** Elements left in the run, runs left (scratch i32). */
  k: number;
  r: number;
  /** Pointer parameters (advanced by `step` per run) and their per-element cursors. */
  ptrs: readonly { base: number; cur: number }[];
}

/** For each of N runs: start, pairs while two elements remain, afterPairs, the last one if S is odd, end. */
function channelLoop(c: Code, L: LoopLocals, h: RunHooks): void {
  c.localGet(L.N).localSet(L.r);
  c.block().loop();
  c.localGet(L.r).i32Eqz().brIf(1);
  for (const p of L.ptrs) c.localGet(p.base).localSet(p.cur);
  c.localGet(L.S).localSet(L.k);
  h.start?.();
  c.block().loop();
  c.localGet(L.k).i32Const(2).i32LtU().brIf(1);
  h.pair();
  for (const p of L.ptrs) c.localGet(p.cur).i32Const(8).i32Add().localSet(p.cur);
  c.localGet(L.k).i32Const(2).i32Sub().localSet(L.k).br(0).end().end();
  h.afterPairs?.();
  c.block();
  c.localGet(L.k).i32Eqz().brIf(0);
  h.single();
  c.end();
  h.end?.();
  for (const p of L.ptrs) c.localGet(p.base).localGet(L.step).i32Add().localSet(p.base);
  c.localGet(L.r).i32Const(1).i32Sub().localSet(L.r).br(0).end().end();
}

/** Pushes the float32 pair at pointer local `at` widened to f64x2, or the one float32 as f64. */
function load(c: Code, at: number, pair: boolean): Code {
  c.localGet(at);
  return pair ? c.v128Load64Zero().f64x2PromoteLowF32x4() : c.f32Load().f64PromoteF32();
}

/** A binary f64 op on two lanes or one value. */
function op(c: Code, pair: boolean, simd: 'add' | 'sub' | 'mul'): Code {
  if (pair) return simd === 'add' ? c.f64x2Add() : simd === 'sub' ? c.f64x2Sub() : c.f64x2Mul();
  return c.f64Op(simd === 'add' ? F64_ADD : simd === 'sub' ? F64_SUB : F64_MUL);
}

/** Pushes scalar parameter `p` (f64) as two lanes (`v`, its splat local) or one value. */
const scalar = (c: Code, pair: boolean, p: number, v: number) => c.localGet(pair ? v : p);

/**
 * `name(a, b, S, step, N, m) -> f64`: Σ over the channel of term(a, b, m), in the pair order
 * described above. `term` pushes one f64x2 (pair) or f64 (single) from the cursors.
 */
function reduction(name: string, term: (c: Code, pair: boolean, a: number, b: number, m: number, mv: number) => void): WasmFunction {
  const [A, B, S, STEP, N, M] = [0, 1, 2, 3, 4, 5];
  const [K, R, CA, CB, TOTAL, EVEN, ACC, MV] = [6, 7, 8, 9, 10, 11, 12, 13];
  const c = new Code();
  c.localGet(M).f64x2Splat().localSet(MV).f64Const(0).localSet(TOTAL);
  channelLoop(c, { S, N, step: STEP, k: K, r: R, ptrs: [{ base: A, cur: CA }, { base: B, cur: CB }] }, {
    start: () => c.v128Zero().localSet(ACC),
    pair: () => {
      c.localGet(ACC);
      term(c, true, CA, CB, M, MV);
      c.f64x2Add().localSet(ACC);
    },
    afterPairs: () => c.localGet(ACC).f64x2ExtractLane(0).localSet(EVEN),
    single: () => {
      c.localGet(EVEN);
      term(c, false, CA, CB, M, MV);
      c.f64Op(F64_ADD).localSet(EVEN);
    },
    end: () => c.localGet(TOTAL).localGet(EVEN).localGet(ACC).f64x2ExtractLane(1).f64Op(F64_ADD).f64Op(F64_ADD).localSet(TOTAL),
  });
  c.localGet(TOTAL);
  return { params: [i32, i32, i32, i32, i32, f64], results: [f64], locals: [i32, i32, i32, i32, f64, f64, v128, v128], body: c, exportName: name };
}

/** Σ a. */
const sumFn = () => reduction('sum', (c, pair, a) => void load(c, a, pair));
/** Σ (a - m)^2. */
const sqDevFn = () =>
  reduction('sqDev', (c, pair, a, _b, m, mv) => {
    load(c, a, pair);
    op(scalar(c, pair, m, mv), pair, 'sub');
    // (d) * (d): recompute d rather than keep a local per width.
    load(c, a, pair);
    op(scalar(c, pair, m, mv), pair, 'sub');
    op(c, pair, 'mul');
  });
/** Σ a (b - m). */
const prodDevFn = () =>
  reduction('prodDev', (c, pair, a, b, m, mv) => {
    load(c, a, pair);
    load(c, b, pair);
    op(scalar(c, pair, m, mv), pair, 'sub');
    op(c, pair, 'mul');
  });

/** Stores the f64x2 (pair) or f64 on the stack as float32 at pointer local `at` (pushed first by the caller). */
function store(c: Code, pair: boolean): void {
  if (pair) c.f32x4DemoteF64x2Zero().v128Store64Lane0();
  else c.f32DemoteF64().f32Store();
}

/** `affine(y, x, S, step, N, scale, shift)`: y = x * scale + shift in float64, rounded once. */
function affineFn(): WasmFunction {
  const [Y, X, S, STEP, N, SC, SH] = [0, 1, 2, 3, 4, 5, 6];
  const [K, R, CY, CX, SCV, SHV] = [7, 8, 9, 10, 11, 12];
  const c = new Code();
  c.localGet(SC).f64x2Splat().localSet(SCV).localGet(SH).f64x2Splat().localSet(SHV);
  const body = (pair: boolean) => {
    c.localGet(CY);
    load(c, CX, pair);
    op(scalar(c, pair, SC, SCV), pair, 'mul');
    op(scalar(c, pair, SH, SHV), pair, 'add');
    store(c, pair);
  };
  channelLoop(c, { S, N, step: STEP, k: K, r: R, ptrs: [{ base: Y, cur: CY }, { base: X, cur: CX }] }, { pair: () => body(true), single: () => body(false) });
  return { params: [i32, i32, i32, i32, i32, f64, f64], results: [], locals: [i32, i32, i32, i32, v128, v128], body: c, exportName: 'affine' };
}

/**
 * `inputGrad(dx, g, x, S, step, N, m, inv, meanDy, meanDyXhat, k)`:
 * dx = k * ((g - meanDy) - ((x - m) * inv) * meanDyXhat), in float64, rounded once.
 */
function inputGradFn(): WasmFunction {
  const [DX, G, X, S, STEP, N, M, INV, MDY, MDX, KK] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [K, R, CD, CG, CX] = [11, 12, 13, 14, 15];
  const V = { [M]: 16, [INV]: 17, [MDY]: 18, [MDX]: 19, [KK]: 20 } as Record<number, number>;
  const c = new Code();
  for (const p of [M, INV, MDY, MDX, KK]) c.localGet(p).f64x2Splat().localSet(V[p]!);
  const body = (pair: boolean) => {
    const s = (p: number) => scalar(c, pair, p, V[p]!);
    c.localGet(CD);
    s(KK);
    load(c, CG, pair);
    op(s(MDY), pair, 'sub');
    load(c, CX, pair);
    op(s(M), pair, 'sub');
    op(s(INV), pair, 'mul');
    op(s(MDX), pair, 'mul');
    op(c, pair, 'sub');
    op(c, pair, 'mul');
    store(c, pair);
  };
  channelLoop(c, { S, N, step: STEP, k: K, r: R, ptrs: [{ base: DX, cur: CD }, { base: G, cur: CG }, { base: X, cur: CX }] }, { pair: () => body(true), single: () => body(false) });
  return {
    params: [i32, i32, i32, i32, i32, i32, f64, f64, f64, f64, f64], results: [],
    locals: [i32, i32, i32, i32, i32, v128, v128, v128, v128, v128], body: c, exportName: 'inputGrad',
  };
}

/** The compiled functions, bound to byte addresses. */
export interface BatchNormKernels {
  heap: WasmHeap;
  sum(a: number, b: number, S: number, step: number, N: number, m: number): number;
  sqDev(a: number, b: number, S: number, step: number, N: number, m: number): number;
  prodDev(a: number, b: number, S: number, step: number, N: number, m: number): number;
  affine(y: number, x: number, S: number, step: number, N: number, scale: number, shift: number): void;
  inputGrad(dx: number, g: number, x: number, S: number, step: number, N: number, m: number, inv: number, meanDy: number, meanDyXhat: number, k: number): void;
}

const batchNorm = new HeapModule(() => [sumFn(), sqDevFn(), prodDevFn(), affineFn(), inputGradFn()]);

/** Turns the WebAssembly loops on or off (off: the JavaScript ones run). Returns the old setting. */
export const setSimdBatchNorm = (on: boolean): boolean => batchNorm.setEnabled(on);

/** The kernels, or null where they cannot run (no SIMD, tensors not in wasm memory, turned off). */
export function batchNormKernels(): BatchNormKernels | null {
  const k = batchNorm.get();
  return k && ({ heap: k.heap, ...(k.fns as unknown as Omit<BatchNormKernels, 'heap'>) });
}
