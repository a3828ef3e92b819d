import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ones, randn, zeros } from '../src/index.js';
import { runs } from '@dynconv/testing';

describe('allocations that cannot succeed', () => {
  it('creation ops refuse more than 2^32 elements before allocating, naming the op, the shape and the bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 2 ** 11, max: 2 ** 20 }), { minLength: 3, maxLength: 4 }), fc.constantFrom('float32' as const, 'float64' as const), (shape, dtype) => {
        const n = shape.reduce((a, b) => a * b, 1);
        for (const [op, make] of [['full', () => zeros(shape, { dtype })], ['randn', () => randn(shape, { dtype })]] as const) {
          let err: unknown;
          try {
            make();
          } catch (e) {
            err = e;
          }
          expect((err as Error).constructor).toBe(Error); // not a bare RangeError
          expect((err as Error).message).toContain(`${op}: cannot allocate a ${dtype} tensor of shape [${shape.join(', ')}] (${n.toLocaleString('en-US')} elements, `);
          expect((err as Error).message).toMatch(/[\d.]+ (GiB|TiB|PiB|EiB)\): more than the 4,294,967,296 elements \(2\^32\) a typed array can hold/);
        }
      }),
      runs(),
    );
  });

  it("a kernel's output that cannot be allocated names the kernel and its inputs' shapes", () => {
    const a = ones([70000, 1]);
    const b = ones([1, 70000]);
    expect(() => a.matmul(b)).toThrow('MatMul on inputs of shape [70000, 1] and [1, 70000]: cannot allocate float32 storage (4,900,000,000 elements, 18.3 GiB)');
    expect(() => ones([1]).expand([2 ** 33]).contiguous()).toThrow('Copy on inputs of shape [8589934592]: cannot allocate float32 storage (8,589,934,592 elements, 32.0 GiB)');
  });
});
