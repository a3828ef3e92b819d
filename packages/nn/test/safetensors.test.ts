/**
 * safetensors: round trips over generated dicts (bit-identical data, NaN payloads and -0
 * included), byte fixtures built here from the format's description (never from the encoder),
 * F16/BF16 checked exhaustively against the IEEE formulas, every malformed header refused with
 * a message that says what and where, mutated and truncated files fuzzed, and atomic file
 * writes under injected failures.
 */
import { fromTypedArray, getBackend, type DType, type Tensor, tensor } from '@dynconv/core';
import fc from 'fast-check';
import { mkdtemp, rm, mkdir, writeFile, readFile, readdir, chmod, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runs } from '@dynconv/testing';
import { decodeSafetensors, encodeSafetensors } from '../src/index.js';
import { loadSafetensors, saveSafetensors, writeFileAtomic, writeFileAtomicSync } from '../src/node.js';
import { copyElements } from '../src/serialization/byte-order.js';

// ---- fault injection for the atomic writer ----------------------------------------------------

const faults = vi.hoisted(() => ({
  rename: null as Error | null,
  sync: null as Error | null,
  /** When set, writeFile writes the first half of the data, then throws this. */
  write: null as Error | null,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof actual.open = async (...args) => {
    const handle = await actual.open(...args);
    return new Proxy(handle, {
      get(target, prop) {
        if (prop === 'writeFile' && faults.write) {
          const err = faults.write;
          return async (data: Uint8Array) => {
            await target.writeFile(data.subarray(0, data.length >> 1));
            throw err;
          };
        }
        if (prop === 'sync' && faults.sync) {
          const err = faults.sync;
          return async () => {
            throw err;
          };
        }
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  };
  const rename: typeof actual.rename = async (from, to) => {
    if (faults.rename) throw faults.rename;
    return actual.rename(from, to);
  };
  return { ...actual, open, rename };
});

// ---- helpers written from the format description ----------------------------------------------

const utf8 = (s: string) => new TextEncoder().encode(s);

/** A file: 8-byte little-endian header length (the JSON's length unless given), JSON, data. */
function file(header: string | Uint8Array, data: ArrayLike<number> = [], headerLength?: number | bigint): Uint8Array {
  const json = typeof header === 'string' ? utf8(header) : header;
  let n = BigInt(headerLength ?? json.length);
  const out = new Uint8Array(8 + json.length + data.length);
  for (let i = 0; i < 8; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Little-endian bytes of 16-bit values. */
const le16 = (values: number[]) => values.flatMap((h) => [h & 0xff, h >>> 8]);

/** Little-endian bytes of 64-bit signed values. */
function le64(values: bigint[]): number[] {
  return values.flatMap((v) => {
    let u = BigInt.asUintN(64, v);
    return Array.from({ length: 8 }, () => {
      const b = Number(u & 0xffn);
      u >>= 8n;
      return b;
    });
  });
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Runs `f`, expecting a plain Error (not a TypeError, RangeError...) and returning its message. */
function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(Object.getPrototypeOf(e)).toBe(Error.prototype);
    return (e as Error).message;
  }
  throw new Error('expected an error, but the call returned');
}

const decodeError = (bytes: Uint8Array) => errorOf(() => decodeSafetensors(bytes));

// ---- arbitraries -------------------------------------------------------------------------------

const FORBIDDEN = ['__proto__', 'constructor', 'prototype'];
const safeName = (n: string) => n !== '__metadata__' && !n.split('.').some((s) => FORBIDDEN.includes(s));

const nameArb = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.array(fc.oneof(fc.constantFrom('layer', 'weight', 'bias', 'running_mean', '__metadata__'), fc.nat(12).map(String)), { minLength: 1, maxLength: 4 }).map((s) => s.join('.')),
  )
  .filter(safeName);

/** float32 bit patterns: anything, plus the edge cases (signed zeros, infinities, NaNs with payloads, subnormals). */
const f32BitsArb = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.float().map((x) => new Uint32Array(new Float32Array([x]).buffer)[0]!),
  fc.constantFrom(0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc12345, 0x00000001, 0x807fffff, 0x7f7fffff),
);
const f64BitsArb = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })),
  fc.double().map((x): [number, number] => {
    const u = new Uint32Array(new Float64Array([x]).buffer);
    return [u[0]!, u[1]!];
  }),
  fc.constantFrom<[number, number]>([0, 0x80000000], [0, 0x7ff00000], [1, 0x7ff00000], [0xdeadbeef, 0xfff80000], [1, 0], [0xffffffff, 0x000fffff]),
);

function valuesArb(dtype: DType, n: number): fc.Arbitrary<Float32Array | Float64Array | Int32Array | Uint8Array> {
  switch (dtype) {
    case 'float32':
      return fc.array(f32BitsArb, { minLength: n, maxLength: n }).map((b) => new Float32Array(Uint32Array.from(b).buffer));
    case 'float64':
      return fc.array(f64BitsArb, { minLength: n, maxLength: n }).map((b) => new Float64Array(Uint32Array.from(b.flat()).buffer));
    case 'int32':
      return fc.array(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { minLength: n, maxLength: n }).map((v) => Int32Array.from(v));
    case 'bool':
      return fc.array(fc.boolean(), { minLength: n, maxLength: n }).map((v) => Uint8Array.from(v, Number));
  }
}

const tensorArb: fc.Arbitrary<Tensor> = fc
  .tuple(fc.constantFrom<DType>('float32', 'float64', 'int32', 'bool'), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }))
  .chain(([dtype, shape]) => valuesArb(dtype, shape.reduce((a, b) => a * b, 1)).map((data) => fromTypedArray(data, shape, dtype)));

const dictArb = fc.uniqueArray(fc.tuple(nameArb, tensorArb), { maxLength: 6, selector: ([name]) => name }).map((entries) => Object.fromEntries(entries));

const metadataArb = fc.option(
  fc.uniqueArray(fc.tuple(nameArb, fc.string({ unit: 'binary', maxLength: 12 })), { maxLength: 4, selector: ([k]) => k }).map((e) => Object.fromEntries(e)),
  { nil: undefined },
);

function expectSameTensor(actual: Tensor | undefined, expected: Tensor): void {
  expect(actual).toBeDefined();
  expect(actual!.dtype).toBe(expected.dtype);
  expect(actual!.shape).toEqual(expected.shape);
  expect(bytesOf(actual!.dataSync())).toEqual(bytesOf(expected.dataSync()));
}

// ---- round trips --------------------------------------------------------------------------------

describe('safetensors round trip', () => {
  it('decode(encode(x)) is bit-identical in data, shapes, dtypes and metadata', () => {
    fc.assert(
      fc.property(dictArb, metadataArb, (dict, metadata) => {
        const bytes = encodeSafetensors(dict, metadata);
        const { tensors, metadata: meta } = decodeSafetensors(bytes);
        expect(Object.keys(tensors).sort()).toEqual(Object.keys(dict).sort());
        for (const [name, t] of Object.entries(dict)) expectSameTensor(tensors[name], t);
        expect({ ...meta }).toEqual(metadata ?? {});
        // The header is padded to 8 bytes, and the writer is deterministic.
        expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
        expect(encodeSafetensors(tensors, meta)).toEqual(bytes);
      }),
      runs(4),
    );
  });

  it('returns null-prototype records and copies (no aliasing of the input bytes)', () => {
    const bytes = encodeSafetensors({ w: tensor([1, 2, 3]) }, { k: 'v' });
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(Object.getPrototypeOf(tensors)).toBeNull();
    expect(Object.getPrototypeOf(metadata)).toBeNull();
    bytes.fill(0xff, bytes.length - 12);
    expect(Array.from(tensors.w!.dataSync())).toEqual([1, 2, 3]);
  });

  it('reads tensors at any byte offset (misaligned data) and from a Uint8Array view into a larger buffer', () => {
    // One BOOL byte first, so the F32 data starts at an odd offset.
    const inner = file('{"b":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]},"f":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}}', [1, 0, 0, 0xc0, 0x3f]);
    const padded = new Uint8Array(inner.length + 3);
    padded.set(inner, 3);
    const { tensors } = decodeSafetensors(padded.subarray(3));
    expect(Array.from(tensors.f!.dataSync())).toEqual([1.5]);
    expect(Array.from(tensors.b!.dataSync())).toEqual([1]);
  });

  it('normalizes bool storage to 0/1 on write', () => {
    const t = fromTypedArray(Uint8Array.from([0, 2, 255]), [3], 'bool');
    const { tensors } = decodeSafetensors(encodeSafetensors({ t }));
    expect(Array.from(tensors.t!.dataSync())).toEqual([0, 1, 1]);
  });

  it('swaps bytes per element when host and file byte orders differ', () => {
    const dst = new Uint8Array(10);
    copyElements(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 4, dst, 1, true);
    expect(Array.from(dst)).toEqual([0, 4, 3, 2, 1, 8, 7, 6, 5, 0]);
    copyElements(Uint8Array.from([1, 2]), 2, dst, 0, false);
    expect(Array.from(dst.subarray(0, 2))).toEqual([1, 2]);
  });
});

// ---- byte fixtures -------------------------------------------------------------------------------

describe('safetensors byte layout', () => {
  it('writes {"a": F32 [2] = [1, 2]} exactly as the format prescribes', () => {
    const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(json.length).toBe(54); // padded with 2 spaces to 56, a multiple of 8
    const expected = [
      56, 0, 0, 0, 0, 0, 0, 0, // header length, u64 little-endian
      ...Array.from(json, (c) => c.charCodeAt(0)),
      0x20, 0x20, // padding
      0x00, 0x00, 0x80, 0x3f, // 1.0f = 0x3F800000, little-endian
      0x00, 0x00, 0x00, 0x40, // 2.0f = 0x40000000
    ];
    const bytes = encodeSafetensors({ a: tensor([1, 2]) });
    expect(Array.from(bytes)).toEqual(expected);
    expect(Array.from(decodeSafetensors(Uint8Array.from(expected)).tensors.a!.dataSync())).toEqual([1, 2]);
  });

  it('needs no padding when the JSON is already a multiple of 8, and writes {} for nothing', () => {
    const json = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(json.length).toBe(64);
    const data = Array.from(bytesOf(Float32Array.from([0, 1, 2, 3, 4, 5])));
    expect(encodeSafetensors({ 'attn.0': tensor([0, 1, 2, 3, 4, 5]).reshape([1, 2, 3]) })).toEqual(file(json, data));
    expect(Array.from(encodeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...utf8('{}      ')]);
  });

  it('orders tensors by dtype (F64, F32, I32, BOOL) then name, metadata first with sorted keys', () => {
    const bytes = encodeSafetensors(
      { b: tensor([true, false, true]), a: tensor(Int32Array.from([7])), z: tensor(Float64Array.from([0.5])), y: tensor([1.5]), x: tensor([2.5]) },
      { z: '1', a: '2' },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    const json =
      '{"__metadata__":{"a":"2","z":"1"},' +
      '"z":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},' +
      '"x":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
      '"y":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},' +
      '"a":{"dtype":"I32","shape":[1],"data_offsets":[16,20]},' +
      '"b":{"dtype":"BOOL","shape":[3],"data_offsets":[20,23]}}';
    expect(header).toBe(json.padEnd(Math.ceil(json.length / 8) * 8, ' '));
    expect(Array.from(bytes.subarray(8 + n + 16))).toEqual([7, 0, 0, 0, 1, 0, 1]);
  });

  it('sorts names by code point, as UTF-8 byte order does', () => {
    const bytes = encodeSafetensors({ '\uffff': tensor([1]), '\u{10000}': tensor([2]), a: tensor([3]) });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const keys = [...new TextDecoder().decode(bytes.subarray(8, 8 + n)).matchAll(/"([^"]+)":\{"dtype"/gu)].map((m) => m[1]);
    expect(keys).toEqual(['a', '\uffff', '\u{10000}']);
  });

  it('reads headers with whitespace, any key order, offsets in any order, and ignores unknown entry fields', () => {
    const header = ' {\n "b" : {"shape":[], "data_offsets":[0,4], "dtype":"I32", "extra":[1,{"x":null}]},\r\n\t"__metadata__":{"format":"pt","é":"ü\\n"},"a":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]}}   ';
    const { tensors, metadata } = decodeSafetensors(file(header, [0xff, 0xff, 0xff, 0xff]));
    expect(tensors.b!.shape).toEqual([]);
    expect(tensors.b!.item()).toBe(-1);
    expect(tensors.a!.shape).toEqual([0, 3]);
    expect({ ...metadata }).toEqual({ format: 'pt', é: 'ü\n' });
  });

  it('widens F16 exactly: hand-computed values', () => {
    const bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0xfc00, 0x8000, 0x03ff, 0x0400, 0x3555, 0x7e00];
    const expected = [1, -2, 65504, 2 ** -24, Infinity, -Infinity, -0, 1023 * 2 ** -24, 2 ** -14, 0.333251953125, NaN];
    const { tensors } = decodeSafetensors(file(`{"h":{"dtype":"F16","shape":[${bits.length}],"data_offsets":[0,${2 * bits.length}]}}`, le16(bits)));
    const h = tensors.h!;
    expect(h.dtype).toBe('float32');
    Array.from(h.dataSync()).forEach((v, i) => expect(Object.is(v, expected[i]), `0x${bits[i]!.toString(16)} -> ${v}`).toBe(true));
  });

  it('widens BF16 exactly: hand-computed values', () => {
    const bits = [0x3f80, 0xc040, 0x7f80, 0xff80, 0x8000, 0x0001, 0x4049, 0x7fc0];
    const expected = [1, -3, Infinity, -Infinity, -0, 2 ** -133, 3.140625, NaN];
    const { tensors } = decodeSafetensors(file(`{"h":{"dtype":"BF16","shape":[2,4],"data_offsets":[0,16]}}`, le16(bits)));
    expect(tensors.h!.dtype).toBe('float32');
    Array.from(tensors.h!.dataSync()).forEach((v, i) => expect(Object.is(v, expected[i]), `0x${bits[i]!.toString(16)} -> ${v}`).toBe(true));
  });

  it('widens every F16 and BF16 bit pattern to the value the IEEE formula gives', () => {
    const all = Array.from({ length: 65536 }, (_, i) => i);
    const decode = (dtype: string) => decodeSafetensors(file(`{"h":{"dtype":"${dtype}","shape":[65536],"data_offsets":[0,131072]}}`, le16(all))).tensors.h!.dataSync();
    // value = (-1)^s * (exp == 0 ? m * 2^(1 - bias - mbits) : (1 + m / 2^mbits) * 2^(exp - bias)).
    const formula = (h: number, ebits: number, mbits: number) => {
      const bias = 2 ** (ebits - 1) - 1;
      const s = h >> (ebits + mbits) ? -1 : 1;
      const e = (h >> mbits) & (2 ** ebits - 1);
      const m = h & (2 ** mbits - 1);
      if (e === 2 ** ebits - 1) return m ? NaN : s * Infinity;
      return s * (e === 0 ? m * 2 ** (1 - bias - mbits) : (1 + m / 2 ** mbits) * 2 ** (e - bias));
    };
    const f16 = decode('F16');
    const bf16 = decode('BF16');
    for (const h of all) {
      if (!Object.is(f16[h], formula(h, 5, 10))) expect.fail(`F16 0x${h.toString(16)}: got ${f16[h]}, want ${formula(h, 5, 10)}`);
      if (!Object.is(bf16[h], formula(h, 8, 7))) expect.fail(`BF16 0x${h.toString(16)}: got ${bf16[h]}, want ${formula(h, 8, 7)}`);
    }
  });

  it('reads I64 into int32 when every value fits, and names the first that does not', () => {
    const values = [0n, 1n, -1n, 2147483647n, -2147483648n, 123456789n];
    const { tensors } = decodeSafetensors(file(`{"i":{"dtype":"I64","shape":[3,2],"data_offsets":[0,48]}}`, le64(values)));
    expect(tensors.i!.dtype).toBe('int32');
    expect(tensors.i!.toArray()).toEqual([[0, 1], [-1, 2147483647], [-2147483648, 123456789]]);
    for (const bad of [2147483648n, -2147483649n, 2n ** 62n, -(2n ** 63n)]) {
      const msg = decodeError(file(`{"ok":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"i":{"dtype":"I64","shape":[2],"data_offsets":[4,20]}}`, [0, 0, 0, 0, ...le64([5n, bad])]));
      expect(msg).toContain(`tensor "i" (I64) has value ${bad} at element 1, outside the int32 range`);
    }
  });

  it('reads the small integer types and U32/U64 into int32', () => {
    const cases: [string, number[], number[]][] = [
      ['U8', [0, 200, 255], [0, 200, 255]],
      ['I8', [0, 0x80, 0xff], [0, -128, -1]],
      ['I16', le16([0x7fff, 0x8000, 0xffff]), [32767, -32768, -1]],
      ['U16', le16([0x7fff, 0x8000, 0xffff]), [32767, 32768, 65535]],
      ['U32', [1, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 2, 0, 0, 0], [1, 2147483647, 2]],
      ['U64', le64([0n, 7n, 2147483647n]), [0, 7, 2147483647]],
    ];
    for (const [dtype, data, want] of cases) {
      const { tensors } = decodeSafetensors(file(`{"t":{"dtype":"${dtype}","shape":[3],"data_offsets":[0,${data.length}]}}`, data));
      expect(tensors.t!.dtype).toBe('int32');
      expect(Array.from(tensors.t!.dataSync()), dtype).toEqual(want);
    }
    expect(decodeError(file('{"t":{"dtype":"U32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0x80]))).toContain('(U32) has value 2147483648 at element 0');
    expect(decodeError(file('{"t":{"dtype":"U64","shape":[1],"data_offsets":[0,8]}}', le64([-1n])))).toContain('(U64) has value 18446744073709551615');
  });
});

// ---- malformed files ---------------------------------------------------------------------------

const F32_A = '"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
const ONE_F32 = [0, 0, 0x80, 0x3f];

/** [what, bytes, what the message must say]. */
const MALFORMED: [string, Uint8Array, RegExp][] = [
  ['empty file', new Uint8Array(0), /file is 0 bytes long, shorter than the 8-byte header length prefix/],
  ['file shorter than 8 bytes', new Uint8Array(7), /file is 7 bytes long/],
  ['header length past the end', file('{}', [], 100), /header length 100 runs past the end of the file \(10 bytes, so at most 2 header bytes\)/],
  ['header length one past the end', file('{}  ', [], 5), /header length 5 runs past the end of the file \(12 bytes, so at most 4 header bytes\)/],
  ['huge header length', file('{}', [], 2n ** 64n - 1n), /header length 18446744073709551615 exceeds the 100000000-byte limit/],
  ['header not UTF-8', file(Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x7d])), /header \(bytes 8 to 13\) is not valid UTF-8/],
  ['overlong UTF-8', file(Uint8Array.from([0x7b, 0xc0, 0xaf, 0x7d])), /not valid UTF-8/],
  ['empty header', file(''), /header is not valid JSON: expected a JSON value, got end of text at position 0/],
  ['truncated JSON', file(`{${F32_A}`, ONE_F32), /header is not valid JSON: expected ',' or '}' in object, got end of text/],
  ['trailing garbage', file('{} x'), /header is not valid JSON: unexpected 'x' after the JSON value at position 3/],
  ['single quotes', file("{'a':1}"), /header is not valid JSON: expected a string key, got '''/],
  ['trailing comma', file(`{${F32_A},}`, ONE_F32), /expected a string key, got '}'/],
  ['bad escape', file('{"a\\x":1}'), /bad escape '\\x' in string/],
  ['lone surrogate escape', file('{"a\\ud800":1}'), /lone surrogate in string/],
  ['raw control character', file('{"a\n":1}'), /unescaped control character U\+000A in string/],
  ['BOM before the JSON', file(Uint8Array.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), /expected a JSON value, got character U\+FEFF/],
  ['NaN literal', file('{"a":NaN}'), /expected a JSON value, got 'N'/],
  ['deep nesting', file(`{"__metadata__":${'['.repeat(5000)}`), /nesting deeper than 64 levels/],
  ['header is a list', file('[]'), /header must be a JSON object, got a list/],
  ['header is a string', file('"x"'), /header must be a JSON object, got string "x"/],
  ['header is null', file('null'), /header must be a JSON object, got null/],
  ['entry not an object', file('{"a":5}'), /tensor "a": entry must be an object with dtype, shape and data_offsets, got number 5/],
  ['entry is a list', file('{"a":[]}'), /tensor "a": entry must be an object .* got a list/],
  ['missing dtype', file('{"a":{"shape":[1],"data_offsets":[0,4]}}', ONE_F32), /tensor "a": entry is missing the field "dtype"/],
  ['missing shape', file('{"a":{"dtype":"F32","data_offsets":[0,4]}}', ONE_F32), /tensor "a": entry is missing the field "shape"/],
  ['missing offsets', file('{"a":{"dtype":"F32","shape":[1]}}', ONE_F32), /tensor "a": entry is missing the field "data_offsets"/],
  ['unknown dtype', file('{"a":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}}', ONE_F32), /tensor "a": unknown or unsupported dtype "F12" \(supported: F64, F32, F16, BF16, I64, U64, I32, U32, I16, U16, I8, U8, BOOL\)/],
  ['unsupported dtype', file('{"a":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}', ONE_F32), /unknown or unsupported dtype "F8_E4M3"/],
  ['lowercase dtype', file('{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}', ONE_F32), /unknown or unsupported dtype "f32"/],
  ['dtype not a string', file('{"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}', ONE_F32), /tensor "a": dtype must be a string, got number 4/],
  ['negative dim', file('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', ONE_F32), /tensor "a": shape must be a list of non-negative integers, got \[-1\]/],
  ['fractional dim', file('{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}', ONE_F32), /shape must be a list of non-negative integers, got \[1.5\]/],
  ['unsafe dim', file('{"a":{"dtype":"F32","shape":[9007199254740993],"data_offsets":[0,4]}}', ONE_F32), /shape must be a list of non-negative integers/],
  ['dim as string', file('{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}', ONE_F32), /shape must be a list of non-negative integers, got \["1"\]/],
  ['shape not a list', file('{"a":{"dtype":"F32","shape":{"0":1},"data_offsets":[0,4]}}', ONE_F32), /shape must be a list of non-negative integers, got \{"0":1\}/],
  ['one offset', file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4]}}', ONE_F32), /tensor "a": data_offsets must be a list of two non-negative integers \[begin, end\], got \[4\]/],
  ['three offsets', file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}}', ONE_F32), /data_offsets must be a list of two non-negative integers/],
  ['negative offset', file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}', ONE_F32), /data_offsets must be a list of two non-negative integers \[begin, end\], got \[-4,0\]/],
  ['offset as string', file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}}', ONE_F32), /data_offsets must be a list of two/],
  ['offsets out of bounds', file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', ONE_F32), /tensor "a": data_offsets \[0, 8\] run past the end of the data buffer \(4 bytes\)/],
  ['begin after end', file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', ONE_F32), /tensor "a": data_offsets \[4, 0\] begin after they end/],
  ['size disagrees with shape', file('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', new Array(8).fill(0)), /tensor "a": data_offsets \[0, 8\] hold 8 bytes, but shape \[3\] of F32 needs 3 x 4 = 12 bytes/],
  ['size disagrees with dtype', file('{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,4]}}', ONE_F32), /hold 4 bytes, but shape \[1\] of F64 needs 1 x 8 = 8 bytes/],
  ['overlapping tensors', file(`{${F32_A},"b":{"dtype":"F32","shape":[2],"data_offsets":[2,10]}}`, new Array(10).fill(0)), /tensor "b" \(data_offsets \[2, 10\]\) overlaps tensor "a" \(data_offsets \[0, 4\]\)/],
  ['same offsets twice', file(`{${F32_A},"b":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}`, ONE_F32), /overlaps tensor/],
  ['empty tensor inside another', file(`{${F32_A},"e":{"dtype":"F32","shape":[0],"data_offsets":[2,2]}}`, ONE_F32), /tensor "e" \(data_offsets \[2, 2\]\) overlaps tensor "a" \(data_offsets \[0, 4\]\)/],
  ['hole between tensors', file(`{${F32_A},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, new Array(12).fill(0)), /bytes \[4, 8\) of the data buffer belong to no tensor \(a hole before tensor "b" \(data_offsets \[8, 12\]\)\)/],
  ['hole at the start', file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Array(8).fill(0)), /bytes \[0, 4\) of the data buffer belong to no tensor/],
  ['bytes after the last tensor', file(`{${F32_A}}`, [...ONE_F32, 9]), /bytes \[4, 5\) at the end of the data buffer belong to no tensor \(the buffer is 5 bytes\)/],
  ['data but no tensors', file('{}', [1, 2]), /bytes \[0, 2\) at the end of the data buffer belong to no tensor/],
  ['duplicate tensor name', file(`{${F32_A},${F32_A}}`, ONE_F32), /header is not valid JSON: duplicate key "a" at position 54/],
  ['duplicate name through an escape', file(`{${F32_A},"\\u0061":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, ONE_F32), /duplicate key "a"/],
  ['duplicate field in an entry', file('{"a":{"dtype":"F64","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', ONE_F32), /duplicate key "dtype"/],
  ['duplicate metadata', file('{"__metadata__":{"k":"1"},"__metadata__":{"k":"2"}}'), /duplicate key "__metadata__"/],
  ['duplicate metadata key', file('{"__metadata__":{"k":"1","k":"2"}}'), /duplicate key "k"/],
  ['metadata value not a string', file('{"__metadata__":{"k":1}}'), /metadata value of "k" must be a string, got number 1/],
  ['metadata value null', file('{"__metadata__":{"k":null}}'), /metadata value of "k" must be a string, got null/],
  ['metadata not an object', file('{"__metadata__":["k"]}'), /"__metadata__" must be an object of strings, got a list/],
  ['__proto__ tensor', file('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', ONE_F32), /tensor name "__proto__" is refused: "__proto__" could reach an object's prototype/],
  ['constructor tensor', file('{"constructor":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', ONE_F32), /tensor name "constructor" is refused/],
  ['prototype segment', file('{"layer.prototype.w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', ONE_F32), /tensor name "layer.prototype.w" is refused: "prototype"/],
  ['__proto__ segment', file('{"a.__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', ONE_F32), /tensor name "a.__proto__" is refused/],
  ['__proto__ metadata key', file('{"__metadata__":{"__proto__":"x"}}'), /metadata key "__proto__" is refused/],
  ['BOOL byte other than 0/1', file('{"b":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}', [1, 0, 2]), /tensor "b" \(BOOL\) has byte 2 at element 2; BOOL bytes must be 0 or 1/],
];

describe('safetensors malformed files', () => {
  it.each(MALFORMED)('%s', (_what, bytes, message) => {
    const msg = decodeError(bytes);
    expect(msg.startsWith('decodeSafetensors: '), msg).toBe(true);
    expect(msg).toMatch(message);
  });

  it('leaves Object.prototype alone when a header tries __proto__', () => {
    const proto = '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"polluted":"yes"}}';
    decodeError(file(proto, ONE_F32));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
  });

  it('refuses input that is not a Uint8Array', () => {
    expect(errorOf(() => decodeSafetensors([1, 2, 3] as unknown as Uint8Array))).toMatch(/decodeSafetensors: expected a Uint8Array, got object/);
  });

  it('creates no tensor unless the whole file is valid', () => {
    const spy = vi.spyOn(getBackend(), 'fromArray');
    try {
      // "a" is fine; "b" fails only when its values are read, after the layout checks.
      decodeError(file(`{${F32_A},"b":{"dtype":"I64","shape":[1],"data_offsets":[4,12]}}`, [...ONE_F32, ...le64([2n ** 40n])]));
      decodeError(file(`{${F32_A},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,9]}}`, [...ONE_F32, 0, 0, 0, 0, 0]));
      expect(spy).not.toHaveBeenCalled();
      decodeSafetensors(file(`{${F32_A}}`, ONE_F32));
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('encodeSafetensors input checks', () => {
  const t = tensor([1]);
  it.each([
    ['a non-tensor value', () => encodeSafetensors({ a: [1, 2] as unknown as Tensor }), /encodeSafetensors: value of "a" must be a Tensor, got object/],
    ['a null dict', () => encodeSafetensors(null as unknown as Record<string, Tensor>), /tensors must be an object mapping names to tensors, got null/],
    ['__metadata__ as a name', () => encodeSafetensors({ __metadata__: t }), /"__metadata__" is reserved for metadata/],
    ['an own __proto__ key', () => encodeSafetensors(JSON.parse('{"__proto__":1}') as Record<string, Tensor>), /tensor name "__proto__" is refused/],
    ['a constructor segment', () => encodeSafetensors({ 'm.constructor': t }), /tensor name "m.constructor" is refused/],
    ['a lone surrogate', () => encodeSafetensors({ 'a\ud800': t }), /tensor name .* contains a lone surrogate/],
    ['a non-string metadata value', () => encodeSafetensors({ a: t }, { k: 5 as unknown as string }), /metadata value of "k" must be a string, got number/],
    ['a __proto__ metadata key', () => encodeSafetensors({ a: t }, JSON.parse('{"__proto__":"x"}') as Record<string, string>), /metadata key "__proto__" is refused/],
  ])('refuses %s', (_what, f, message) => {
    expect(errorOf(f)).toMatch(message);
  });
});

// ---- fuzzing -------------------------------------------------------------------------------------

/** decode either throws a plain Error with a message, or returns a complete, consistent result. */
function checkDecodeOutcome(bytes: Uint8Array): 'ok' | 'error' {
  let result: ReturnType<typeof decodeSafetensors>;
  try {
    result = decodeSafetensors(bytes);
  } catch (e) {
    expect(Object.getPrototypeOf(e)).toBe(Error.prototype);
    expect((e as Error).message).toMatch(/^decodeSafetensors: \S/);
    return 'error';
  }
  const sizes: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };
  for (const t of Object.values(result.tensors)) {
    const data = t.dataSync();
    expect(data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
    expect(data.byteLength).toBe(data.length * sizes[t.dtype]);
  }
  for (const v of Object.values(result.metadata)) expect(typeof v).toBe('string');
  // A decoded result is always writable again, and reads back the same.
  const again = decodeSafetensors(encodeSafetensors(result.tensors, result.metadata));
  for (const [name, t] of Object.entries(result.tensors)) expectSameTensor(again.tensors[name], t);
  return 'ok';
}

type Mutation =
  | { kind: 'flip'; at: number; xor: number; inHeader: boolean }
  | { kind: 'digit'; which: number; digit: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'length'; value: bigint };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }), inHeader: fc.boolean() }),
  fc.record({ kind: fc.constant('digit' as const), which: fc.nat(), digit: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
  fc.record({ kind: fc.constant('length' as const), value: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 300n })) }),
);

function mutate(original: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = original.slice();
  for (const m of mutations) {
    const n = Number(new DataView(original.buffer).getBigUint64(0, true));
    if (m.kind === 'flip' && bytes.length > 0) {
      const at = m.inHeader ? 8 + (m.at % n) : m.at % bytes.length;
      if (at < bytes.length) bytes[at]! ^= m.xor;
    } else if (m.kind === 'digit') {
      // Change a number in the JSON: keeps the syntax, breaks shapes and offsets.
      const digits = [...bytes.subarray(8, 8 + n).keys()].filter((i) => bytes[8 + i]! >= 0x30 && bytes[8 + i]! <= 0x39);
      if (digits.length > 0) bytes[8 + digits[m.which % digits.length]!] = 0x30 + m.digit;
    } else if (m.kind === 'truncate') {
      bytes = bytes.slice(0, m.keep % (bytes.length + 1));
    } else if (m.kind === 'length' && bytes.length >= 8) {
      new DataView(bytes.buffer).setBigUint64(0, m.value, true);
    }
  }
  return bytes;
}

describe('safetensors fuzzing', () => {
  it('mutated and truncated files decode to a consistent result or throw a plain Error', () => {
    fc.assert(
      fc.property(dictArb, metadataArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (dict, metadata, mutations) => {
        checkDecodeOutcome(mutate(encodeSafetensors(dict, metadata), mutations));
      }),
      runs(25),
    );
  });

  it('every truncation of a file is refused, and every single-bit flip in its header is handled', () => {
    const bytes = encodeSafetensors({ w: tensor([[1, 2], [3, 4]]), b: tensor(Int32Array.from([5])), m: tensor([true]) }, { format: 'pt' });
    for (let keep = 0; keep < bytes.length; keep++) expect(checkDecodeOutcome(bytes.slice(0, keep)), `keep ${keep}`).toBe('error');
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    let accepted = 0;
    for (let at = 0; at < 8 + n; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const m = bytes.slice();
        m[at]! ^= 1 << bit;
        if (checkDecodeOutcome(m) === 'ok') accepted++;
      }
    }
    // Some flips are harmless (inside a metadata value, a space of the padding); most are not.
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan((8 + n) * 4);
  });
});

// ---- files ---------------------------------------------------------------------------------------

describe('safetensors files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dynconv-safetensors-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    faults.rename = faults.sync = faults.write = null;
  });

  /** A fresh subdirectory holding `name` with `content`, so leftover files are easy to spot. */
  async function fixture(name: string, content?: string): Promise<{ sub: string; path: string }> {
    const sub = await mkdtemp(join(dir, 'case-'));
    const path = join(sub, name);
    if (content !== undefined) await writeFile(path, content);
    return { sub, path };
  }

  it('writeFileAtomic creates and replaces files, leaving no temp file', async () => {
    const { sub, path } = await fixture('out.bin');
    await writeFileAtomic(path, utf8('first'));
    expect(await readFile(path, 'utf8')).toBe('first');
    await writeFileAtomic(path, utf8('second, longer'));
    expect(await readFile(path, 'utf8')).toBe('second, longer');
    await writeFileAtomic(path, new Uint8Array(0));
    expect(await readFile(path, 'utf8')).toBe('');
    expect(await readdir(sub)).toEqual(['out.bin']);
  });

  it.runIf(process.platform !== 'win32')('writeFileAtomic keeps the permission bits of the file it replaces', async () => {
    const { path } = await fixture('mode.bin', 'old');
    await chmod(path, 0o640);
    await writeFileAtomic(path, utf8('new'));
    expect((await stat(path)).mode & 0o777).toBe(0o640);
  });

  const failures: [string, () => void][] = [
    ['the rename fails', () => void (faults.rename = Object.assign(new Error('EXDEV: simulated rename failure'), { code: 'EXDEV' }))],
    ['the write fails halfway', () => void (faults.write = Object.assign(new Error('ENOSPC: simulated disk full'), { code: 'ENOSPC' }))],
    ['the fsync fails', () => void (faults.sync = Object.assign(new Error('EIO: simulated fsync failure'), { code: 'EIO' }))],
  ];

  it.each(failures)('writeFileAtomic keeps the old file and removes its temp file when %s', async (_what, inject) => {
    const { sub, path } = await fixture('model.safetensors', 'old content');
    inject();
    const err = await writeFileAtomic(path, utf8('new content that is never seen')).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/^writeFileAtomic: could not write '.*model\.safetensors': (EXDEV|ENOSPC|EIO): simulated/);
    expect((err!.cause as { code?: string }).code).toMatch(/EXDEV|ENOSPC|EIO/);
    expect(await readFile(path, 'utf8')).toBe('old content');
    expect(await readdir(sub)).toEqual(['model.safetensors']);
  });

  it('writeFileAtomic fails cleanly when the directory does not exist or the target is a directory', async () => {
    const { sub } = await fixture('unused');
    await expect(writeFileAtomic(join(sub, 'missing', 'x.bin'), utf8('x'))).rejects.toThrow(/writeFileAtomic: could not write '.*missing.x\.bin': ENOENT/);
    expect(await readdir(sub)).toEqual([]);
    // A real (not injected) rename failure: a non-empty directory cannot be replaced by a file.
    const target = join(sub, 'taken');
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'kept');
    await expect(writeFileAtomic(target, utf8('x'))).rejects.toThrow(/writeFileAtomic: could not write '.*taken'/);
    expect(await readdir(sub)).toEqual(['taken']);
    expect(await readFile(join(target, 'keep.txt'), 'utf8')).toBe('kept');
  });

  it('a write removes the temp files that killed writes to the same path left, and only those', async () => {
    const { spawn, spawnSync } = await import('node:child_process');
    // A pid that ran and exited (so no process has it now), and one of a process still running.
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      for (const write of [writeFileAtomic, async (p: string, b: Uint8Array) => writeFileAtomicSync(p, b)]) {
        const { sub, path } = await fixture('checkpoint.safetensors', 'old');
        const stale = [`.checkpoint.safetensors.${dead}.0a1b2c3d4e5f.tmp`, `.checkpoint.safetensors.${process.pid}.ffffffffffff.tmp`];
        const kept = [`.checkpoint.safetensors.${live.pid}.0a1b2c3d4e5f.tmp`, `.other.safetensors.${dead}.0a1b2c3d4e5f.tmp`, `checkpoint.safetensors.${dead}.0a1b2c3d4e5f.tmp`, 'notes.txt'];
        for (const name of [...stale, ...kept]) await writeFile(join(sub, name), 'partial');
        await write(path, utf8('new'));
        expect((await readdir(sub)).sort()).toEqual(['checkpoint.safetensors', ...kept].sort());
        expect(await readFile(path, 'utf8')).toBe('new');
      }
    } finally {
      live.kill();
    }
  });

  it('saveSafetensors and loadSafetensors round trip', async () => {
    const { sub, path } = await fixture('model.safetensors', 'stale');
    const tensors = { 'layer.0.weight': tensor([[1, -0, NaN], [Infinity, 1e-45, -2]]), 'layer.0.bias': tensor(Float64Array.from([Math.PI])), steps: tensor(Int32Array.from([-7, 9])), mask: tensor([true, false]) };
    await saveSafetensors(path, tensors, { format: 'pt', note: 'ünïcode' });
    const loaded = await loadSafetensors(path);
    for (const [name, t] of Object.entries(tensors)) expectSameTensor(loaded.tensors[name], t);
    expect({ ...loaded.metadata }).toEqual({ format: 'pt', note: 'ünïcode' });
    expect(await readFile(path)).toEqual(Buffer.from(encodeSafetensors(tensors, { format: 'pt', note: 'ünïcode' })));
    expect(await readdir(sub)).toEqual(['model.safetensors']);
  });

  it('file errors name the file', async () => {
    const { sub, path } = await fixture('broken.safetensors');
    await expect(loadSafetensors(path)).rejects.toThrow(/loadSafetensors: could not read '.*broken\.safetensors': ENOENT/);
    await writeFile(path, file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', ONE_F32));
    await expect(loadSafetensors(path)).rejects.toThrow(/loadSafetensors: '.*broken\.safetensors': decodeSafetensors: tensor "a": data_offsets \[0, 8\] run past the end/);
    await expect(saveSafetensors(join(sub, 'bad.safetensors'), { a: 1 as unknown as Tensor })).rejects.toThrow(/saveSafetensors: '.*bad\.safetensors': encodeSafetensors: value of "a" must be a Tensor/);
    expect(await readdir(sub)).toEqual(['broken.safetensors']);
  });
});
