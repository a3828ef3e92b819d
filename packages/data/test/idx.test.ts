import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError, encodeIdx, imageDatasetFromIdx, parseIdx, type IdxArray, type IdxDType } from '../src/index.js';
import { loadIdxDataset, readIdxFile } from '../src/node.js';
import { runs } from '@dynconv/testing';

// An IDX writer written from the format description alone, independent of encodeIdx.
const SPEC: Record<IdxDType, { code: number; bytes: number; put: (v: DataView, o: number, x: number) => void }> = {
  uint8: { code: 0x08, bytes: 1, put: (v, o, x) => v.setUint8(o, x) },
  int8: { code: 0x09, bytes: 1, put: (v, o, x) => v.setInt8(o, x) },
  int16: { code: 0x0b, bytes: 2, put: (v, o, x) => v.setInt16(o, x, false) },
  int32: { code: 0x0c, bytes: 4, put: (v, o, x) => v.setInt32(o, x, false) },
  float32: { code: 0x0d, bytes: 4, put: (v, o, x) => v.setFloat32(o, x, false) },
  float64: { code: 0x0e, bytes: 8, put: (v, o, x) => v.setFloat64(o, x, false) },
};

function specIdx(dtype: IdxDType, shape: readonly number[], values: readonly number[]): Uint8Array {
  const { code, bytes, put } = SPEC[dtype];
  const out = new Uint8Array(4 + 4 * shape.length + values.length * bytes);
  const v = new DataView(out.buffer);
  v.setUint8(2, code);
  v.setUint8(3, shape.length);
  shape.forEach((n, i) => v.setUint32(4 + 4 * i, n, false));
  values.forEach((x, i) => put(v, 4 + 4 * shape.length + i * bytes, x));
  return out;
}

const valueArb: Record<IdxDType, fc.Arbitrary<number>> = {
  uint8: fc.integer({ min: 0, max: 255 }),
  int8: fc.integer({ min: -128, max: 127 }),
  int16: fc.integer({ min: -32768, max: 32767 }),
  int32: fc.integer({ min: -2147483648, max: 2147483647 }),
  float32: fc.float({ noNaN: true }).map(Math.fround),
  float64: fc.double({ noNaN: true }),
};

const caseArb = fc
  .record({
    dtype: fc.constantFrom<IdxDType>('uint8', 'int8', 'int16', 'int32', 'float32', 'float64'),
    shape: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }),
  })
  .chain(({ dtype, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc.record({ dtype: fc.constant(dtype), shape: fc.constant(shape), values: fc.array(valueArb[dtype], { minLength: n, maxLength: n }) });
  });

describe('parseIdx', () => {
  it('reads back what the spec writer wrote, for every type and generated shapes', () => {
    fc.assert(
      fc.property(caseArb, ({ dtype, shape, values }) => {
        const parsed = parseIdx(specIdx(dtype, shape, values), 'case.idx');
        expect(parsed.dtype).toBe(dtype);
        expect(parsed.shape).toEqual(shape);
        expect(Array.from(parsed.data)).toEqual(values);
      }),
      runs(8),
    );
  });

  it('encodeIdx writes exactly the bytes the spec describes', () => {
    fc.assert(
      fc.property(caseArb, ({ dtype, shape, values }) => {
        const expected = specIdx(dtype, shape, values);
        const data = parseIdx(expected).data;
        expect(encodeIdx({ dtype, shape, data } as IdxArray)).toEqual(expected);
      }),
      runs(4),
    );
  });

  it('reads from a byte offset inside a larger buffer, and copies unless asked for a view', () => {
    const file = specIdx('uint8', [3], [7, 8, 9]);
    const big = new Uint8Array(file.length + 5);
    big.set(file, 5);
    const bytes = big.subarray(5);
    const copy = parseIdx(bytes, 'x');
    const view = parseIdx(bytes, 'x', { view: true });
    expect(Array.from(copy.data)).toEqual([7, 8, 9]);
    bytes[bytes.length - 1] = 1;
    expect(copy.data[2]).toBe(9);
    expect(view.data[2]).toBe(1);
  });

  const good = specIdx('uint8', [2, 3], [1, 2, 3, 4, 5, 6]);
  const malformed: [string, Uint8Array, RegExp][] = [
    ['empty file', new Uint8Array(0), /truncated header/],
    ['three bytes', good.subarray(0, 3), /truncated header/],
    ['bad magic (first byte)', Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), /bad magic/],
    ['bad magic (second byte)', Uint8Array.from([0, 0x20, 8, 1, 0, 0, 0, 0]), /bad magic/],
    ['unknown type code 0x0a', Uint8Array.from([0, 0, 0x0a, 1, 0, 0, 0, 0]), /unknown type code 0x0a/],
    ['unknown type code 0x00', Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 0]), /unknown type code 0x00/],
    ['zero dimensions', Uint8Array.from([0, 0, 8, 0]), /zero dimensions/],
    ['header cut inside the dimension sizes', good.subarray(0, 10), /truncated header/],
    ['data one byte short', good.subarray(0, good.length - 1), /truncated data/],
    ['no data at all', good.subarray(0, 12), /truncated data/],
    ['trailing garbage', Uint8Array.from([...good, 0]), /1 unexpected bytes after the data/],
    ['a header claiming 2^64 values', Uint8Array.from([0, 0, 8, 2, 255, 255, 255, 255, 255, 255, 255, 255, 1, 2, 3]), /truncated data/],
    ['int32 data not a multiple of 4', Uint8Array.from([...specIdx('int32', [1], [5]), 0, 0]), /unexpected bytes/],
    ['gzip bytes handed to the raw parser', gzipSync(good), /gzip-compressed/],
  ];
  it.each(malformed)('rejects %s with a DataFormatError naming the file', (_, bytes, message) => {
    let err: unknown;
    try {
      parseIdx(bytes, 'some/dir/broken-file.idx');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataFormatError);
    expect((err as DataFormatError).file).toBe('some/dir/broken-file.idx');
    expect((err as Error).message).toContain('some/dir/broken-file.idx');
    expect((err as Error).message).toMatch(message);
  });

  it('accepts an empty dimension (a dataset with no samples)', () => {
    const parsed = parseIdx(specIdx('uint8', [0, 28, 28], []));
    expect(parsed.shape).toEqual([0, 28, 28]);
    expect(parsed.data.length).toBe(0);
  });
});

describe('IDX files on disk', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dynconv-idx-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads plain and gzip files alike (gzip found by its magic number, not the name)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ dtype, shape, values }) => {
        const bytes = specIdx(dtype, shape, values);
        await writeFile(join(dir, 'plain'), bytes);
        await writeFile(join(dir, 'packed.gz'), gzipSync(bytes));
        await writeFile(join(dir, 'packed-without-suffix'), gzipSync(bytes));
        for (const name of ['plain', 'packed.gz', 'packed-without-suffix']) {
          const parsed = await readIdxFile(join(dir, name));
          expect(parsed.shape).toEqual(shape);
          expect(Array.from(parsed.data)).toEqual(values);
        }
      }),
      runs(2),
    );
  });

  it('names the file for a truncated gzip stream and for malformed contents inside gzip', async () => {
    const bytes = specIdx('uint8', [4, 2, 2], new Array<number>(16).fill(3));
    const gz = gzipSync(bytes);
    const cut = join(dir, 'cut.gz');
    await writeFile(cut, gz.subarray(0, gz.length - 12));
    await expect(readIdxFile(cut)).rejects.toThrow(/cut\.gz: gzip data is corrupt or truncated/);
    const bad = join(dir, 'bad-inside.gz');
    await writeFile(bad, gzipSync(bytes.subarray(0, bytes.length - 1)));
    await expect(readIdxFile(bad)).rejects.toThrow(/bad-inside\.gz: invalid IDX file: truncated data/);
  });

  it('pairs images with labels, and names both files when their counts disagree', async () => {
    const images = join(dir, 'imgs-idx3-ubyte');
    const labels = join(dir, 'lbls-idx1-ubyte');
    const shortLabels = join(dir, 'short-idx1-ubyte');
    await writeFile(images, specIdx('uint8', [3, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    await writeFile(labels, specIdx('uint8', [3], [2, 0, 1]));
    await writeFile(shortLabels, specIdx('uint8', [2], [2, 0]));
    const ds = await loadIdxDataset(images, labels, { numClasses: 3 });
    expect([ds.length, ds.channels, ds.height, ds.width, ds.numClasses]).toEqual([3, 1, 2, 2, 3]);
    expect(Array.from(ds.get(1).image)).toEqual([4, 5, 6, 7]);
    expect(ds.get(1).label).toBe(0);
    const err = await loadIdxDataset(images, shortLabels).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataFormatError);
    expect((err as Error).message).toContain(shortLabels);
    expect((err as Error).message).toContain(images);
    expect((err as Error).message).toMatch(/2 labels but .* has 3 images/);
  });

  it('rejects labels outside the class range, wrong ranks and wrong types, naming the file', () => {
    const imgs = parseIdx(specIdx('uint8', [2, 1, 1], [0, 0]));
    const check = (labels: Uint8Array, images = imgs) => () => imageDatasetFromIdx(images, parseIdx(labels), { imagesFile: 'I', labelsFile: 'L', numClasses: 10 });
    expect(check(specIdx('uint8', [2], [3, 10]))).toThrow(/^L: label 1 is 10, outside \[0, 10\)/);
    expect(check(specIdx('uint8', [2, 1], [3, 1]))).toThrow(/^L: expected labels of shape \[count\]/);
    expect(check(specIdx('int32', [2], [3, 1]))).toThrow(/^L: expected uint8/);
    expect(check(specIdx('uint8', [2], [3, 1]), parseIdx(specIdx('uint8', [2], [0, 0])))).toThrow(/^I: expected images of shape/);
    expect(check(specIdx('uint8', [2], [3, 1]), parseIdx(specIdx('float32', [2, 1, 1], [0, 0])))).toThrow(/^I: expected uint8/);
  });
});
