/**
 * Exercises of docs/course/01-tensors-are-views.md, with their solutions. Each solution is a
 * small function written without dynconv; the tests check it against dynconv's own views on
 * random shapes, permutations and slices (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arange, broadcastShapes, contiguousStrides, tensor, type NestedArray } from '@dynconv/core';

const RUNS = { numRuns: 60 };

/** A shape of 1-4 dims, each of size 1-4. */
const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });

/** Every multi-index of `shape`, row-major. */
function indices(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of shape) out = out.flatMap((idx) => Array.from({ length: d }, (_, i) => [...idx, i]));
  return out;
}

/** The element of a nested array at a multi-index. */
function at(nested: NestedArray, idx: readonly number[]): number {
  return idx.reduce<NestedArray>((a, i) => (a as NestedArray[])[i]!, nested) as number;
}

// ---- Exercise 1. Read through the formula ----------------------------------------------
// Write elementAt(data, strides, offset, idx): the element at multi-index idx of a view
// over the flat array data. Check it against toArray() of a transposed, sliced view.

/** Solution: position = offset + sum of idx[d] * strides[d]. */
export function elementAt(data: ArrayLike<number>, strides: readonly number[], offset: number, idx: readonly number[]): number {
  let pos = offset;
  for (let d = 0; d < idx.length; d++) pos += idx[d]! * strides[d]!;
  return data[pos]!;
}

describe('exercise 1: read through the formula', () => {
  it('reads x[2, 1] of arange(12).reshape([3, 4]) at position 9', () => {
    const x = arange(12).reshape([3, 4]);
    expect(elementAt(x.dataSync(), x.strides, x.offset, [2, 1])).toBe(9);
    const t = x.t();
    expect(elementAt(x.dataSync(), t.strides, t.offset, [1, 2])).toBe(9);
  });

  it('agrees with toArray() for permuted and sliced views', () => {
    const caseArb = shapeArb.chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        perm: fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length, maxLength: shape.length }),
        dim: fc.integer({ min: 0, max: shape.length - 1 }),
        start: fc.integer({ min: 0, max: 3 }),
        step: fc.integer({ min: 1, max: 3 }),
      }),
    );
    fc.assert(
      fc.property(caseArb, ({ shape, perm, dim, start, step }) => {
        const base = arange(shape.reduce((a, b) => a * b, 1)).reshape(shape);
        const data = base.dataSync(); // the whole storage: base is contiguous at offset 0
        const v = base.permute(perm).slice(dim, start, undefined, step);
        const nested = v.toArray();
        for (const idx of indices(v.shape)) expect(elementAt(data, v.strides, v.offset, idx)).toBe(at(nested, idx));
      }),
      RUNS,
    );
  });
});

// ---- Exercise 2. Slice by hand ------------------------------------------------------------
// Write sliceView(view, dim, start, end, step) returning the new { shape, strides, offset }
// without calling dynconv; negative start/end count from the end and both clamp to the dim,
// as in Python. Compare with t.slice(...).

interface ViewTriple {
  shape: number[];
  strides: number[];
  offset: number;
}

/** Solution: move the offset to the first element kept, multiply the stride by the step. */
export function sliceView(v: ViewTriple, dim: number, start: number, end: number, step: number): ViewTriple {
  const size = v.shape[dim]!;
  const clamp = (i: number) => Math.min(size, Math.max(0, i < 0 ? i + size : i));
  const s = clamp(start);
  const e = Math.max(s, clamp(end));
  const shape = [...v.shape];
  const strides = [...v.strides];
  shape[dim] = Math.ceil((e - s) / step);
  strides[dim] = v.strides[dim]! * step;
  return { shape, strides, offset: v.offset + s * v.strides[dim]! };
}

describe('exercise 2: slice by hand', () => {
  it('columns 1 and 3 of a 3 x 4 matrix: shape [3, 2], strides [4, 2], offset 1', () => {
    expect(sliceView({ shape: [3, 4], strides: [4, 1], offset: 0 }, 1, 1, 4, 2)).toEqual({ shape: [3, 2], strides: [4, 2], offset: 1 });
  });

  it('matches slice() on random views, including negative and out-of-range bounds', () => {
    const caseArb = shapeArb.chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        transpose: fc.boolean(),
        dim: fc.integer({ min: 0, max: shape.length - 1 }),
        start: fc.integer({ min: -6, max: 6 }),
        end: fc.integer({ min: -6, max: 8 }),
        step: fc.integer({ min: 1, max: 3 }),
      }),
    );
    fc.assert(
      fc.property(caseArb, ({ shape, transpose, dim, start, end, step }) => {
        let x = arange(shape.reduce((a, b) => a * b, 1)).reshape(shape);
        if (transpose && x.ndim > 1) x = x.transpose(0, x.ndim - 1);
        const mine = sliceView({ shape: x.shape, strides: x.strides, offset: x.offset }, dim, start, end, step);
        const theirs = x.slice(dim, start, end, step);
        expect(mine).toEqual({ shape: theirs.shape, strides: theirs.strides, offset: theirs.offset });
      }),
      RUNS,
    );
  });
});

// ---- Exercise 3. Broadcast by hand -----------------------------------------------------------
// Write broadcast(a, b), the broadcast shape of two shapes (throwing when they clash), and
// expandStrides(shape, strides, target), the strides expand() gives a view. Compare with
// broadcastShapes and t.expand(target).strides.

/** Solution: align from the right; equal sizes stay, a 1 stretches, anything else clashes. */
export function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1; // missing leading dims count as 1
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`cannot broadcast ${da} with ${db}`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Solution: a kept dim keeps its stride; a stretched or new leading dim gets stride 0. */
export function expandStrides(shape: readonly number[], strides: readonly number[], target: readonly number[]): number[] {
  const lead = target.length - shape.length;
  return target.map((d, i) => (i >= lead && shape[i - lead] === d ? strides[i - lead]! : 0));
}

/** Two shapes that broadcast to `out`: each drops some leading dims and sets some dims to 1. */
const compatibleArb = shapeArb.chain((out) => {
  const derived = fc
    .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
    .map(([drop, ones]) => out.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
  return fc.tuple(fc.constant(out), derived, derived);
});

describe('exercise 3: broadcast by hand', () => {
  it('[3, 1] and [4] give [3, 4]; [3] and [4] clash', () => {
    expect(broadcast([3, 1], [4])).toEqual([3, 4]);
    expect(() => broadcast([3], [4])).toThrow();
    expect(expandStrides([3, 1], [1, 1], [3, 4])).toEqual([1, 0]);
    expect(expandStrides([4], [1], [3, 4])).toEqual([0, 1]);
  });

  it('agrees with broadcastShapes on compatible shapes', () => {
    fc.assert(
      fc.property(compatibleArb, ([, a, b]) => {
        expect(broadcast(a, b)).toEqual(broadcastShapes('add', a, b));
      }),
      RUNS,
    );
  });

  it('throws exactly when broadcastShapes does', () => {
    fc.assert(
      fc.property(shapeArb, shapeArb, (a, b) => {
        let expected: number[] | null = null;
        try {
          expected = broadcastShapes('add', a, b);
        } catch {
          expected = null;
        }
        if (expected === null) expect(() => broadcast(a, b)).toThrow();
        else expect(broadcast(a, b)).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('gives the strides expand() gives, also on a transposed view', () => {
    fc.assert(
      fc.property(compatibleArb, fc.boolean(), ([out, a], reversed) => {
        const n = a.reduce((p, q) => p * q, 1);
        // Shape a with row-major strides, or with the strides of a reversed layout (a permuted view).
        const x = reversed ? arange(n).reshape([...a].reverse()).permute(a.map((_, i) => a.length - 1 - i)) : arange(n).reshape(a);
        expect(x.shape).toEqual(a);
        if (!reversed) expect(x.strides).toEqual(contiguousStrides(a));
        expect(expandStrides(x.shape, x.strides, out)).toEqual(x.expand(out).strides);
      }),
      RUNS,
    );
  });
});

// ---- Exercise 4. The gradient of a broadcast -------------------------------------------------
// a has shape [3, 1], b has shape [3, 4]. Predict a.grad after a.mul(b).sum().backward().

/** Solution: d(a * b)/da = b, and expand's backward sums it over the stretched dim 1. */
export function predictedGrad(b: number[][]): number[][] {
  return b.map((row) => [row.reduce((s, v) => s + v, 0)]);
}

describe('exercise 4: the gradient of a broadcast', () => {
  it('is the row sums of b', () => {
    const b = [
      [1, 2, 3, 4],
      [0, 0, 0, 1],
      [-1, 1, -1, 1],
    ];
    const a = tensor([[5], [6], [7]], { requiresGrad: true });
    a.mul(tensor(b)).sum().backward();
    expect(a.grad!.toArray()).toEqual(predictedGrad(b));
    expect(predictedGrad(b)).toEqual([[10], [1], [0]]);
  });

  it('holds for random small integer b', () => {
    const rowArb = fc.array(fc.integer({ min: -9, max: 9 }), { minLength: 4, maxLength: 4 });
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 3, maxLength: 3 }), (b) => {
        const a = tensor([[1], [2], [3]], { requiresGrad: true });
        a.mul(tensor(b)).sum().backward();
        expect(a.grad!.toArray()).toEqual(predictedGrad(b));
      }),
      RUNS,
    );
  });
});
