/**
 * Property tests of the elementwise binary ops: broadcasting forward values against scalar
 * references, float64 gradcheck/gradgradcheck with each side in its own layout, gradients of
 * broadcast inputs (shape and sum over broadcast dims), where, comparisons, dtype promotion
 * and bad input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as dc from '../src/index.js';
import { grad, tensor, type Operand, type Tensor } from '../src/index.js';
import {
  broadcastIndex,
  broadcastPairArb,
  checkGradients,
  type Domain,
  expectClose,
  type Input,
  inputArb,
  runs,
  type ShapeOptions,
  shapeArb,
  unravel,
  values,
} from '@dynconv/testing';

type F2 = (a: number, b: number) => number;

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** NumPy broadcasting, written out independently of the library. */
function broadcastShape(...shapes: (readonly number[])[]): number[] {
  const nd = Math.max(0, ...shapes.map((s) => s.length));
  return Array.from({ length: nd }, (_, d) => Math.max(1, ...shapes.map((s) => s[d - (nd - s.length)] ?? 1)));
}

/** The elementwise reference of `f` over the broadcast of `a` and `b`, row-major. */
function broadcastRef(a: Tensor, b: Tensor, f: F2): { shape: number[]; data: number[] } {
  const shape = broadcastShape(a.shape, b.shape);
  const av = a.dataSync();
  const bv = b.dataSync();
  const data = Array.from({ length: numel(shape) }, (_, i) => {
    const idx = unravel(i, shape);
    return f(av[broadcastIndex(idx, a.shape)]!, bv[broadcastIndex(idx, b.shape)]!);
  });
  return { shape, data };
}

/** Two inputs of broadcast-compatible shapes, each in its own generated layout. */
function pairArb(da: Domain, db: Domain, opts: ShapeOptions = {}): fc.Arbitrary<[Input, Input]> {
  return broadcastPairArb(opts).chain(([sa, sb]) => fc.tuple(inputArb(sa, da), inputArb(sb, db)));
}

/** Three broadcast-compatible shapes (condition, a, b for where). */
function tripleArb(opts: ShapeOptions = {}): fc.Arbitrary<[number[], number[], number[]]> {
  return shapeArb(opts).chain((out) => {
    const side = fc
      .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
      .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
    return fc.tuple(side, side, side);
  });
}

/** Smallest |a - b| over the broadcast, to keep maximum/minimum away from ties. */
function minGap(a: Tensor, b: Tensor): number {
  return Math.min(Infinity, ...broadcastRef(a, b, (x, y) => Math.abs(x - y)).data);
}

interface BinaryCase {
  name: string;
  fn: (a: Operand, b: Operand) => Tensor;
  ref: F2;
  da: Domain;
  db: Domain;
  second: boolean;
  /** Needs operands kept apart (maximum/minimum). */
  distinct?: boolean;
}

const CASES: BinaryCase[] = [
  { name: 'add', fn: (a, b) => dc.add(a, b), ref: (x, y) => x + y, da: 'real', db: 'real', second: true },
  { name: 'sub', fn: (a, b) => dc.sub(a, b), ref: (x, y) => x - y, da: 'real', db: 'real', second: true },
  { name: 'mul', fn: dc.mul, ref: (x, y) => x * y, da: 'real', db: 'real', second: true },
  { name: 'div', fn: dc.div, ref: (x, y) => x / y, da: 'real', db: 'nonzero', second: true },
  { name: 'pow', fn: dc.pow, ref: Math.pow, da: 'positive', db: 'real', second: true },
  { name: 'maximum', fn: dc.maximum, ref: (x, y) => (x > y ? x : y), da: 'real', db: 'real', second: true, distinct: true },
  { name: 'minimum', fn: dc.minimum, ref: (x, y) => (x < y ? x : y), da: 'real', db: 'real', second: true, distinct: true },
];

describe.each(CASES)('$name', (c) => {
  it('forward matches the scalar reference over broadcast shapes and layouts', () => {
    fc.assert(
      fc.property(pairArb(c.da, c.db), ([A, B]) => {
        const a = A.view();
        const b = B.view();
        const y = c.fn(a, b);
        const ref = broadcastRef(a, b, c.ref);
        expect(y.shape).toEqual(ref.shape);
        expect(y.dtype).toBe('float64');
        expectClose(y.dataSync(), ref.data, { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it('forward with a JS number on either side', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => inputArb(s, c.da)), fc.double({ min: 0.5, max: 3, noNaN: true }), (inp, k) => {
        const x = inp.view();
        const xs = Array.from(x.dataSync());
        const right = c.fn(x, k);
        expect(right.shape).toEqual(x.shape);
        expect(right.dtype).toBe('float64');
        expectClose(right.dataSync(), xs.map((v) => c.ref(v, k)), { rtol: 0, atol: 0 });
        if (c.name === 'pow') return; // number base: separate test with a 'real' exponent
        expectClose(c.fn(k, x).dataSync(), xs.map((v) => c.ref(k, v)), { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it(`gradcheck${c.second ? ' and gradgradcheck' : ''} (float64), each side broadcast and in its own layout`, () => {
    fc.assert(
      fc.property(pairArb(c.da, c.db), ([A, B]) => {
        if (c.distinct) fc.pre(minGap(A.view(), B.view()) > 1e-3);
        checkGradients((x, y) => c.fn(A.view(x), B.view(y)), [A.leaf, B.leaf], { second: c.second });
      }),
      runs(),
    );
  });

  it('gradcheck with only one side requiring grad', () => {
    fc.assert(
      fc.property(pairArb(c.da, c.db, { maxDims: 3 }), fc.boolean(), ([A, B], left) => {
        if (c.distinct) fc.pre(minGap(A.view(), B.view()) > 1e-3);
        const fixed = (left ? B : A).leaf.detach();
        if (left) checkGradients((x) => c.fn(A.view(x), B.view(fixed)), [A.leaf], { second: c.second });
        else checkGradients((y) => c.fn(A.view(fixed), B.view(y)), [B.leaf], { second: c.second });
      }),
      runs(),
    );
  });

  it('the gradient of a broadcast input has its own shape and sums the full-shape gradient over broadcast dims', () => {
    fc.assert(
      fc.property(broadcastPairArb(), fc.nat(), fc.nat(), fc.nat(), (shapes, sa, sb, sg) => {
        const [shA, shB] = shapes;
        const out = broadcastShape(shA, shB);
        const a = tensor(values(shA, sa, c.da), { dtype: 'float64' }).reshape(shA).requiresGrad_();
        const b = tensor(values(shB, sb, c.db), { dtype: 'float64' }).reshape(shB).requiresGrad_();
        if (c.distinct) fc.pre(minGap(a, b) > 1e-3);
        const g = tensor(values(out, sg), { dtype: 'float64' }).reshape(out);
        const [ga, gb] = grad(c.fn(a, b), [a, b], { gradOutputs: g });
        expect(ga!.shape).toEqual(shA);
        expect(gb!.shape).toEqual(shB);
        // The same op on explicitly materialised full-shape copies, then summed over the broadcast in JS.
        const aFull = a.detach().expand(out).contiguous().requiresGrad_();
        const bFull = b.detach().expand(out).contiguous().requiresGrad_();
        const [gaFull, gbFull] = grad(c.fn(aFull, bFull), [aFull, bFull], { gradOutputs: g });
        const reduce = (full: Tensor, shape: number[]): Float64Array => {
          const acc = new Float64Array(numel(shape));
          const fv = full.dataSync();
          for (let i = 0; i < fv.length; i++) acc[broadcastIndex(unravel(i, out), shape)]! += fv[i]!;
          return acc;
        };
        expectClose(ga!.dataSync(), reduce(gaFull!, shA), { rtol: 1e-12, atol: 1e-12 });
        expectClose(gb!.dataSync(), reduce(gbFull!, shB), { rtol: 1e-12, atol: 1e-12 });
      }),
      runs(),
    );
  });

  it('rejects incompatible shapes, naming the op and both shapes', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    const b = tensor([1, 2, 3, 4], { dtype: 'float64' });
    expect(() => c.fn(a, b)).toThrow(new RegExp(`${c.name}.*\\[2, 3\\].*\\[4\\]`));
    expect(() => c.fn(b, a)).toThrow(new RegExp(`${c.name}.*\\[4\\].*\\[2, 3\\]`));
    fc.assert(
      fc.property(shapeArb({ minDims: 1, maxDims: 3, minSize: 2 }), fc.integer({ min: 0, max: 2 }), (shape, d) => {
        const dim = d % shape.length;
        const other = shape.map((s, i) => (i === dim ? s + 1 : s));
        const fmt = (s: number[]) => `\\[${s.join(', ')}\\]`;
        expect(() => c.fn(dc.zeros(shape), dc.zeros(other))).toThrow(new RegExp(`${c.name}.*${fmt(shape)}.*${fmt(other)}`));
      }),
      runs(),
    );
  });

  it('rejects non-tensor arguments, naming the op', () => {
    const t = tensor([1, 2]);
    expect(() => c.fn('x' as unknown as Tensor, t)).toThrow(new RegExp(`${c.name}.*must be a Tensor.*string`));
    expect(() => c.fn(t, null as unknown as Tensor)).toThrow(new RegExp(`${c.name}.*must be a Tensor.*null`));
    expect(() => c.fn(t, [1, 2] as unknown as Tensor)).toThrow(new RegExp(`${c.name}.*must be a Tensor.*array`));
    expect(() => c.fn(1, 2)).toThrow(new RegExp(`${c.name}.*at least one argument must be a Tensor`));
  });
});

describe('add and sub with alpha', () => {
  const OPS = [
    { name: 'add', fn: dc.add, ref: (x: number, y: number, k: number) => x + k * y },
    { name: 'sub', fn: dc.sub, ref: (x: number, y: number, k: number) => x - k * y },
  ];
  const alphaArb = fc.oneof(fc.constantFrom(0, -1, 2, 0.5), fc.double({ min: -3, max: 3, noNaN: true }));

  it.each(OPS)('$name: forward is a ± alpha * b over broadcast shapes and layouts', ({ fn, ref }) => {
    fc.assert(
      fc.property(pairArb('real', 'real'), alphaArb, ([A, B], k) => {
        const a = A.view();
        const b = B.view();
        const r = broadcastRef(a, b, (x, y) => ref(x, y, k));
        const y = fn(a, b, k);
        expect(y.shape).toEqual(r.shape);
        expectClose(y.dataSync(), r.data, { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it.each(OPS)('$name: gradcheck and gradgradcheck with alpha', ({ fn }) => {
    fc.assert(
      fc.property(pairArb('real', 'real'), alphaArb, ([A, B], k) => {
        checkGradients((x, y) => fn(A.view(x), B.view(y), k), [A.leaf, B.leaf], { second: true });
      }),
      runs(),
    );
  });

  it.each(OPS)('$name: a JS number with alpha', ({ fn, ref }) => {
    fc.assert(
      fc.property(shapeArb({ maxDims: 3 }).chain((s) => inputArb(s)), fc.double({ min: -3, max: 3, noNaN: true }), alphaArb, (inp, n, k) => {
        const x = inp.view();
        const xs = Array.from(x.dataSync());
        expectClose(fn(x, n, k).dataSync(), xs.map((v) => ref(v, n, k)), { rtol: 1e-15, atol: 1e-15 });
        expectClose(fn(n, x, k).dataSync(), xs.map((v) => ref(n, v, k)), { rtol: 1e-15, atol: 1e-15 });
      }),
      runs(),
    );
  });

  it.each(OPS)('$name: alpha is applied in the promoted dtype (float64 with float32)', ({ fn, ref }) => {
    fc.assert(
      // alpha with many significant bits, so rounding it (or alpha * b) to float32 shows
      fc.property(fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 8 }), fc.nat(), fc.integer({ min: 1, max: 10 ** 6 }).map((n) => n / 65537), (bs, seed, k) => {
        const a = tensor(values([bs.length], seed), { dtype: 'float64' });
        const b = tensor(bs, { dtype: 'float32' });
        const y = fn(a, b, k);
        expect(y.dtype).toBe('float64');
        const b32 = Array.from(b.dataSync());
        expectClose(y.dataSync(), Array.from(a.dataSync(), (v, i) => ref(v, b32[i]!, k)), { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it('with upstream ones, the gradient of each input counts its broadcast copies (times ±alpha)', () => {
    fc.assert(
      fc.property(broadcastPairArb(), fc.nat(), fc.nat(), fc.constantFrom(1, 2, -0.5), ([sa, sb], s1, s2, k) => {
        const out = broadcastShape(sa, sb);
        for (const [fn, sign] of [[dc.add, 1], [dc.sub, -1]] as const) {
          const a = tensor(values(sa, s1), { dtype: 'float64' }).reshape(sa).requiresGrad_();
          const b = tensor(values(sb, s2), { dtype: 'float64' }).reshape(sb).requiresGrad_();
          fn(a, b, k).sum().backward();
          expect(a.grad!.shape).toEqual(sa);
          expect(b.grad!.shape).toEqual(sb);
          expect(Array.from(a.grad!.dataSync())).toEqual(new Array(numel(sa)).fill(numel(out) / numel(sa)));
          expect(Array.from(b.grad!.dataSync())).toEqual(new Array(numel(sb)).fill((sign * k * numel(out)) / numel(sb)));
        }
      }),
      runs(),
    );
  });

  it('hand-checked: add(a, b, 2) and sub(a, b, 3), gradients alpha and -alpha', () => {
    const a = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const b = tensor([10, 20], { dtype: 'float64', requiresGrad: true });
    expect(dc.add(a, b, 2).toArray()).toEqual([21, 42]);
    expect(dc.sub(a, b, 3).toArray()).toEqual([-29, -58]);
    expect(a.add(5, 2).toArray()).toEqual([11, 12]);
    const [ga, gb] = grad(dc.sub(a, b, 3).sum(), [a, b]);
    expect(ga!.toArray()).toEqual([1, 1]);
    expect(gb!.toArray()).toEqual([-3, -3]);
  });
});

describe('pow', () => {
  it('number exponent: forward and gradients (positive base)', () => {
    const expArb = fc.oneof(fc.constantFrom(0, 1, 2, 3, -1, 0.5, -0.5, 2.5), fc.double({ min: -3, max: 3, noNaN: true }));
    fc.assert(
      fc.property(shapeArb().chain((s) => inputArb(s, 'positive')), expArb, (inp, p) => {
        const x = inp.view();
        expectClose(dc.pow(x, p).dataSync(), Array.from(x.dataSync(), (v) => Math.pow(v, p)), { rtol: 0, atol: 0 });
        checkGradients((t) => dc.pow(inp.view(t), p), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('integer number exponent of negative bases', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => inputArb(s, 'nonzero')), fc.constantFrom(2, 3, 4, -1, -2, -3), (inp, p) => {
        const x = inp.view();
        expectClose(x.pow(p).dataSync(), Array.from(x.dataSync(), (v) => Math.pow(v, p)), { rtol: 0, atol: 0 });
        checkGradients((t) => inp.view(t).pow(p), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('number base: forward and gradients', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => inputArb(s, 'real')), fc.double({ min: 0.2, max: 4, noNaN: true }), (inp, base) => {
        const x = inp.view();
        const y = dc.pow(base, x);
        expect(y.dtype).toBe('float64');
        expectClose(y.dataSync(), Array.from(x.dataSync(), (v) => Math.pow(base, v)), { rtol: 0, atol: 0 });
        checkGradients((t) => dc.pow(base, inp.view(t)), [inp.leaf], { second: true });
      }),
      runs(),
    );
  });

  it('hand-checked gradients: d/dx x^3 = 3x^2, d/dp 2^p = 2^p ln 2, x^0 has zero gradient even at 0', () => {
    const x = tensor([0, 1.5, -2], { dtype: 'float64', requiresGrad: true });
    expectClose(grad(x.pow(3).sum(), x)[0]!.dataSync(), [0, 6.75, 12]);
    expect(grad(x.pow(0).sum(), x)[0]!.toArray()).toEqual([0, 0, 0]);
    const p = tensor([0, 1, 3], { dtype: 'float64', requiresGrad: true });
    expectClose(grad(dc.pow(2, p).sum(), p)[0]!.dataSync(), [Math.LN2, 2 * Math.LN2, 8 * Math.LN2]);
    // d/db of a^b at a = 0, b >= 0 is 0 by convention (not NaN from 0 * log 0).
    const a0 = tensor([0, 0], { dtype: 'float64' });
    const b = tensor([0, 2], { dtype: 'float64', requiresGrad: true });
    expect(grad(dc.pow(a0, b).sum(), b)[0]!.toArray()).toEqual([0, 0]);
  });
});

describe('maximum and minimum', () => {
  it('split the gradient half and half at ties (as PyTorch)', () => {
    const a = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const b = tensor([3, 2, 1], { dtype: 'float64', requiresGrad: true });
    const [ga, gb] = grad(dc.maximum(a, b).sum(), [a, b]);
    expect(ga!.toArray()).toEqual([0, 0.5, 1]);
    expect(gb!.toArray()).toEqual([1, 0.5, 0]);
    const [ha, hb] = grad(dc.minimum(a, b).sum(), [a, b]);
    expect(ha!.toArray()).toEqual([1, 0.5, 0]);
    expect(hb!.toArray()).toEqual([0, 0.5, 1]);
  });

  it('propagate NaN from either side', () => {
    const a = tensor([NaN, 1, NaN], { dtype: 'float64' });
    const b = tensor([1, NaN, NaN], { dtype: 'float64' });
    expect(Array.from(dc.maximum(a, b).dataSync()).every(Number.isNaN)).toBe(true);
    expect(Array.from(dc.minimum(a, b).dataSync()).every(Number.isNaN)).toBe(true);
  });

  it('b = a + offset (|offset| >= 0.1): maximum picks the larger, gradients go to the winner', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((s) => inputArb(s)),
        fc.oneof(fc.double({ min: 0.1, max: 2, noNaN: true }), fc.double({ min: -2, max: -0.1, noNaN: true })),
        (inp, off) => {
          const fn = (x: Tensor) => {
            const a = inp.view(x);
            return dc.maximum(a, a.add(off)).add(dc.minimum(a.mul(2), a.sub(off)));
          };
          checkGradients(fn, [inp.leaf], { second: true });
          const [g] = grad(fn(inp.leaf).sum(), inp.leaf);
          const [once] = grad(inp.view(inp.leaf).sum(), inp.leaf);
          // d/da [max(a, a + off) + min(2a, a - off)] = 1 + (2 if 2a < a - off else 1), per copy of a.
          const av = inp.leaf.dataSync();
          const cv = once!.dataSync();
          expectClose(g!.dataSync(), Array.from(av, (v, i) => cv[i]! * (1 + (2 * v < v - off ? 2 : 1))));
        },
      ),
      runs(),
    );
  });
});

describe('where', () => {
  it('forward picks a where the condition holds, else b, over broadcast shapes and layouts', () => {
    fc.assert(
      fc.property(
        tripleArb().chain(([sc, sa, sb]) => fc.tuple(inputArb(sc), inputArb(sa), inputArb(sb))),
        ([C, A, B]) => {
          const cond = C.view().gt(0);
          expect(cond.dtype).toBe('bool');
          const a = A.view();
          const b = B.view();
          const y = dc.where(cond, a, b);
          const shape = broadcastShape(cond.shape, a.shape, b.shape);
          expect(y.shape).toEqual(shape);
          const [cv, av, bv] = [cond.dataSync(), a.dataSync(), b.dataSync()];
          const ref = Array.from({ length: numel(shape) }, (_, i) => {
            const idx = unravel(i, shape);
            return cv[broadcastIndex(idx, cond.shape)] ? av[broadcastIndex(idx, a.shape)]! : bv[broadcastIndex(idx, b.shape)]!;
          });
          expectClose(y.dataSync(), ref, { rtol: 0, atol: 0 });
          expect(a.where(cond, b).dataSync()).toEqual(y.dataSync());
        },
      ),
      runs(),
    );
  });

  it('gradcheck and gradgradcheck for both branches; the condition gets no gradient', () => {
    fc.assert(
      fc.property(
        tripleArb().chain(([sc, sa, sb]) => fc.tuple(inputArb(sc), inputArb(sa), inputArb(sb))),
        ([C, A, B]) => {
          const cond = C.view(C.leaf.detach()).gt(0);
          checkGradients((x, y) => dc.where(cond, A.view(x), B.view(y)), [A.leaf, B.leaf], { second: true });
          // A float condition that requires grad: non-zero means true, and it gets no gradient.
          const condF = C.view();
          const y = dc.where(condF, A.view(), B.view());
          const [gc, ga] = grad(y.sum(), [C.leaf, A.leaf], { allowUnused: true });
          expect(gc).toBeNull();
          expect(ga!.shape).toEqual(A.leaf.shape);
        },
      ),
      runs(),
    );
  });

  it('routes the gradient by the mask: a gets g where true, b where false', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => fc.tuple(inputArb(s), inputArb(s), inputArb(s))), fc.nat(), ([C, A, B], seed) => {
        const cond = C.view().lt(0.3);
        const a = A.view().contiguous();
        const b = B.view().contiguous();
        const g = tensor(values(cond.shape, seed), { dtype: 'float64' }).reshape(cond.shape);
        const y = dc.where(cond, a, b);
        expect(cond.requiresGrad).toBe(false);
        const [ga, gb] = grad(y, [a, b], { gradOutputs: g });
        const cv = cond.dataSync();
        const gv = g.dataSync();
        expectClose(ga!.dataSync(), Array.from(gv, (v, i) => (cv[i] ? v : 0)), { rtol: 0, atol: 0 });
        expectClose(gb!.dataSync(), Array.from(gv, (v, i) => (cv[i] ? 0 : v)), { rtol: 0, atol: 0 });
      }),
      runs(),
    );
  });

  it('takes numbers for either branch', () => {
    const x = tensor([-1, 2, -3, 4], { dtype: 'float64', requiresGrad: true });
    const y = dc.where(x.gt(0), x, 0);
    expect(y.toArray()).toEqual([0, 2, 0, 4]);
    expect(dc.where(x.gt(0), 7, x).toArray()).toEqual([-1, 7, -3, 7]);
    expect(grad(y.sum(), x)[0]!.toArray()).toEqual([0, 1, 0, 1]);
    expect(y.dtype).toBe('float64');
  });

  it('rejects a non-tensor condition and incompatible shapes, naming where', () => {
    const a = tensor([1, 2]);
    expect(() => dc.where(true as unknown as Tensor, a, a)).toThrow(/where.*condition.*must be a Tensor/);
    expect(() => dc.where(tensor([1, 0, 1]).gt(0), a, a)).toThrow(/where.*\[3\].*\[2\]/);
    expect(() => dc.where(a.gt(0), a, tensor([1, 2, 3]))).toThrow(/where.*\[2\].*\[3\]/);
  });
});

describe('comparisons', () => {
  const CMP: { name: string; fn: (a: Operand, b: Operand) => Tensor; method: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; ref: (a: number, b: number) => boolean }[] = [
    { name: 'eq', fn: dc.eq, method: 'eq', ref: (a, b) => a === b },
    { name: 'ne', fn: dc.ne, method: 'ne', ref: (a, b) => a !== b },
    { name: 'gt', fn: dc.gt, method: 'gt', ref: (a, b) => a > b },
    { name: 'ge', fn: dc.ge, method: 'ge', ref: (a, b) => a >= b },
    { name: 'lt', fn: dc.lt, method: 'lt', ref: (a, b) => a < b },
    { name: 'le', fn: dc.le, method: 'le', ref: (a, b) => a <= b },
  ];
  /** Small integers (plenty of ties), halves, and NaN. */
  const valueArb = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -2, max: 2 }) }, fc.constant(0.5), fc.constant(NaN));

  /** A float64 view in a generated layout holding values drawn from `valueArb`. */
  const laidOut = (shape: number[]): fc.Arbitrary<Tensor> =>
    inputArb(shape).chain((inp) =>
      fc.array(valueArb, { minLength: inp.leaf.numel(), maxLength: inp.leaf.numel() }).map((vs) => {
        const leaf = tensor(Float64Array.from(vs), { dtype: 'float64' }).reshape(inp.leaf.shape).requiresGrad_();
        return inp.view(leaf);
      }),
    );

  it.each(CMP)('$name: bool result matching the JS comparison over broadcast shapes and layouts; not differentiable', ({ fn, method, ref }) => {
    fc.assert(
      fc.property(broadcastPairArb().chain(([sa, sb]) => fc.tuple(laidOut(sa), laidOut(sb))), ([a, b]) => {
        const y = fn(a, b);
        const r = broadcastRef(a, b, (x, z) => (ref(x, z) ? 1 : 0));
        expect(y.dtype).toBe('bool');
        expect(y.shape).toEqual(r.shape);
        expect(y.requiresGrad).toBe(false);
        expect(y.gradFn).toBeNull();
        expect(Array.from(y.dataSync())).toEqual(r.data);
        expect(Array.from(a[method](b).dataSync())).toEqual(r.data);
        // toArray gives booleans
        const flat = [y.toArray()].flat(Infinity as 1) as unknown[];
        expect(flat.every((v) => typeof v === 'boolean')).toBe(true);
      }),
      runs(),
    );
  });

  it.each(CMP)('$name: with a JS number', ({ fn, ref }) => {
    fc.assert(
      fc.property(shapeArb().chain(laidOut), fc.constantFrom(-1, 0, 0.5, 1), (a, k) => {
        const av = Array.from(a.dataSync());
        expect(Array.from(fn(a, k).dataSync())).toEqual(av.map((v) => (ref(v, k) ? 1 : 0)));
        expect(Array.from(fn(k, a).dataSync())).toEqual(av.map((v) => (ref(k, v) ? 1 : 0)));
      }),
      runs(),
    );
  });

  it.each(CMP)('$name: rejects incompatible shapes and non-tensors, naming the op', ({ name, fn }) => {
    expect(() => fn(dc.zeros([2, 3]), dc.zeros([4]))).toThrow(new RegExp(`${name}.*\\[2, 3\\].*\\[4\\]`));
    expect(() => fn({} as unknown as Tensor, dc.zeros([4]))).toThrow(new RegExp(`${name}.*must be a Tensor`));
  });

  it('compare in the promoted dtype; a number takes the tensor dtype', () => {
    const f32 = tensor([0.1]);
    const f64 = tensor([0.1], { dtype: 'float64' });
    expect(dc.eq(f32, f64).toArray()).toEqual([false]); // fround(0.1) != 0.1 in float64
    expect(dc.eq(f32, 0.1).toArray()).toEqual([true]); // 0.1 becomes float32 beside a float32 tensor
    expect(dc.eq(f64, 0.1).toArray()).toEqual([true]);
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(dc.lt(i, 1.5).toArray()).toEqual([true, false]); // 1.5 is not truncated to 1
    expect(dc.eq(i, tensor([1, 2.5])).toArray()).toEqual([true, false]);
  });

  it('the mask is usable as a 0/1 factor', () => {
    const x = tensor([-1, 0, 2], { dtype: 'float64', requiresGrad: true });
    const m = x.gt(0);
    const y = x.mul(m);
    expect(y.dtype).toBe('float64');
    expect(y.toArray()).toEqual([-0, 0, 2]);
    expect(grad(y.sum(), x)[0]!.toArray()).toEqual([0, 0, 1]);
  });
});

describe('dtype promotion', () => {
  const ARITH: { name: string; fn: (a: Operand, b: Operand) => Tensor; ref: F2 }[] = [
    { name: 'add', fn: (a, b) => dc.add(a, b), ref: (x, y) => x + y },
    { name: 'sub', fn: (a, b) => dc.sub(a, b), ref: (x, y) => x - y },
    { name: 'mul', fn: dc.mul, ref: (x, y) => x * y },
    { name: 'div', fn: dc.div, ref: (x, y) => x / y },
    { name: 'maximum', fn: dc.maximum, ref: (x, y) => Math.max(x, y) },
    { name: 'minimum', fn: dc.minimum, ref: (x, y) => Math.min(x, y) },
  ];

  it.each(ARITH)('$name: float32 with float64 computes in float64; each gradient comes back in its own dtype', ({ fn, ref }) => {
    fc.assert(
      fc.property(broadcastPairArb({ maxDims: 3 }), fc.nat(), fc.nat(), fc.boolean(), ([sa, sb], s1, s2, swap) => {
        const a = tensor(Float32Array.from(values(sa, s1, 'nonzero')), { dtype: 'float32' }).reshape(sa).requiresGrad_();
        const b = tensor(values(sb, s2, 'nonzero'), { dtype: 'float64' }).reshape(sb).requiresGrad_();
        const [x, z] = swap ? [b, a] : [a, b];
        const y = fn(x, z);
        expect(y.dtype).toBe('float64');
        expectClose(y.dataSync(), broadcastRef(x, z, ref).data, { rtol: 0, atol: 0 });
        const [gx, gz] = grad(y.sum(), [x, z]);
        expect(gx!.dtype).toBe(x.dtype);
        expect(gz!.dtype).toBe(z.dtype);
        expect(gx!.shape).toEqual(x.shape);
        expect(gz!.shape).toEqual(z.shape);
      }),
      runs(),
    );
  });

  it('int32 / int32 is true division in float32', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -50, max: 50 }).filter((v) => v !== 0)), { minLength: 1, maxLength: 10 }),
        (pairs) => {
          const a = tensor(Int32Array.from(pairs.map((p) => p[0])));
          const b = tensor(Int32Array.from(pairs.map((p) => p[1])));
          const y = dc.div(a, b);
          expect(y.dtype).toBe('float32');
          expect(Array.from(y.dataSync())).toEqual(pairs.map(([p, q]) => Math.fround(p / q)));
          expect(Array.from(a.div(2).dataSync())).toEqual(pairs.map(([p]) => Math.fround(p / 2)));
        },
      ),
      runs(),
    );
  });

  it('integer arithmetic stays int32; bool arithmetic becomes int32; int with float becomes float', () => {
    const i = tensor([7, -3], { dtype: 'int32' });
    const j = tensor([2, 5], { dtype: 'int32' });
    expect(dc.add(i, j).dtype).toBe('int32');
    expect(dc.add(i, j).toArray()).toEqual([9, 2]);
    expect(dc.mul(i, j).toArray()).toEqual([14, -15]);
    expect(dc.sub(i, j).toArray()).toEqual([5, -8]);
    expect(dc.div(i, j).toArray()).toEqual([3.5, -0.6000000238418579]);
    const t = tensor([true, false, true], { dtype: 'bool' });
    expect(dc.add(t, t).dtype).toBe('int32');
    expect(dc.add(t, t).toArray()).toEqual([2, 0, 2]);
    expect(dc.mul(i, tensor([0.5, 0.25])).dtype).toBe('float32');
    expect(dc.mul(t, tensor([1.5, 2, 3], { dtype: 'float64' })).dtype).toBe('float64');
    expect(dc.maximum(i, j).dtype).toBe('int32');
  });

  it('a JS number takes the tensor dtype (float32 arithmetic stays float32, rounded as float32 math)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 10 }),
        fc.double({ min: -10, max: 10, noNaN: true }).filter((k) => Math.abs(k) > 1e-3),
        (xs, k) => {
          const x = tensor(Float32Array.from(xs));
          const k32 = Math.fround(k);
          const f = Math.fround;
          for (const [op, ref] of [
            [dc.add, (v: number) => f(f(v) + k32)],
            [dc.sub, (v: number) => f(f(v) - k32)],
            [dc.mul, (v: number) => f(f(v) * k32)],
            [dc.div, (v: number) => f(f(v) / k32)],
          ] as const) {
            const y = op(x, k);
            expect(y.dtype).toBe('float32');
            expect(Array.from(y.dataSync())).toEqual(xs.map(ref));
          }
          const x64 = tensor(Float64Array.from(xs));
          expect(Array.from(dc.mul(x64, k).dataSync())).toEqual(xs.map((v) => v * k)); // no float32 rounding of k
        },
      ),
      runs(),
    );
  });

  it('numbers beside integer tensors: integral numbers stay int32, fractions give float32', () => {
    const i = tensor([1, 2, 3], { dtype: 'int32' });
    expect(i.add(2).dtype).toBe('int32');
    expect(i.add(2).toArray()).toEqual([3, 4, 5]);
    expect(i.mul(0.5).dtype).toBe('float32');
    expect(i.mul(0.5).toArray()).toEqual([0.5, 1, 1.5]);
    expect(i.add(0.5).toArray()).toEqual([1.5, 2.5, 3.5]);
    expect(tensor([true, false], { dtype: 'bool' }).add(1).dtype).toBe('int32');
  });
});
