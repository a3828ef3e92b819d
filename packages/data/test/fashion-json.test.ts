import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataFormatError } from '../src/index.js';
import { decodeFashionMnistClass } from '../src/node.js';
import { runs } from '@dynconv/testing';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const image = (seed: number): number[] => Array.from({ length: 784 }, (_, k) => (seed * 31 + k * 7) % 256);

describe('decodeFashionMnistClass (the package JSON layout)', () => {
  it('decodes compact, spaced and pretty-printed files alike, skipping empty items', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(5), { maxLength: 3 }), fc.constantFrom(undefined, 1, '\t'), (n, emptyAt, indent) => {
        const items: number[][] = Array.from({ length: n }, (_, i) => image(i));
        for (const at of emptyAt) items.splice(Math.min(at, items.length), 0, []);
        const text = JSON.stringify({ data: items }, null, indent);
        const out = decodeFashionMnistClass(enc(text), 'x.json', n);
        expect(out.length).toBe(n * 784);
        for (let i = 0; i < n; i++) expect(Array.from(out.subarray(i * 784, (i + 1) * 784))).toEqual(image(i));
      }),
      runs(3),
    );
  });

  it('accepts other valid JSON spellings of the same numbers (through the thorough path)', () => {
    const text = JSON.stringify({ data: [image(1)] }).replace('[[', '[[1e0,').replace(/,\d+\]\]/, ']]');
    expect(Array.from(decodeFashionMnistClass(enc(text), 'x.json', 1).subarray(0, 2))).toEqual([1, image(1)[0]]);
    const spaced = `{ "data" : [ ${JSON.stringify(image(2))} ] }`;
    expect(Array.from(decodeFashionMnistClass(enc(spaced), 'x.json', 1))).toEqual(image(2));
  });

  const one = image(3);
  const bad: [string, string, RegExp][] = [
    ['invalid JSON', '{"data":[[1,2', /not valid JSON/],
    ['no data array', '{"images":[]}', /"data" array/],
    ['an item that is not an array', '{"data":[5]}', /data\[0\] is not an array/],
    ['783 values', JSON.stringify({ data: [one.slice(1)] }), /data\[0\] has 783 values/],
    ['a value of 256', JSON.stringify({ data: [[256, ...one.slice(1)]] }), /data\[0\]\[0\] is 256/],
    ['a negative value', JSON.stringify({ data: [[...one.slice(1), -1]] }), /data\[0\]\[783\] is -1/],
    ['a fraction', JSON.stringify({ data: [[0.5, ...one.slice(1)]] }), /data\[0\]\[0\] is 0.5/],
    ['a string value', JSON.stringify({ data: [['1', ...one.slice(1)]] }), /data\[0\]\[0\] is "1"/],
    ['too few images', JSON.stringify({ data: [one, []] }), /1 images, expected 2/],
    ['too many images', JSON.stringify({ data: [one, one, one] }), /more than 2 images/],
  ];
  it.each(bad)('rejects %s with a DataFormatError naming the file', (_, text, message) => {
    let err: unknown;
    try {
      decodeFashionMnistClass(enc(text), 'clothes/4.json', 2);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataFormatError);
    expect((err as Error).message).toMatch(/^clothes\/4\.json: /);
    expect((err as Error).message).toMatch(message);
  });
});
