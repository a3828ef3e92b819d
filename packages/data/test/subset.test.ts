import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { limitDataset, parseLimit, subsetIndices } from '../src/index.js';
import { runs } from '@dynconv/testing';
import { indexDataset } from './helpers.js';

describe('subsets', () => {
  it('keep the first N, or N distinct sorted random indices that depend only on the seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 250 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (length, limit, seed) => {
        const n = Math.min(length, limit);
        expect(Array.from(subsetIndices(length, limit))).toEqual(Array.from({ length: n }, (_, i) => i));
        const r = Array.from(subsetIndices(length, limit, { seed }));
        expect(r.length).toBe(n);
        expect(new Set(r).size).toBe(n);
        expect(r.every((i) => i >= 0 && i < length)).toBe(true);
        expect(r).toEqual([...r].sort((a, b) => a - b));
        expect(Array.from(subsetIndices(length, limit, { seed }))).toEqual(r);
      }),
      runs(4),
    );
  });

  it('a random subset differs between seeds and is not just the first N', () => {
    const a = Array.from(subsetIndices(1000, 10, { seed: 1 }));
    expect(a).not.toEqual(Array.from(subsetIndices(1000, 10, { seed: 2 })));
    expect(a).not.toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(Math.max(...a)).toBeGreaterThan(100);
  });

  it('a random subset picks every index equally often across seeds', () => {
    const counts = new Array<number>(10).fill(0);
    for (let seed = 0; seed < 3000; seed++) for (const i of subsetIndices(10, 3, { seed })) counts[i]!++;
    // Each index is kept with probability 3/10: 900 of 3000, standard deviation 25.
    for (const c of counts) expect(Math.abs(c - 900)).toBeLessThan(125);
  });

  it('limitDataset copies the chosen samples and passes an unset limit through', () => {
    const ds = indexDataset(50, [1, 2, 2], 10);
    expect(limitDataset(ds, undefined)).toBe(ds);
    const first = limitDataset(ds, 5);
    expect(first.length).toBe(5);
    expect(first.name).toMatch(/first 5/);
    const rand = limitDataset(ds, 7, { seed: 3 });
    const idx = Array.from(subsetIndices(50, 7, { seed: 3 }));
    expect(Array.from({ length: 7 }, (_, i) => rand.get(i).image[0])).toEqual(idx);
    expect(Array.from(rand.labels)).toEqual(idx.map((i) => i % 10));
    expect(limitDataset(ds, 500).length).toBe(50);
    expect(() => limitDataset(ds, -1)).toThrow(/limit/);
  });

  it('parseLimit accepts non-negative integers only', () => {
    expect(parseLimit(undefined)).toBeUndefined();
    expect(parseLimit('')).toBeUndefined();
    expect(parseLimit('1000')).toBe(1000);
    expect(parseLimit(' 0 ')).toBe(0);
    for (const bad of ['10k', '-1', '1.5', 'abc']) expect(() => parseLimit(bad)).toThrow(/--limit/);
  });
});
