/**
 * The fused Adam / AdamW step (adam.ts) in WebAssembly for float32 parameters and moments in
 * wasm memory: the same float64 operations per element, in the same order, two elements per
 * f64x2, rounded to float32 where the JavaScript loop stores: the same bits. About ten
 * nanoseconds per parameter in JavaScript (conversions and bounds checks on five arrays) come
 * down to about one.
 *
 * Covers the common case, without `maximize` or AMSGrad (adam.ts runs those); two variants,
 * with and without the L2 term (Adam's coupled weight decay), because adding a zero term would
 * turn a -0 gradient into +0.
 */
import { Code, ValType, type WasmFunction } from './gemm/wasm-assembler.js';
import type { TypedArray } from '../dtype.js';
import { HeapModule } from './heap-module.js';

const { i32, f64, v128 } = ValType;
const OPS = { add: [0xf0, 0xa0], sub: [0xf1, 0xa1], mul: [0xf2, 0xa2], div: [0xf3, 0xa3], sqrt: [0xef, 0x9f] } as const;

/**
 * `adam(p, g, m, v, n, decay, l2, b1, c1, b2, c2, stepSize, bc2Sqrt, eps)` over n elements at
 * byte addresses p, g, m, v (float32); c1 = 1 - b1, c2 = 1 - b2. Per element, as adam.ts:
 *   theta = p decay; gi = g (+ l2 p); m = b1 m + c1 gi; v = b2 v + c2 gi gi (both stored);
 *   p = theta - (stepSize m) / (sqrt(v) / bc2Sqrt + eps), with m and v read back as stored.
 */
function adamFunction(withL2: boolean): WasmFunction {
  const [P, G, M, V, N] = [0, 1, 2, 3, 4];
  const [DECAY, L2, B1, C1, B2, C2, STEP, BC2, EPS] = [5, 6, 7, 8, 9, 10, 11, 12, 13];
  const scalars = [DECAY, L2, B1, C1, B2, C2, STEP, BC2, EPS];
  const splat = (s: number) => 14 + scalars.indexOf(s); // v128 locals
  const [GI, THETA] = [23, 24]; // v128 (pair) temporaries
  const [GI1, THETA1] = [25, 26]; // f64 (single) temporaries
  const c = new Code();
  for (const s of scalars) c.localGet(s).f64x2Splat().localSet(splat(s));

  const body = (pair: boolean) => {
    const gi = pair ? GI : GI1;
    const theta = pair ? THETA : THETA1;
    const k = (s: number) => c.localGet(pair ? splat(s) : s);
    const op = (name: keyof typeof OPS) => (pair ? c.v128Op(OPS[name][0]) : c.f64Op(OPS[name][1]));
    const load = (ptr: number) => (pair ? c.localGet(ptr).v128Load64Zero().f64x2PromoteLowF32x4() : c.localGet(ptr).f32Load().f64PromoteF32());
    const store = () => (pair ? c.f32x4DemoteF64x2Zero().v128Store64Lane0() : c.f32DemoteF64().f32Store());
    // theta = p * decay
    load(P);
    k(DECAY);
    op('mul');
    c.localSet(theta);
    // gi = g (+ l2 * p)
    load(G);
    if (withL2) {
      k(L2);
      load(P);
      op('mul');
      op('add');
    }
    c.localSet(gi);
    // m = b1 * m + c1 * gi
    c.localGet(M);
    k(B1);
    load(M);
    op('mul');
    k(C1);
    c.localGet(gi);
    op('mul');
    op('add');
    store();
    // v = b2 * v + (c2 * gi) * gi
    c.localGet(V);
    k(B2);
    load(V);
    op('mul');
    k(C2);
    c.localGet(gi);
    op('mul');
    c.localGet(gi);
    op('mul');
    op('add');
    store();
    // p = theta - (stepSize * m) / (sqrt(v) / bc2Sqrt + eps)
    c.localGet(P);
    c.localGet(theta);
    k(STEP);
    load(M);
    op('mul');
    load(V);
    op('sqrt');
    k(BC2);
    op('div');
    k(EPS);
    op('add');
    op('div');
    op('sub');
    store();
  };

  for (const pair of [true, false]) {
    c.block().loop();
    if (pair) c.localGet(N).i32Const(2).i32LtU().brIf(1);
    else c.localGet(N).i32Eqz().brIf(1);
    body(pair);
    for (const ptr of [P, G, M, V]) c.localGet(ptr).i32Const(pair ? 8 : 4).i32Add().localSet(ptr);
    c.localGet(N).i32Const(pair ? 2 : 1).i32Sub().localSet(N).br(0).end().end();
  }
  return {
    params: [i32, i32, i32, i32, i32, ...scalars.map(() => f64)],
    results: [],
    locals: [...scalars.map(() => v128), v128, v128, f64, f64],
    body: c,
    exportName: withL2 ? 'adamL2' : 'adam',
  };
}

type AdamFn = (p: number, g: number, m: number, v: number, n: number, ...scalars: number[]) => void;
const adam = new HeapModule<AdamFn>(() => [adamFunction(false), adamFunction(true)]);

/** Turns the WebAssembly step on or off (off: the JavaScript loop runs). Returns the old setting. */
export const setSimdAdam = (on: boolean): boolean => adam.setEnabled(on);

/** The per-element constants of one step (see {@link adamFunction}). */
export interface AdamConstants {
  decay: number;
  l2: number;
  beta1: number;
  beta2: number;
  stepSize: number;
  bc2Sqrt: number;
  eps: number;
}

/**
 * One step over n float32 elements of p, g, m, v (element offsets given), in WebAssembly.
 * Returns false, writing nothing, when it cannot run here (not float32, no SIMD, wasm memory
 * full, turned off).
 */
export function simdAdam(p: TypedArray, po: number, g: TypedArray, go: number, m: TypedArray, mo: number, v: TypedArray, vo: number, n: number, k: AdamConstants): boolean {
  if (!(p instanceof Float32Array) || !(g instanceof Float32Array) || !(m instanceof Float32Array) || !(v instanceof Float32Array)) return false;
  const w = adam.get();
  if (w === null) return false;
  // Arrays outside wasm memory (parameters made outside `tidy` live in ordinary memory) are
  // staged: their n elements copied into a block there, and p, m, v copied back after.
  const arrays = [[p, po], [g, go], [m, mo], [v, vo]] as const;
  const staged: (Float32Array | null)[] = [];
  const at: number[] = [];
  for (const [a, o] of arrays) {
    const addr = w.heap.addressOf(a);
    if (addr >= 0) {
      staged.push(null);
      at.push(addr + o * 4);
      continue;
    }
    const block = w.heap.view('float32', n, false) as Float32Array | null;
    if (block === null) {
      for (const b of staged) if (b) w.heap.free(b);
      return false;
    }
    block.set(a.subarray(o, o + n));
    staged.push(block);
    at.push(w.heap.addressOf(block));
  }
  const fn = k.l2 !== 0 ? w.fns.adamL2! : w.fns.adam!;
  fn(at[0]!, at[1]!, at[2]!, at[3]!, n, k.decay, k.l2, k.beta1, 1 - k.beta1, k.beta2, 1 - k.beta2, k.stepSize, k.bc2Sqrt, k.eps);
  staged.forEach((b, i) => {
    if (!b) return;
    if (i !== 1) arrays[i]![0].set(b, arrays[i]![1]); // g is only read
    w.heap.free(b);
  });
  return true;
}
