/**
 * Exercises of docs/course/04-convolution.md, with their solutions: im2col written with views,
 * the output-size formula, the adjoint identity that ties conv2d to its two gradients, and the
 * chapter's toy GEMM extended to edge tiles. Checked against dynconv on random geometries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeConv2dInfo, conv2d, convTranspose2d, Generator, matmul, pad, randn, stack, tensor, type Tensor } from '@dynconv/core';

const RUNS = { numRuns: 40 };

/** Max |a - b| over two tensors of one shape. */
function maxDiff(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

interface Geometry {
  C: number; H: number; W: number; K: number; kh: number; kw: number;
  stride: number; padding: number; dilation: number; seed: number;
}

/** Random small convolutions whose output is at least 1 x 1. */
const geometryArb: fc.Arbitrary<Geometry> = fc
  .record({
    C: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 7 }),
    W: fc.integer({ min: 1, max: 7 }),
    K: fc.integer({ min: 1, max: 3 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    padding: fc.integer({ min: 0, max: 2 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
  })
  .filter((g) => g.H + 2 * g.padding >= g.dilation * (g.kh - 1) + 1 && g.W + 2 * g.padding >= g.dilation * (g.kw - 1) + 1);

// ---- Exercise 2 first (exercise 1 uses it). Output size -----------------------------------
// Write outSize(H, k, stride, pad, dilation); check it against computeConv2dInfo.

/** Solution: window positions whose dilated extent d*(k-1)+1 fits in the padded input. */
export function outSize(size: number, k: number, stride: number, pad: number, dilation: number): number {
  return Math.floor((size + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;
}

describe('exercise 2: output size', () => {
  it('3 x 3 input, 2 x 2 kernel: 2 x 2; with padding 1 and stride 2: also 2 x 2', () => {
    expect(outSize(3, 2, 1, 0, 1)).toBe(2);
    expect(outSize(3, 2, 2, 1, 1)).toBe(2);
    expect(outSize(32, 3, 2, 1, 1)).toBe(16);
  });

  it('matches computeConv2dInfo', () => {
    fc.assert(
      fc.property(geometryArb, (g) => {
        const info = computeConv2dInfo([1, g.C, g.H, g.W], [g.K, g.C, g.kh, g.kw], { stride: g.stride, padding: g.padding, dilation: g.dilation });
        expect(info.outShape).toEqual([1, g.K, outSize(g.H, g.kh, g.stride, g.padding, g.dilation), outSize(g.W, g.kw, g.stride, g.padding, g.dilation)]);
      }),
      RUNS,
    );
  });
});

// ---- Exercise 1. im2col with views ----------------------------------------------------------
// Write im2colViews(x, kh, kw, opts) for an image [C, H, W] with pad, slice, reshape and stack;
// check that w.reshape([K, -1]).matmul(cols) equals conv2d.

/**
 * Solution: row (c, i, j) is channel c of the padded image, shifted by tap (i, j) and read
 * every `stride` pixels: two strided slices, i.e. a view. Rows in (c, i, j) order match the
 * flattened weight [K, C * kh * kw].
 */
export function im2colViews(x: Tensor, kh: number, kw: number, opts: { stride: number; padding: number; dilation: number }): Tensor {
  const { stride: s, padding: p, dilation: d } = opts;
  const [C, H, W] = x.shape as [number, number, number];
  const Ho = outSize(H, kh, s, p, d);
  const Wo = outSize(W, kw, s, p, d);
  const xp = p > 0 ? pad(x, [p, p, p, p]) : x; // zeros around the last two dims
  const rows: Tensor[] = [];
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const shifted = xp
          .select(0, c)
          .slice(0, i * d, i * d + (Ho - 1) * s + 1, s)
          .slice(1, j * d, j * d + (Wo - 1) * s + 1, s);
        rows.push(shifted.reshape([Ho * Wo]));
      }
    }
  }
  return stack(rows);
}

describe('exercise 1: im2col with views', () => {
  it('gives the chapter\'s 4 x 4 column matrix', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9]).reshape([1, 3, 3]);
    const cols = im2colViews(x, 2, 2, { stride: 1, padding: 0, dilation: 1 });
    expect(cols.toArray()).toEqual([
      [1, 2, 4, 5],
      [2, 3, 5, 6],
      [4, 5, 7, 8],
      [5, 6, 8, 9],
    ]);
  });

  it('w . cols equals conv2d on random geometries', () => {
    fc.assert(
      fc.property(geometryArb, (g) => {
        const gen = new Generator(g.seed);
        const x = randn([g.C, g.H, g.W], { dtype: 'float64', generator: gen });
        const w = randn([g.K, g.C, g.kh, g.kw], { dtype: 'float64', generator: gen });
        const opts = { stride: g.stride, padding: g.padding, dilation: g.dilation };
        const y = conv2d(x, w, null, opts); // [K, Ho, Wo] for an unbatched input
        const viaCols = matmul(w.reshape([g.K, -1]), im2colViews(x, g.kh, g.kw, opts)).reshape(y.shape);
        expect(maxDiff(viaCols, y)).toBeLessThan(1e-12);
      }),
      RUNS,
    );
  });
});

// ---- Exercise 3. The adjoint identity --------------------------------------------------------
// sum(conv2d(x, w) * dy) = sum(x * convTranspose2d(dy, w)) = sum(w * dw), dw = w.grad after
// conv2d(x, w).mul(dy).sum().backward().

/** Solution: the three inner products, which must agree. */
export function adjointSums(x: Tensor, w: Tensor, dy: Tensor, opts: { stride: number; padding: number; dilation: number }): [number, number, number] {
  const wl = w.detach().requiresGrad_();
  const y = conv2d(x, wl, null, opts);
  const forward = y.mul(dy).sum();
  forward.backward();
  // convTranspose2d(dy, w) has x's size only when no input row or column was left unread; pass
  // outputPadding to make up the rows a stride skipped at the end.
  const [, , H, W] = x.shape as [number, number, number, number];
  const [, , Ho, Wo] = y.shape as [number, number, number, number];
  const [kh, kw] = [w.shape[2]!, w.shape[3]!];
  const span = (o: number, k: number) => (o - 1) * opts.stride - 2 * opts.padding + opts.dilation * (k - 1) + 1;
  const outputPadding: [number, number] = [H - span(Ho, kh), W - span(Wo, kw)];
  const dx = convTranspose2d(dy, w, null, { ...opts, outputPadding });
  return [forward.item(), x.mul(dx).sum().item(), w.mul(wl.grad!).sum().item()];
}

describe('exercise 3: the adjoint identity', () => {
  it('holds on random geometries', () => {
    fc.assert(
      fc.property(
        geometryArb.filter((g) => {
          // outputPadding must be smaller than the stride (or dilation): true unless many rows go unread.
          const left = (n: number, k: number) => n + 2 * g.padding - (g.dilation * (k - 1) + 1) - (outSize(n, k, g.stride, g.padding, g.dilation) - 1) * g.stride;
          const m = Math.max(g.stride, g.dilation);
          return left(g.H, g.kh) < m && left(g.W, g.kw) < m;
        }),
        (g) => {
          const gen = new Generator(g.seed);
          const opts = { stride: g.stride, padding: g.padding, dilation: g.dilation };
          const x = randn([2, g.C, g.H, g.W], { dtype: 'float64', generator: gen });
          const w = randn([g.K, g.C, g.kh, g.kw], { dtype: 'float64', generator: gen });
          const Ho = outSize(g.H, g.kh, g.stride, g.padding, g.dilation);
          const Wo = outSize(g.W, g.kw, g.stride, g.padding, g.dilation);
          const dy = randn([2, g.K, Ho, Wo], { dtype: 'float64', generator: gen });
          const [a, b, c] = adjointSums(x, w, dy, opts);
          expect(Math.abs(a - b)).toBeLessThan(1e-9 * (1 + Math.abs(a)));
          expect(Math.abs(a - c)).toBeLessThan(1e-9 * (1 + Math.abs(a)));
        },
      ),
      RUNS,
    );
  });

  it('the chapter\'s example: dy = ones, sum(y) = 228 three ways', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], { dtype: 'float64' }).reshape([1, 1, 3, 3]);
    const w = tensor([[[[1, 2], [3, 4]]]], { dtype: 'float64' });
    const dy = tensor([[[[1, 1], [1, 1]]]], { dtype: 'float64' });
    expect(adjointSums(x, w, dy, { stride: 1, padding: 0, dilation: 1 })).toEqual([228, 228, 228]);
  });
});

// ---- Exercise 4. Edge tiles ----------------------------------------------------------------
// Extend the chapter's toy GEMM to any M and N: zero-pad the last panels, as packPanels does,
// and copy back only the rows and columns that exist.

const MR = 4;
const NR = 4;

/** Solution: panels of w rows (k-major), the last one padded with zeros to w rows. */
function packPadded(get: (row: number, k: number) => number, rows: number, depth: number, w: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < rows; p += w) for (let k = 0; k < depth; k++) for (let r = 0; r < w; r++) out.push(p + r < rows ? get(p + r, k) : 0);
  return out;
}

/** Solution: the toy GEMM of the chapter, with padded panels and a clipped write-back. */
export function gemmAnySize(A: number[], B: number[], M: number, K: number, N: number): number[] {
  const Ap = packPadded((i, k) => A[i * K + k]!, M, K, MR);
  const Bp = packPadded((j, k) => B[k * N + j]!, N, K, NR);
  const C = new Array<number>(M * N).fill(0);
  for (let q = 0; q < N; q += NR) {
    for (let p = 0; p < M; p += MR) {
      const acc = new Array<number>(MR * NR).fill(0);
      let a = p * K;
      let b = q * K;
      for (let k = 0; k < K; k++, a += MR, b += NR) {
        for (let r = 0; r < MR; r++) for (let c = 0; c < NR; c++) acc[r * NR + c]! += Ap[a + r]! * Bp[b + c]!;
      }
      // Padded rows and columns were computed on zeros; only the real ones are written.
      for (let r = 0; r < Math.min(MR, M - p); r++) for (let c = 0; c < Math.min(NR, N - q); c++) C[(p + r) * N + q + c] = acc[r * NR + c]!;
    }
  }
  return C;
}

describe('exercise 4: edge tiles', () => {
  it('matches matmul on random sizes (small integers, so both are exact)', () => {
    const dims = fc.record({ M: fc.integer({ min: 1, max: 11 }), K: fc.integer({ min: 1, max: 9 }), N: fc.integer({ min: 1, max: 11 }) });
    const caseArb = dims.chain(({ M, K, N }) =>
      fc.record({
        M: fc.constant(M), K: fc.constant(K), N: fc.constant(N),
        A: fc.array(fc.integer({ min: -5, max: 5 }), { minLength: M * K, maxLength: M * K }),
        B: fc.array(fc.integer({ min: -5, max: 5 }), { minLength: K * N, maxLength: K * N }),
      }),
    );
    fc.assert(
      fc.property(caseArb, ({ M, K, N, A, B }) => {
        const expected = matmul(tensor(A).reshape([M, K]), tensor(B).reshape([K, N])).flatten().toArray();
        expect(gemmAnySize(A, B, M, K, N)).toEqual(expected);
      }),
      RUNS,
    );
  });
});
