/**
 * The PoolArgMax kernel (pool.ts) in WebAssembly, for contiguous float32 input in wasm memory:
 * the same scan (rows, then columns of each window; the first maximum wins, the first NaN
 * ends the scan) without JavaScript's bounds checks. A ResNet stem's 3x3/2 max pool spent
 * about 12 ms in the JavaScript loop, a tenth of the whole eval forward.
 */
import { Code, ValType, type WasmFunction } from './gemm/wasm-assembler.js';
import { HeapModule } from './heap-module.js';

const I = ValType.i32;
const F32_GT = 0x5e;
const F32_NE = 0x5c;

/**
 * `argmax(x, planes, planeB, W, out, Ho, Wo, rStart, rTaps, qStart, qTaps)`: for each of
 * `planes` planes (planeB bytes apart from x) and each output (i, j), writes to out (int32)
 * the position r * W + q of the window's maximum, the window being rows rTaps[rStart[i] ..
 * rStart[i + 1]) by columns qTaps[qStart[j] .. qStart[j + 1]) (int32 tables, byte addresses).
 */
function argmaxFunction(): WasmFunction {
  const [X, PLANES, PLANEB, W, OUT, HO, WO, RS, RT, QS, QT] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [i, j, r0, r1, q0, q1, ri, qi, r, q, at, rowAt] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
  const [BEST, V] = [23, 24]; // f32
  const c = new Code();
  const load = (table: number, index: number, extra = 0) => c.localGet(table).localGet(index).i32Const(4).i32Mul().i32Add().i32Load(extra);
  const pos = () => c.localGet(r).localGet(W).i32Mul().localGet(q).i32Add();
  c.block().loop(); // planes
  {
    c.localGet(PLANES).i32Eqz().brIf(1);
    c.i32Const(0).localSet(i);
    c.block().loop(); // output rows
    {
      c.localGet(i).localGet(HO).i32GeU().brIf(1);
      load(RS, i).localSet(r0);
      load(RS, i, 4).localSet(r1);
      c.i32Const(0).localSet(j);
      c.block().loop(); // output columns
      {
        c.localGet(j).localGet(WO).i32GeU().brIf(1);
        load(QS, j).localSet(q0);
        load(QS, j, 4).localSet(q1);
        c.f32Const(-Infinity).localSet(BEST);
        load(RT, r0).localGet(W).i32Mul();
        load(QT, q0);
        c.i32Add().localSet(at);
        c.block(); // $done: the scan
        {
          c.localGet(r0).localSet(ri);
          c.loop(); // window rows
          {
            c.localGet(ri).localGet(r1).i32GeU().brIf(1);
            load(RT, ri).localSet(r);
            c.localGet(X).localGet(r).localGet(W).i32Mul().i32Const(4).i32Mul().i32Add().localSet(rowAt);
            c.localGet(q0).localSet(qi);
            c.block().loop(); // window columns
            {
              c.localGet(qi).localGet(q1).i32GeU().brIf(1);
              load(QT, qi).localSet(q);
              c.localGet(rowAt).localGet(q).i32Const(4).i32Mul().i32Add().f32Load().localSet(V);
              c.localGet(V).localGet(BEST).f32Cmp(F32_GT).if();
              c.localGet(V).localSet(BEST);
              pos().localSet(at);
              c.else();
              c.localGet(V).localGet(V).f32Cmp(F32_NE).if();
              pos().localSet(at);
              c.br(5); // out of: if, else-if, column loop, its block, row loop: to $done
              c.end();
              c.end();
              c.localGet(qi).i32Const(1).i32Add().localSet(qi).br(0);
            }
            c.end().end();
            c.localGet(ri).i32Const(1).i32Add().localSet(ri).br(0);
          }
          c.end();
        }
        c.end(); // $done
        c.localGet(OUT).localGet(at).i32Store();
        c.localGet(OUT).i32Const(4).i32Add().localSet(OUT);
        c.localGet(j).i32Const(1).i32Add().localSet(j).br(0);
      }
      c.end().end();
      c.localGet(i).i32Const(1).i32Add().localSet(i).br(0);
    }
    c.end().end();
    c.localGet(X).localGet(PLANEB).i32Add().localSet(X);
    c.localGet(PLANES).i32Const(1).i32Sub().localSet(PLANES).br(0);
  }
  c.end().end();
  return { params: Array<ValType>(11).fill(I), results: [], locals: [...Array<ValType>(12).fill(I), ValType.f32, ValType.f32], body: c, exportName: 'argmax' };
}

type ArgmaxFn = (...args: number[]) => void;
const pool = new HeapModule<ArgmaxFn>(() => [argmaxFunction()]);

/** Turns the WebAssembly scan on or off (off: the JavaScript loop runs). Returns the old setting. */
export const setSimdPool = (on: boolean): boolean => pool.setEnabled(on);

/** Flattened window lists (see pool.ts): window i's taps are taps[start[i] .. start[i + 1]). */
export interface WindowTable {
  start: Int32Array;
  taps: Int32Array;
}

/**
 * Writes the argmax positions of `planes` contiguous H x W planes of float32 `x` (from element
 * `xOff`) into `out` (int32, Ho * Wo per plane). Returns false, writing nothing, where it
 * cannot run (x outside wasm memory, no SIMD, turned off).
 */
export function simdPoolArgMax(x: ArrayLike<number>, xOff: number, planes: number, H: number, W: number, R: WindowTable, Q: WindowTable, out: Int32Array): boolean {
  if (!(x instanceof Float32Array)) return false;
  const k = pool.get();
  if (k === null) return false;
  const xAt = k.heap.addressOf(x);
  if (xAt < 0) return false;
  const Ho = R.start.length - 1;
  const Wo = Q.start.length - 1;
  // The tables and the result in wasm memory: one float32 block viewed as int32.
  const sizes = [R.start.length, R.taps.length, Q.start.length, Q.taps.length, out.length];
  const block = k.heap.view('float32', sizes.reduce((a, b) => a + b, 0), false) as Float32Array | null;
  if (block === null) return false;
  const ints = new Int32Array(block.buffer, block.byteOffset, block.length);
  const at: number[] = [];
  let o = 0;
  [R.start, R.taps, Q.start, Q.taps].forEach((t) => {
    ints.set(t, o);
    at.push(block.byteOffset + o * 4);
    o += t.length;
  });
  k.fns.argmax!(xAt + xOff * 4, planes, H * W * 4, W, block.byteOffset + o * 4, Ho, Wo, at[0]!, at[1]!, at[2]!, at[3]!);
  out.set(ints.subarray(o, o + out.length));
  k.heap.free(block);
  return true;
}
