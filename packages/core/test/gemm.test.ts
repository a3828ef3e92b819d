/**
 * Property tests of the GEMM paths against the reference loops: the WebAssembly SIMD kernels
 * (float32 and float64, default and tiny blockings, other tile shapes), the packed JS kernel
 * (float64, and float32 as the no-SIMD fallback) and the `gemm` dispatcher, over every
 * transA/transB combination (operands in wasm memory read packed or in place), beta 0 and 1, offsets, padded and zero leading dimensions, and
 * sizes that are not multiples of the tile.
 *
 * The reference runs in float64 on the same (already rounded) inputs; an element may differ
 * by tol * (sum_k |a_ik||b_kj| + beta |c_ij|), tol = 1e-5 for float32 and 1e-12 for float64.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { type FloatArray, type GemmArgs, gemm, gemmPackedJs, gemmReference, gemmSimdF32, gemmSimdF64 } from '../src/cpu/gemm.js';
import { type JsBlocking } from '../src/cpu/gemm/js-kernel.js';
import { type Blocking, F32_BLOCKING, F32_SHAPE, F64_BLOCKING, F64_SHAPE, setGemmDirect } from '../src/cpu/gemm/simd-gemm.js';
import { type KernelShape, buildKernelModule, simdKernel } from '../src/cpu/gemm/simd-kernel.js';
import { wasmApi } from '../src/cpu/gemm/wasm-api.js';
import { wasmHeap } from '../src/cpu/wasm-heap.js';
import { runs, values } from '@dynconv/testing';

type DT = 'float32' | 'float64';

/** A generated problem: sizes, layout and contents. Arrays are built by {@link materialize}. */
interface Case {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  beta: 0 | 1;
  aOffset: number;
  bOffset: number;
  cOffset: number;
  /** Added to the natural leading dimension, or 'zero' for ld = 0 (every row the same). */
  aPad: number | 'zero';
  bPad: number | 'zero';
  cPad: number;
  seed: number;
}

const padArb = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: fc.constant('zero' as const) });

/** Sizes 1-70, with tile multiples and their neighbours drawn often. */
const dimArb = fc.oneof(fc.integer({ min: 1, max: 70 }), fc.constantFrom(1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65));

const caseArb = (dims: { M: fc.Arbitrary<number>; N: fc.Arbitrary<number>; K: fc.Arbitrary<number> } = { M: dimArb, N: dimArb, K: dimArb }): fc.Arbitrary<Case> =>
  fc.record({
    M: dims.M,
    N: dims.N,
    K: dims.K,
    transA: fc.boolean(),
    transB: fc.boolean(),
    beta: fc.constantFrom(0 as const, 1 as const),
    aOffset: fc.integer({ min: 0, max: 7 }),
    bOffset: fc.integer({ min: 0, max: 7 }),
    cOffset: fc.integer({ min: 0, max: 7 }),
    aPad: padArb,
    bPad: padArb,
    cPad: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 })),
    seed: fc.integer({ min: 0, max: 2 ** 30 }),
  });

/** Elements a strided rows x cols matrix spans from its offset (at least one row). */
const span = (off: number, rows: number, cols: number, ld: number) => off + (rows - 1) * ld + cols;

/** The arrays of a case, in `dt`, with a few trailing elements past each operand. */
function materialize(c: Case, dt: DT): GemmArgs {
  const [aRows, aCols] = c.transA ? [c.K, c.M] : [c.M, c.K];
  const [bRows, bCols] = c.transB ? [c.N, c.K] : [c.K, c.N];
  const lda = c.aPad === 'zero' ? 0 : aCols + c.aPad;
  const ldb = c.bPad === 'zero' ? 0 : bCols + c.bPad;
  const ldc = c.N + c.cPad;
  const make = (n: number, seed: number): FloatArray => {
    const v = values([n], seed);
    return dt === 'float32' ? Float32Array.from(v) : v;
  };
  return {
    M: c.M, N: c.N, K: c.K, transA: c.transA, transB: c.transB, beta: c.beta,
    A: make(span(c.aOffset, aRows, aCols, lda) + 3, c.seed), aOffset: c.aOffset, lda,
    B: make(span(c.bOffset, bRows, bCols, ldb) + 3, c.seed + 1), bOffset: c.bOffset, ldb,
    C: make(span(c.cOffset, c.M, c.N, ldc) + 3, c.seed + 2), cOffset: c.cOffset, ldc,
  };
}

/**
 * Runs `path` on a copy of `g` and checks all of C (elements outside the matrix must be
 * untouched) against the float64 reference, and that A and B are unchanged.
 */
function check(g: GemmArgs, path: (g: GemmArgs) => void, tol: number): void {
  const f64 = (x: FloatArray) => Float64Array.from(x);
  const abs = (x: FloatArray) => Float64Array.from(x, Math.abs);
  const exact = { ...g, A: f64(g.A), B: f64(g.B), C: f64(g.C) };
  gemmReference(exact);
  const bound = { ...g, A: abs(g.A), B: abs(g.B), C: abs(g.C) };
  gemmReference(bound);
  const [A0, B0] = [g.A.slice(), g.B.slice()];
  const got = { ...g, C: g.C.slice() };
  path(got);
  // (A loop: toEqual on long typed arrays takes seconds.)
  const same = (x: FloatArray, y: FloatArray) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
  expect(same(got.A, A0) && same(got.B, B0)).toBe(true);
  for (let i = 0; i < got.C.length; i++) {
    const err = Math.abs(got.C[i]! - exact.C[i]!);
    if (!(err <= tol * bound.C[i]!)) {
      const { A: _a, B: _b, C: _c, ...dims } = g;
      throw new Error(`C[${i}] = ${got.C[i]}, reference ${exact.C[i]} (|err| ${err}, allowed ${tol * bound.C[i]!}); ${JSON.stringify(dims)}`);
    }
  }
}

const TOL: Record<DT, number> = { float32: 1e-5, float64: 1e-12 };

/** Runs a SIMD path, failing if it declined (Node 20 has wasm SIMD). */
const simd = (f: (g: GemmArgs) => boolean) => (g: GemmArgs) => {
  if (!f(g)) throw new Error('wasm SIMD path unavailable');
};

/**
 * Runs `path` with A, B and C copied into the backend's wasm memory (where tensors live), so
 * the driver packs the operands and updates C in place; C is copied back for the check.
 */
const inWasm = (path: (g: GemmArgs) => void) => (g: GemmArgs) => {
  const heap = wasmHeap()!;
  const move = (x: FloatArray): FloatArray => {
    const v = heap.view(x instanceof Float32Array ? 'float32' : 'float64', x.length, false)!;
    v.set(x);
    expect(heap.addressOf(v)).toBeGreaterThanOrEqual(0);
    return v;
  };
  const w = { ...g, A: move(g.A), B: move(g.B), C: move(g.C) };
  path(w);
  g.C.set(w.C);
};

/** Tiny blockings, so every loop of the drivers (row chunks, column/depth/row blocks) runs more than once. */
const tinyBlockingArb: fc.Arbitrary<Blocking> = fc.record({
  mc: fc.integer({ min: 1, max: 12 }),
  kc: fc.integer({ min: 1, max: 20 }),
  nc: fc.integer({ min: 1, max: 24 }),
  cCap: fc.integer({ min: 0, max: 600 }),
});
const tinyJsBlockingArb: fc.Arbitrary<JsBlocking> = fc.record({
  mc: fc.integer({ min: 1, max: 12 }),
  kc: fc.integer({ min: 1, max: 20 }),
  nc: fc.integer({ min: 1, max: 12 }),
});

/** Other tile shapes the generator supports: odd mr, panel widths that are not a whole v128. */
const OTHER_SHAPES: KernelShape[] = [
  { elem: 'f32', mr: 5, nr: 4 },
  { elem: 'f32', mr: 2, nr: 16 },
  { elem: 'f32', mr: 3, nr: 12 },
  { elem: 'f64', mr: 3, nr: 2 },
  { elem: 'f64', mr: 2, nr: 6 },
];

/** The larger problems: several row blocks (MC 128), two depth blocks (KC 256), odd edges. */
const LARGE: [number, number, number][] = [
  [130, 67, 300],
  [67, 130, 257],
  [129, 9, 513],
  [5, 200, 260],
];

describe('gemm kernel generator', () => {
  it('emits modules that validate, and compiles the default kernels', () => {
    for (const s of [F32_SHAPE, F64_SHAPE, ...OTHER_SHAPES]) expect(wasmApi()!.validate(buildKernelModule(s))).toBe(true);
    expect(simdKernel(F32_SHAPE)).not.toBeNull();
    expect(simdKernel(F64_SHAPE)).not.toBeNull();
  });
});

describe.each(['float32', 'float64'] as const)('gemm %s', (dt) => {
  const tol = TOL[dt];
  const simdPath = dt === 'float32' ? gemmSimdF32 : gemmSimdF64;
  const defaults = dt === 'float32' ? { shape: F32_SHAPE, blk: F32_BLOCKING } : { shape: F64_SHAPE, blk: F64_BLOCKING };

  it('SIMD path matches the reference (sizes 1-70, all layouts)', () => {
    fc.assert(fc.property(caseArb(), (c) => check(materialize(c, dt), simd(simdPath), tol)), runs(15));
  });

  it('SIMD path with tiny blockings matches the reference', () => {
    fc.assert(
      fc.property(caseArb(), tinyBlockingArb, (c, blk) => check(materialize(c, dt), simd((g) => simdPath(g, defaults.shape, blk)), tol)),
      runs(15),
    );
  });

  it('SIMD path with operands and C in wasm memory (packed and updated in place) matches the reference', () => {
    // Tile multiples drawn often, so C is updated in place as well as through the workspace.
    const tiles = fc.oneof(dimArb, fc.integer({ min: 1, max: 9 }).map((k) => 8 * k));
    fc.assert(fc.property(caseArb({ M: tiles, N: tiles, K: dimArb }), (c) => check(materialize(c, dt), inWasm(simd(simdPath)), tol)), runs(15));
    fc.assert(
      fc.property(caseArb({ M: tiles, N: tiles, K: dimArb }), tinyBlockingArb, (c, blk) => check(materialize(c, dt), inWasm(simd((g) => simdPath(g, defaults.shape, blk))), tol)),
      runs(10),
    );
  });

  it('operands read in place unpacked give the same bits as packed ones, for every tile shape and blocking', () => {
    const tiles = fc.oneof(dimArb, fc.integer({ min: 1, max: 9 }).map((k) => 8 * k));
    const shapes = [defaults.shape, ...OTHER_SHAPES.filter((s) => s.elem === defaults.shape.elem)];
    fc.assert(
      fc.property(caseArb({ M: tiles, N: tiles, K: dimArb }), fc.constantFrom(...shapes), fc.option(tinyBlockingArb), (c, shape, blk) => {
        const run = (direct: boolean) => {
          const g = materialize(c, dt);
          const old = setGemmDirect(direct);
          try {
            inWasm(simd((x) => simdPath(x, shape, blk ?? defaults.blk)))(g);
          } finally {
            setGemmDirect(old);
          }
          return Array.from(g.C);
        };
        const [direct, packed] = [run(true), run(false)];
        expect(direct.every((v, i) => Object.is(v, packed[i]))).toBe(true);
      }),
      runs(15),
    );
  });

  it('SIMD kernels of other tile shapes match the reference', () => {
    const shapes = OTHER_SHAPES.filter((s) => s.elem === (dt === 'float32' ? 'f32' : 'f64'));
    fc.assert(
      fc.property(caseArb(), fc.constantFrom(...shapes), tinyBlockingArb, (c, shape, blk) => check(materialize(c, dt), simd((g) => simdPath(g, shape, blk)), tol)),
      runs(6),
    );
  });

  it('packed JS path matches the reference (default and tiny blockings)', () => {
    fc.assert(fc.property(caseArb(), (c) => check(materialize(c, dt), (g) => gemmPackedJs(g), tol)), runs(8));
    fc.assert(fc.property(caseArb(), tinyJsBlockingArb, (c, blk) => check(materialize(c, dt), (g) => gemmPackedJs(g, blk), tol)), runs(8));
  });

  it('gemm (dispatch) matches the reference, including overlapping C rows and K = 0', () => {
    const anyCase = fc.oneof(
      caseArb(),
      caseArb({ M: dimArb, N: dimArb, K: fc.constant(0) }),
      // ldc < N: rows of C overlap, so only the reference's row order defines the result.
      caseArb().map((c) => ({ ...c, cPad: -Math.min(c.N, 1 + (c.seed % c.N)) })),
    );
    fc.assert(fc.property(anyCase, (c) => check(materialize(c, dt), gemm, tol)), runs(8));
  });

  it.each(LARGE)('larger problem %i x %i x %i, every layout and beta', (M, N, K) => {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const beta = transA === transB ? 1 : 0;
        const c: Case = { M, N, K, transA, transB, beta, aOffset: 3, bOffset: 1, cOffset: 2, aPad: 2, bPad: 0, cPad: 3, seed: M * N + K };
        check(materialize(c, dt), gemm, tol);
        check(materialize(c, dt), inWasm(gemm), tol);
        if (transA && transB) check(materialize(c, dt), (g) => gemmPackedJs(g), tol);
      }
    }
  });

  it('beta = 0 ignores what C held (NaN), beta = 1 adds to it', () => {
    const c: Case = { M: 37, N: 21, K: 19, transA: false, transB: true, beta: 0, aOffset: 0, bOffset: 0, cOffset: 0, aPad: 0, bPad: 0, cPad: 0, seed: 7 };
    for (const path of [gemm, simd(simdPath), (g: GemmArgs) => gemmPackedJs(g)]) {
      const g = materialize(c, dt);
      g.C.fill(NaN);
      path(g);
      const out = g.C.subarray(0, 37 * 21);
      expect(out.every(Number.isFinite)).toBe(true);
      const once = out.slice();
      path({ ...g, beta: 1 });
      for (let i = 0; i < once.length; i++) expect(out[i]).toBeCloseTo(2 * once[i]!, dt === 'float32' ? 4 : 10);
    }
  });

  it('a non-finite input spoils exactly the outputs it reaches', () => {
    const c: Case = { M: 23, N: 19, K: 29, transA: false, transB: false, beta: 0, aOffset: 0, bOffset: 0, cOffset: 0, aPad: 0, bPad: 0, cPad: 0, seed: 3 };
    for (const path of [simd(simdPath), (g: GemmArgs) => gemmPackedJs(g)]) {
      const g = materialize(c, dt);
      g.A[5 * 29 + 4] = NaN; // row 5 of C
      g.B[7 * 19 + 11] = Infinity; // column 11 of C (as +-Infinity or NaN)
      path(g);
      for (let i = 0; i < 23; i++) {
        for (let j = 0; j < 19; j++) expect(Number.isFinite(g.C[i * 19 + j]!)).toBe(i !== 5 && j !== 11);
      }
    }
  });
});

describe('gemm without WebAssembly', () => {
  it('falls back to the JS kernel (fresh module instance, WebAssembly hidden)', async () => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', undefined);
    try {
      const fresh = await import('../src/cpu/gemm.js');
      const c: Case = { M: 33, N: 41, K: 29, transA: true, transB: false, beta: 1, aOffset: 1, bOffset: 2, cOffset: 3, aPad: 1, bPad: 2, cPad: 1, seed: 5 };
      for (const dt of ['float32', 'float64'] as const) {
        const g = materialize(c, dt);
        expect(dt === 'float32' ? fresh.gemmSimdF32(g) : fresh.gemmSimdF64(g)).toBe(false);
        check(g, fresh.gemm, TOL[dt]);
      }
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});

describe('gemm wasm memory', () => {
  it('grows for a big problem and stays correct for small ones after it', () => {
    const big: Case = { M: 600, N: 2100, K: 3, transA: false, transB: false, beta: 1, aOffset: 0, bOffset: 0, cOffset: 0, aPad: 0, bPad: 0, cPad: 0, seed: 11 };
    check(materialize(big, 'float32'), gemm, TOL.float32);
    const small: Case = { ...big, M: 20, N: 30, K: 40, seed: 12 };
    check(materialize(small, 'float32'), simd(gemmSimdF32), TOL.float32);
  });
});
