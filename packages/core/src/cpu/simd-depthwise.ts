/**
 * The depthwise 3x3 sweep (depthwise3x3.ts) in WebAssembly: out[oy][ox] (+)= Σ_ij k_ij
 * P[oy*sh + i][ox*sw + j] over a float64 padded plane P in wasm memory, into float32 storage
 * there. The same float64 products and sums in the same order as the JavaScript loop, rounded
 * once when stored: the same bits. At stride 1, two outputs per f64x2; otherwise one at a time.
 * And the padded plane's fill (float32 widened into the zeroed float64 plane).
 */
import { Code, ValType, type WasmFunction } from './gemm/wasm-assembler.js';
import { HeapModule } from './heap-module.js';
import type { WasmHeap } from './wasm-heap.js';

const { i32, f64, v128 } = ValType;
const F64_ADD = 0xa0;
const F64_MUL = 0xa2;

/**
 * `sweep(P, WpB, out, Ho, Wo, rowB, colB, add, k0..k8)`: P and out byte addresses, WpB the
 * plane's row stride, rowB = sh * WpB, colB = sw * 8 (bytes); add nonzero: out += the sum.
 */
function sweepFunction(pairs: boolean): WasmFunction {
  const [P, WPB, OUT, HO, WO, ROWB, COLB, ADD] = [0, 1, 2, 3, 4, 5, 6, 7];
  const K = (t: number) => 8 + t; // f64 params k0..k8
  const [oy, ox, r0, p, o] = [17, 18, 19, 20, 21]; // i32 locals
  const KV = (t: number) => 22 + t; // v128 splats of k0..k8
  const ACC = 31; // v128
  const ACC1 = 32; // f64
  const c = new Code();
  for (let t = 0; t < 9; t++) c.localGet(K(t)).f64x2Splat().localSet(KV(t));
  c.localGet(P).localSet(r0).localGet(OUT).localSet(o).i32Const(0).localSet(oy);
  c.block().loop();
  c.localGet(oy).localGet(HO).i32GeU().brIf(1);
  {
    c.localGet(r0).localSet(p).i32Const(0).localSet(ox);
    const output = (pair: boolean) => {
      // acc = k0 P[r0 + c] + k1 P[r0 + c + 1] + ... + k8 P[r2 + c + 2], left to right.
      for (let t = 0; t < 9; t++) {
        const rowOff = Math.floor(t / 3);
        const at = () => {
          c.localGet(p);
          for (let r = 0; r < rowOff; r++) c.localGet(WPB).i32Add();
          return c;
        };
        at();
        if (pair) c.v128Load((t % 3) * 8).localGet(KV(t)).f64x2Mul();
        else c.f64Load((t % 3) * 8).localGet(K(t)).f64Op(F64_MUL);
        if (t > 0) {
          if (pair) c.localGet(ACC).f64x2Add();
          else c.localGet(ACC1).f64Op(F64_ADD);
        }
        c.localSet(pair ? ACC : ACC1);
      }
      // add: acc = out + acc (out widened first; the sum is commutative in IEEE arithmetic).
      c.block();
      c.localGet(ADD).i32Eqz().brIf(0);
      if (pair) c.localGet(o).v128Load64Zero().f64x2PromoteLowF32x4().localGet(ACC).f64x2Add().localSet(ACC);
      else c.localGet(o).f32Load().f64PromoteF32().localGet(ACC1).f64Op(F64_ADD).localSet(ACC1);
      c.end();
      c.localGet(o).localGet(pair ? ACC : ACC1);
      if (pair) c.f32x4DemoteF64x2Zero().v128Store64Lane0();
      else c.f32DemoteF64().f32Store();
    };
    if (pairs) {
      c.block().loop();
      c.localGet(ox).i32Const(1).i32Add().localGet(WO).i32GeU().brIf(1);
      output(true);
      c.localGet(p).i32Const(16).i32Add().localSet(p);
      c.localGet(o).i32Const(8).i32Add().localSet(o);
      c.localGet(ox).i32Const(2).i32Add().localSet(ox).br(0).end().end();
    }
    c.block().loop();
    c.localGet(ox).localGet(WO).i32GeU().brIf(1);
    output(false);
    c.localGet(p).localGet(COLB).i32Add().localSet(p);
    c.localGet(o).i32Const(4).i32Add().localSet(o);
    c.localGet(ox).i32Const(1).i32Add().localSet(ox).br(0).end().end();
  }
  c.localGet(r0).localGet(ROWB).i32Add().localSet(r0);
  c.localGet(oy).i32Const(1).i32Add().localSet(oy).br(0).end().end();
  return {
    params: [i32, i32, i32, i32, i32, i32, i32, i32, ...Array<ValType>(9).fill(f64)],
    results: [],
    locals: [i32, i32, i32, i32, i32, ...Array<ValType>(10).fill(v128), f64],
    body: c,
    exportName: pairs ? 'sweep1' : 'sweepAny',
  };
}

/**
 * `pad(P, planeB, src, rows, cols, WB, WpB, dstB)`: clears the float64 plane P (planeB bytes),
 * then widens `rows` x `cols` float32 values of src (rows WB bytes apart) into P from byte
 * offset dstB (rows WpB apart): depthwise3x3.ts's fillPadded.
 */
function padFunction(): WasmFunction {
  const [P, PLANEB, SRC, ROWS, COLS, WB, WPB, DSTB] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [q, end, r, k, s, d, rs, rd] = [8, 9, 10, 11, 12, 13, 14, 15];
  const c = new Code();
  c.localGet(P).localSet(q).localGet(P).localGet(PLANEB).i32Add().localSet(end);
  c.block().loop();
  c.localGet(q).localGet(end).i32GeU().brIf(1);
  c.localGet(q).f64Const(0).f64Store();
  c.localGet(q).i32Const(8).i32Add().localSet(q).br(0).end().end();
  c.localGet(SRC).localSet(rs).localGet(P).localGet(DSTB).i32Add().localSet(rd).i32Const(0).localSet(r);
  c.block().loop();
  c.localGet(r).localGet(ROWS).i32GeU().brIf(1);
  c.localGet(rs).localSet(s).localGet(rd).localSet(d).i32Const(0).localSet(k);
  c.block().loop();
  c.localGet(k).localGet(COLS).i32GeU().brIf(1);
  c.localGet(d).localGet(s).f32Load().f64PromoteF32().f64Store();
  c.localGet(s).i32Const(4).i32Add().localSet(s).localGet(d).i32Const(8).i32Add().localSet(d);
  c.localGet(k).i32Const(1).i32Add().localSet(k).br(0).end().end();
  c.localGet(rs).localGet(WB).i32Add().localSet(rs).localGet(rd).localGet(WPB).i32Add().localSet(rd);
  c.localGet(r).i32Const(1).i32Add().localSet(r).br(0).end().end();
  return { params: Array<ValType>(8).fill(i32), results: [], locals: Array<ValType>(8).fill(i32), body: c, exportName: 'pad' };
}

type SweepFn = (P: number, WpB: number, out: number, Ho: number, Wo: number, rowB: number, colB: number, add: number, ...k: number[]) => void;
type PadFn = (P: number, planeB: number, src: number, rows: number, cols: number, WB: number, WpB: number, dstB: number) => void;
interface Kernels {
  heap: WasmHeap;
  sweep1: SweepFn;
  sweepAny: SweepFn;
  pad: PadFn;
}

const depthwise = new HeapModule<SweepFn & PadFn>(() => [sweepFunction(true), sweepFunction(false), padFunction()]);

/** Turns the WebAssembly sweep on or off (off: the JavaScript loop runs). Returns the old setting. */
export const setSimdDepthwise = (on: boolean): boolean => depthwise.setEnabled(on);

/** The compiled sweep and the heap, or null where it cannot run (no SIMD, tensors not in wasm memory, turned off). */
export function depthwiseKernels(): Kernels | null {
  const k = depthwise.get();
  return k && { heap: k.heap, sweep1: k.fns.sweep1!, sweepAny: k.fns.sweepAny!, pad: k.fns.pad! };
}
