import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arange, type NestedArray, ones, tensor, type Tensor, zeros } from '../src/index.js';
import { formatValue } from '../src/print.js';
import { runs } from '@dynconv/testing';

/** The printed values, parsed back: nested arrays of numbers (booleans for bool). */
function parseValues(text: string): NestedArray {
  const m = /^tensor\(([\s\S]*?), (?:shape=\[[\d, ]*\], )?dtype=\w+[^)]*\)$/.exec(text);
  if (!m) throw new Error(`not a printed tensor: ${text}`);
  const quoted = m[1]!.replace(/[^[\],\s]+/g, (tok) => JSON.stringify(tok));
  const num = (s: string): number | boolean =>
    s === 'true' ? true : s === 'false' ? false : s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
  const walk = (x: unknown): NestedArray => (Array.isArray(x) ? x.map(walk) : num(x as string));
  return walk(JSON.parse(quoted));
}

/** Significant digits of a printed number: `-1.50e-7` -> 2, `100` -> 1. */
function significantDigits(s: string): number {
  const mantissa = s.replace('-', '').split('e')[0]!.replace('.', '');
  return mantissa.replace(/^0+/, '').replace(/0+$/, '').length;
}

/**
 * PyTorch's `_tensor_str` layout, written over nested arrays (the code under test walks
 * strided storage): values right-aligned to the widest shown one, a dim of `k` dims below it
 * joined by `,` plus k-1 newlines and the indent, the last dim wrapped at 80 columns, and
 * beyond 1000 elements each dim longer than 6 cut to 3 + `...` + 3.
 */
function pytorchLayout(x: NestedArray, text: (v: number | boolean) => string, summarize: boolean): string {
  const cut = <T,>(a: T[]): (T | null)[] => (summarize && a.length > 6 ? [...a.slice(0, 3), null, ...a.slice(-3)] : a);
  const leaves = (y: NestedArray): string[] => (Array.isArray(y) ? cut(y).flatMap((e) => (e === null ? [] : leaves(e))) : [text(y)]);
  const width = Math.max(...leaves(x).map((s) => s.length));
  const depth = (y: NestedArray): number => (Array.isArray(y) ? 1 + depth(y[0]!) : 0);
  const str = (y: NestedArray, indent: number): string => {
    if (!Array.isArray(y)) return text(y);
    const pad = ' '.repeat(indent + 1);
    if (depth(y) === 1) {
      const items = cut(y).map((e) => (e === null ? '...' : text(e as number).padStart(width)));
      const per = Math.max(1, Math.floor((80 - indent) / (width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += per) lines.push(items.slice(i, i + per).join(', '));
      return `[${lines.join(`,\n${pad}`)}]`;
    }
    return `[${cut(y).map((e) => (e === null ? '...' : str(e, indent + 1))).join(`,${'\n'.repeat(depth(y) - 1)}${pad}`)}]`;
  };
  return str(x, 'tensor('.length);
}

const valueText = (t: Tensor) => (v: number | boolean) => formatValue(typeof v === 'boolean' ? Number(v) : v, t.dtype);

describe('printing: values', () => {
  it('float32: the printed number reads back as the exact float32 value, and one digit fewer would not', () => {
    fc.assert(
      fc.property(fc.array(fc.float(), { minLength: 1, maxLength: 12 }), (values) => {
        const t = tensor(values);
        const printed = parseValues(t.toString()) as number[];
        const texts = t.toString().match(/[^[\],\s]+/g)!.slice(1, 1 + values.length);
        values.forEach((v, i) => {
          expect(Object.is(Math.fround(printed[i]!), v)).toBe(true);
          const digits = significantDigits(texts[i]!);
          if (Number.isFinite(v) && v !== 0 && digits > 1) expect(Math.fround(Number(v.toPrecision(digits - 1)))).not.toBe(v);
        });
      }),
      runs(4),
    );
  });

  it('float64: the printed number is the exact double (shortest JS String)', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { minLength: 1, maxLength: 12 }), (values) => {
        const printed = parseValues(tensor(values, { dtype: 'float64' }).toString()) as number[];
        values.forEach((v, i) => expect(Object.is(printed[i], v)).toBe(true));
      }),
      runs(4),
    );
  });

  it('float32 at float32 precision, integers without decimals, nan/inf, -0, bool, int32', () => {
    expect(tensor([3.14159, 0.1, 2, -7, 1e-7, 1e21]).toString()).toBe('tensor([3.14159,     0.1,       2,      -7,    1e-7,   1e+21], dtype=float32)');
    expect(tensor([3.14159], { dtype: 'float64' }).toString()).toBe('tensor([3.14159], dtype=float64)');
    expect(tensor([0.1], { dtype: 'float32' }).double().toString()).toBe('tensor([0.10000000149011612], dtype=float64)');
    expect(tensor([NaN, Infinity, -Infinity, -0]).toString()).toBe('tensor([ nan,  inf, -inf,   -0], dtype=float32)');
    expect(tensor([NaN, -Infinity], { dtype: 'float64' }).toString()).toBe('tensor([ nan, -inf], dtype=float64)');
    expect(tensor([true, false]).toString()).toBe('tensor([ true, false], dtype=bool)');
    expect(tensor([1, -20, 300], { dtype: 'int32' }).toString()).toBe('tensor([  1, -20, 300], dtype=int32)');
  });
});

describe('printing: layout', () => {
  it('scalar, 1-D, 2-D, 3-D and 4-D as PyTorch lays them out', () => {
    expect(tensor(3.5).toString()).toBe('tensor(3.5, dtype=float32)');
    expect(tensor([1, 2.5, -3]).toString()).toBe('tensor([  1, 2.5,  -3], dtype=float32)');
    expect(tensor([[1.5, 2], [3, 40]]).toString()).toBe(['tensor([[1.5,   2],', '        [  3,  40]], dtype=float32)'].join('\n'));
    expect(arange(12).reshape([2, 2, 3]).toString()).toBe(
      ['tensor([[[ 0,  1,  2],', '         [ 3,  4,  5]],', '', '        [[ 6,  7,  8],', '         [ 9, 10, 11]]], dtype=float32)'].join('\n'),
    );
    expect(arange(4).reshape([2, 1, 1, 2]).toString()).toBe(
      ['tensor([[[[0, 1]]],', '', '', '        [[[2, 3]]]], dtype=float32)'].join('\n'),
    );
  });

  it('a row wider than 80 columns wraps, aligned, as PyTorch linewidth=80', () => {
    expect(arange(20).toString()).toBe(
      ['tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,', '        18, 19], dtype=float32)'].join('\n'),
    );
  });

  it('empty tensors show their shape (1-D [] excepted, as PyTorch)', () => {
    expect(zeros([0, 3]).toString()).toBe('tensor([], shape=[0, 3], dtype=float32)');
    expect(zeros([2, 0, 1], { dtype: 'int32' }).toString()).toBe('tensor([], shape=[2, 0, 1], dtype=int32)');
    expect(zeros([0]).toString()).toBe('tensor([], dtype=float32)');
  });

  it('gradFn=<MulBackward> on a non-leaf, requiresGrad=true on a leaf that requires grad', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    expect(a.toString()).toBe('tensor([1, 2], dtype=float32, requiresGrad=true)');
    expect(a.mul(2).toString()).toBe('tensor([2, 4], dtype=float32, gradFn=<MulBackward>)');
    expect(a.sum().toString()).toBe('tensor(3, dtype=float32, gradFn=<SumBackward>)');
    expect(a.detach().toString()).toBe('tensor([1, 2], dtype=float32)');
  });

  it('a disposed tensor prints its shape instead of throwing', () => {
    const t = zeros([2, 3]);
    t.dispose();
    expect(t.toString()).toBe('tensor(<disposed>, shape=[2, 3], dtype=float32)');
    expect(inspect(t)).toBe(t.toString());
  });

  it('up to 1000 elements, every value, PyTorch\'s layout, strided views included', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 0, maxLength: 4 }).filter((s) => s.reduce((a, b) => a * b, 1) <= 1000), fc.boolean(), fc.integer({ min: -3, max: 5 }), (shape, transpose, scale) => {
        const n = shape.reduce((a, b) => a * b, 1);
        let t = arange(0, n, 1, { dtype: 'float64' }).sub(n / 2).mul(10 ** scale / 3).reshape(shape);
        if (transpose && shape.length >= 2) t = t.transpose(0, 1);
        expect(t.toString()).toBe(`tensor(${pytorchLayout(t.toArray(), valueText(t), false)}, dtype=float64)`);
        expect(parseValues(t.toString())).toEqual(t.toArray());
      }),
      runs(),
    );
  });

  it('beyond 1000 elements, each long dim summarized with ... (edge items 3) and the shape shown, strided views included', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 }).filter((s) => s.reduce((a, b) => a * b, 1) > 1000), fc.boolean(), (shape, transpose) => {
        let t = arange(shape.reduce((a, b) => a * b, 1)).reshape(shape);
        if (transpose && shape.length >= 2) t = t.transpose(0, 1);
        expect(t.toString()).toBe(`tensor(${pytorchLayout(t.toArray(), valueText(t), true)}, shape=[${t.shape.join(', ')}], dtype=float32)`);
      }),
      runs(),
    );
    expect(arange(2000).toString()).toBe('tensor([   0,    1,    2, ..., 1997, 1998, 1999], shape=[2000], dtype=float32)');
    expect(arange(2000).reshape([40, 50]).toString()).toBe(
      [
        'tensor([[   0,    1,    2, ...,   47,   48,   49],',
        '        [  50,   51,   52, ...,   97,   98,   99],',
        '        [ 100,  101,  102, ...,  147,  148,  149],',
        '        ...,',
        '        [1850, 1851, 1852, ..., 1897, 1898, 1899],',
        '        [1900, 1901, 1902, ..., 1947, 1948, 1949],',
        '        [1950, 1951, 1952, ..., 1997, 1998, 1999]], shape=[40, 50], dtype=float32)',
      ].join('\n'),
    );
  });

  it('a tensor of 2^31 elements prints at once and refuses toArray (and JSON) at once, with a message', () => {
    const huge = ones([1]).expand([2 ** 31]); // a view: no 8 GiB of storage
    const start = performance.now();
    expect(huge.toString()).toBe('tensor([1, 1, 1, ..., 1, 1, 1], shape=[2147483648], dtype=float32)');
    const refusal = 'toArray: the tensor of shape [2147483648] has 2,147,483,648 elements; nested arrays of more than 134,217,728 (2^27) numbers would exhaust the JS heap';
    expect(() => huge.toArray()).toThrow(refusal);
    expect(() => JSON.stringify(huge)).toThrow(refusal);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe('console.log and JSON', () => {
  it('util.inspect (what console.log shows) is toString', () => {
    for (const t of [tensor(1), tensor([[1, 2], [3, 4]]), arange(2000), tensor([true]), tensor([1], { requiresGrad: true }).mul(3)]) {
      expect(inspect(t)).toBe(t.toString());
    }
  });

  it('JSON.stringify writes toArray(): nested numbers, booleans for bool', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }), fc.constantFrom('float32', 'float64', 'int32', 'bool') as fc.Arbitrary<'float32' | 'float64' | 'int32' | 'bool'>, (shape, dtype) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const t = arange(n).sub(n / 2).mul(0.75).reshape(shape).to(dtype);
        expect(JSON.stringify(t)).toBe(JSON.stringify(t.toArray()));
        expect(JSON.stringify({ t })).toBe(`{"t":${JSON.stringify(t.toArray())}}`);
      }),
      runs(),
    );
    expect(JSON.stringify(tensor([[true, false]]))).toBe('[[true,false]]');
  });
});
