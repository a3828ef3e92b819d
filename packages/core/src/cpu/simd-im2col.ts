/**
 * im2col and col2im in WebAssembly, for float32 storage in the backend's wasm memory: the same
 * padded-plane algorithm as im2col.ts (which stays the readable path, and the one float64 and
 * storage outside wasm memory take), compiled loops without JavaScript's bounds checks and
 * float64 round trips. On the 4x4 to 14x14 maps of the Dy-CNN the JavaScript loops cost about
 * 2.5 ns per column element; these cost a fraction of that (docs/benchmarks.md).
 *
 * One call handles one image's channel group. Both are pure copies and adds in the order of the
 * JavaScript loops (f32.add is the float32 rounding of the float64 sum JavaScript computes), so
 * results are bit-identical; tests compare the two.
 */
import { Code, ValType, type WasmFunction } from './gemm/wasm-assembler.js';
import type { FloatArray } from './gemm.js';
import type { Geometry } from './conv-geometry.js';
import type { ColumnLoops, PaddedPlane } from './im2col.js';
import { HeapModule } from './heap-module.js';

const { i32 } = ValType;

/** `while (!exit) body`: `exit` pushes an i32, nonzero to leave. */
function whileNot(c: Code, exit: () => void, body: () => void): void {
  c.block().loop();
  exit();
  c.brIf(1);
  body();
  c.br(0).end().end();
}

/** local += by (a constant). */
const bump = (c: Code, local: number, by: number) => c.localGet(local).i32Const(by).i32Add().localSet(local);
/** local += other (a local). */
const advance = (c: Code, local: number, other: number) => c.localGet(local).localGet(other).i32Add().localSet(local);
/** Pushes local >= limit (unsigned): the exit test of a counting loop. */
const reached = (c: Code, local: number, limit: number) => () => c.localGet(local).localGet(limit).i32GeU();

// Parameters shared by both functions (byte addresses and byte strides), then their own.
const P = {
  COLS: 0, TAPB: 1, PLANE: 2, AT: 3, N: 4, KH: 5, KW: 6, TROW: 7, TCOL: 8, CG: 9, ROWS: 10, INC: 11, IMG: 12, IMGB: 13, WB: 14, WPB: 15, INT: 16, PLANEB: 17,
} as const;
const NPARAMS = 18;
// Locals.
const L = { c: 18, iy: 19, ix: 20, s: 21, d: 22, i: 23, j: 24, tap: 25, a: 26, o: 27, e: 28, rowSrc: 29, rowDst: 30, rowTap: 31 } as const;
const NLOCALS = 14;

/**
 * The taps of one channel: for each (i, j), `perElement()` with local `o` at the column
 * element and local `a` at its entry of the offset table (plane address: tap + at[p]).
 */
function eachTap(c: Code, perElement: () => void): void {
  c.localGet(P.PLANE).localSet(L.rowTap).i32Const(0).localSet(L.i);
  whileNot(c, reached(c, L.i, P.KH), () => {
    c.localGet(L.rowTap).localSet(L.tap).i32Const(0).localSet(L.j);
    whileNot(c, reached(c, L.j, P.KW), () => {
      c.localGet(P.AT).localSet(L.a).localGet(P.COLS).localSet(L.o);
      c.localGet(P.AT).localGet(P.N).i32Const(4).i32Mul().i32Add().localSet(L.e);
      whileNot(c, reached(c, L.a, L.e), () => {
        perElement();
        bump(c, L.o, 4);
        bump(c, L.a, 4);
      });
      advance(c, P.COLS, P.TAPB);
      advance(c, L.tap, P.TCOL);
      bump(c, L.j, 1);
    });
    advance(c, L.rowTap, P.TROW);
    bump(c, L.i, 1);
  });
}

/** The input rows that land inside the plane: `perElement()` with `s` in the image, `d` in the plane. */
function eachInterior(c: Code, perElement: () => void): void {
  c.localGet(P.IMG).localSet(L.rowSrc).localGet(P.PLANE).localGet(P.INT).i32Add().localSet(L.rowDst).i32Const(0).localSet(L.iy);
  whileNot(c, reached(c, L.iy, P.ROWS), () => {
    c.localGet(L.rowSrc).localSet(L.s).localGet(L.rowDst).localSet(L.d).i32Const(0).localSet(L.ix);
    whileNot(c, reached(c, L.ix, P.INC), () => {
      perElement();
      bump(c, L.s, 4);
      bump(c, L.d, 4);
      bump(c, L.ix, 1);
    });
    advance(c, L.rowSrc, P.WB);
    advance(c, L.rowDst, P.WPB);
    bump(c, L.iy, 1);
  });
}

/** Pushes the plane address of the current tap element: tap + at[p]. */
const tapAddress = (c: Code) => c.localGet(L.tap).localGet(L.a).i32Load().i32Add();

/** im2col of one image's channel group: IMG is the image, COLS its first column (see {@link P}). */
function im2colFunction(): WasmFunction {
  const c = new Code();
  c.i32Const(0).localSet(L.c);
  whileNot(c, reached(c, L.c, P.CG), () => {
    eachInterior(c, () => c.localGet(L.d).localGet(L.s).f32Load().f32Store());
    eachTap(c, () => {
      c.localGet(L.o);
      tapAddress(c).f32Load();
      c.f32Store();
    });
    advance(c, P.IMG, P.IMGB);
    bump(c, L.c, 1);
  });
  return { params: Array(NPARAMS).fill(i32), results: [], locals: Array(NLOCALS).fill(i32), body: c, exportName: 'im2col' };
}

/** col2im of one image's channel group, added onto IMG (dx). */
function col2imFunction(): WasmFunction {
  const F32_ADD = 0x92;
  const c = new Code();
  c.i32Const(0).localSet(L.c);
  whileNot(c, reached(c, L.c, P.CG), () => {
    // Clear the plane.
    c.localGet(P.PLANE).localSet(L.d).localGet(P.PLANE).localGet(P.PLANEB).i32Add().localSet(L.e);
    whileNot(c, reached(c, L.d, L.e), () => {
      c.localGet(L.d).f32Const(0).f32Store();
      bump(c, L.d, 4);
    });
    eachTap(c, () => {
      tapAddress(c);
      tapAddress(c).f32Load();
      c.localGet(L.o).f32Load().f32Op(F32_ADD).f32Store();
    });
    // dx (s, in the image) += plane (d).
    eachInterior(c, () => c.localGet(L.s).localGet(L.s).f32Load().localGet(L.d).f32Load().f32Op(F32_ADD).f32Store());
    advance(c, P.IMG, P.IMGB);
    bump(c, L.c, 1);
  });
  return { params: Array(NPARAMS).fill(i32), results: [], locals: Array(NLOCALS).fill(i32), body: c, exportName: 'col2im' };
}

type ColumnsFn = (...args: number[]) => void;
const columns = new HeapModule<ColumnsFn>(() => [im2colFunction(), col2imFunction()]);

/** Turns the WebAssembly loops on or off (off: the JavaScript ones run). Returns the old setting. */
export const setSimdIm2col = (on: boolean): boolean => columns.setEnabled(on);

/**
 * The wasm im2col / col2im for one call over `images` (x for im2col, dx for col2im), `cols`
 * and `plane` (the padded plane's scratch, as im2col.ts wants it), with
 * `table` as scratch for the offset table (Ho * Wo elements); null where they cannot run:
 * float64, an array outside wasm memory, or turned off.
 */
export function wasmColumns(g: Geometry, pp: PaddedPlane, images: FloatArray, cols: FloatArray, plane: FloatArray, table: FloatArray): ColumnLoops | null {
  if (!(images instanceof Float32Array) || !(cols instanceof Float32Array) || !(plane instanceof Float32Array) || !(table instanceof Float32Array)) return null;
  const k = columns.get();
  if (k === null) return null;
  const [imgAt, colsAt, planeAt, tableAt] = [images, cols, plane, table].map((a) => k.heap.addressOf(a));
  if (imgAt! < 0 || colsAt! < 0 || planeAt! < 0 || tableAt! < 0) return null;
  const HoWo = g.Ho * g.Wo;
  const at = new Int32Array(table.buffer, table.byteOffset, HoWo);
  for (let p = 0; p < HoWo; p++) at[p] = pp.at[p]! * 4;
  const args = (img: number, col: number, ld: number) => [
    colsAt! + col * 4, ld * 4, planeAt!, tableAt!, HoWo, g.kh, g.kw, g.dh * pp.Wp * 4, g.dw * 4, g.Cg, pp.rows, pp.cols,
    imgAt! + img * 4, g.H * g.W * 4, g.W * 4, pp.Wp * 4, (g.pt * pp.Wp + g.pl) * 4, pp.Hp * pp.Wp * 4,
  ];
  return {
    im2col: (xOff, colOff, ld) => k.fns.im2col!(...args(xOff, colOff, ld)),
    col2imAdd: (colOff, ld, xOff) => k.fns.col2im!(...args(xOff, colOff, ld)),
  };
}
