/**
 * Tensors in the CPU backend's WebAssembly memory (cpu/wasm-heap.ts) and the SIMD elementwise
 * loops over them (cpu/simd-elementwise.ts): blocks never overlap, tensors land there (or not,
 * when turned off), and the SIMD loops give the same bits as the JavaScript loops, for every op
 * they cover, over generated shapes, broadcasts and special values (NaN, ±0, ±Inf, subnormals).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createCpuBackend, fromTypedArray, memory, pinMemory, randn, relu6, type Tensor, tensor, tidy } from '../src/index.js';
import type { BinaryKernelName, UnaryKernelName } from '../src/backend/backend.js';
import { CpuStorage } from '../src/cpu/storage.js';
import { setSimdElementwise, simdBinary, simdUnary } from '../src/cpu/simd-elementwise.js';
import { wasmHeap } from '../src/cpu/wasm-heap.js';
import { runs } from '@dynconv/testing';

createCpuBackend('cpu-no-wasm-memory', { wasmMemory: false });
afterEach(() => void setSimdElementwise(true));

const heap = wasmHeap()!;
const arrayOf = (t: Tensor) => (t.storage as CpuStorage).data as Float32Array;
const inWasm = (t: Tensor) => heap.addressOf(arrayOf(t)) >= 0;

describe('wasm memory for tensors', () => {
  it('is shared on Node, so it can hold tensors', () => {
    expect(heap.shared).toBe(true);
    expect(heap.holdsTensors).toBe(true);
  });

  it('hands out blocks that never overlap, whatever the sizes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 30 }), fc.boolean(), (sizes, f64) => {
        const views = sizes.map((n) => heap.view(f64 ? 'float64' : 'float32', n, true)!);
        views.forEach((v, i) => {
          expect(v.length).toBe(sizes[i]);
          expect(v.every((x) => x === 0)).toBe(true); // zeroed when asked
          expect(heap.addressOf(v) % 64).toBe(0);
          v.fill(i + 1);
        });
        views.forEach((v, i) => expect(v.every((x) => x === i + 1)).toBe(true));
      }),
      runs(),
    );
  });

  it('holds float tensors made inside tidy, from host values or by kernels; int32, bool and tiny ones stay outside', () => {
    tidy(() => {
      const x = randn([8, 40]);
      expect(inWasm(x)).toBe(true);
      expect(inWasm(x.mul(2))).toBe(true);
      expect(inWasm(tensor(Array.from({ length: 100 }, (_, i) => i), { dtype: 'float64' }))).toBe(true);
      expect(inWasm(tensor(Array.from({ length: 100 }, (_, i) => i), { dtype: 'int32' }))).toBe(false);
      expect(inWasm(tensor([1, 2, 3]))).toBe(false);
    });
  });

  it('takes no new block outside tidy, and moves out what an outermost tidy returns (no scope disposes them)', () => {
    const x = randn([8, 40]);
    expect(inWasm(x)).toBe(false);
    // Outside a scope no new block is taken (a disposed tensor's pooled array may be reused).
    const live = heap.tensorBytes;
    for (let i = 0; i < 5; i++) x.mul(i + 1);
    expect(heap.tensorBytes).toBe(live);
    const before = heap.tensorBytes - (memory().pooledBytes as number);
    const [y, inner] = tidy(() => {
      const r = tidy(() => x.mul(3));
      const wasIn = inWasm(r); // a nested scope's result still belongs to the outer scope
      return [r.add(1), wasIn] as const;
    });
    expect(inner).toBe(true);
    expect(inWasm(y)).toBe(false);
    // Every block the scope took is freed or back in the pool (the disposed r is).
    expect(heap.tensorBytes - (memory().pooledBytes as number)).toBe(before);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync(), (v) => Math.fround(Math.fround(v * 3) + 1)));
  });

  it('copies a wrapped host array in, so later writes to it do not reach the tensor', () => {
    tidy(() => {
      const arr = new Float32Array(200).fill(3);
      const t = fromTypedArray(arr, [200], 'float32');
      expect(inWasm(t)).toBe(true);
      arr.fill(5);
      expect(t.dataSync().every((v) => v === 3)).toBe(true);
    });
  });

  it('holds a pinned tensor for good: its values and views unchanged, still there after an outermost tidy returns it', () => {
    const x = randn([8, 40]);
    const view = x.t();
    const values = Array.from(x.dataSync());
    expect(inWasm(x)).toBe(false);
    expect(pinMemory(x)).toBe(x);
    expect(inWasm(x)).toBe(true);
    expect(Array.from(x.dataSync())).toEqual(values);
    expect(view.storage).toBe(x.storage); // views share the moved storage
    expect((view.toArray() as number[][])[3]![1]).toBe((x.toArray() as number[][])[1]![3]);
    const y = tidy(() => pinMemory(randn([8, 40])));
    expect(inWasm(y)).toBe(true); // pinned: not moved out as an unpinned result would be
    const z = randn([8, 40], { backend: 'cpu-no-wasm-memory' });
    expect(inWasm(pinMemory(z))).toBe(false); // that backend keeps ordinary arrays
    const bytes = heap.tensorBytes - (memory().pooledBytes as number);
    x.dispose();
    view.dispose(); // the storage is released with its last view
    expect(heap.tensorBytes - (memory().pooledBytes as number)).toBeLessThan(bytes); // back to the pool
  });

  it('is not used by a backend created with wasmMemory: false', () => {
    tidy(() => {
      const x = randn([8, 40], { backend: 'cpu-no-wasm-memory' });
      expect(inWasm(x)).toBe(false);
      expect(inWasm(x.add(x))).toBe(false);
    });
  });
});

/** Float32 values with the special cases drawn often. */
const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.float({ min: -100, max: 100, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, 0, -0, Infinity, -Infinity, 1e-40, -1e-42, 6, -6, 3.4e38) },
);

/** [N, C, H, W] with at least 40 elements, so every operand is pooled in wasm memory. */
const shapeArb = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 7 }), fc.integer({ min: 2, max: 9 })).filter(([n, c, h, w]) => n * c * h * w >= 40);

const filled = (shape: number[], vals: number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return fromTypedArray(Float32Array.from({ length: n }, (_, i) => vals[i % vals.length]!), shape, 'float32');
};

/** The second operand's layout: same shape, per-channel, a scalar, or a transposed (strided) view. */
const layouts = ['same', 'channel', 'scalar-left', 'scalar-right', 'strided'] as const;

const BINARY: BinaryKernelName[] = ['Add', 'Sub', 'Mul', 'Div'];
const UNARY: UnaryKernelName[] = ['Relu', 'Relu6', 'Neg', 'Abs', 'Sqrt'];
const binaryOp = (name: BinaryKernelName, a: Tensor, b: Tensor) => (name === 'Add' ? a.add(b) : name === 'Sub' ? a.sub(b) : name === 'Mul' ? a.mul(b) : a.div(b));
const unaryOp = (name: UnaryKernelName, x: Tensor) => (name === 'Relu' ? x.relu() : name === 'Relu6' ? relu6(x) : name === 'Neg' ? x.neg() : name === 'Abs' ? x.abs() : x.sqrt());

/** Bitwise equality, NaN equal to NaN (payloads may differ). */
const sameBits = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]) || (Number.isNaN(v) && Number.isNaN(y[i])));

describe('SIMD elementwise loops', () => {
  it('give the same bits as the JavaScript loops for add, sub, mul, div over every layout', () => {
    fc.assert(
      fc.property(shapeArb, fc.array(valueArb, { minLength: 1, maxLength: 60 }), fc.array(valueArb, { minLength: 1, maxLength: 60 }), fc.constantFrom(...BINARY), fc.constantFrom(...layouts), (shape, va, vb, name, layout) =>
        tidy(() => {
          const [n, c, h, w] = shape;
          let a = filled(shape, va);
          // Per-channel and scalar operands are views into larger tensors, so they lie in wasm memory too.
          const channel = () => filled([1, c + 8, 1, 1], vb).narrow(1, 3, c);
          const scalar = () => filled([16], vb).narrow(0, 5, 1);
          let b = layout === 'same' ? filled(shape, vb) : layout === 'channel' ? channel() : layout === 'strided' ? filled([n, c, w, h], vb).transpose(2, 3) : scalar();
          if (layout === 'scalar-left') [a, b] = [b, a];
          const simd = binaryOp(name, a, b).dataSync() as Float32Array;
          setSimdElementwise(false);
          const js = binaryOp(name, a, b).dataSync() as Float32Array;
          setSimdElementwise(true);
          expect(sameBits(simd, js)).toBe(true);
        }),
      ),
      runs(3),
    );
  });

  it('give the same bits as the JavaScript loops for relu, relu6, neg, abs, sqrt', () => {
    fc.assert(
      fc.property(shapeArb, fc.array(valueArb, { minLength: 1, maxLength: 60 }), fc.constantFrom(...UNARY), fc.boolean(), (shape, vals, name, strided) =>
        tidy(() => {
          const x = strided ? filled(shape, vals).transpose(0, 3) : filled(shape, vals);
          const simd = unaryOp(name, x).dataSync() as Float32Array;
          setSimdElementwise(false);
          const js = unaryOp(name, x).dataSync() as Float32Array;
          setSimdElementwise(true);
          expect(sameBits(simd, js)).toBe(true);
        }),
      ),
      runs(3),
    );
  });

  it('run for contiguous and repeated operands in wasm memory, and decline strided views and other dtypes', () => {
    tidy(() => {
      const a = randn([4, 8, 5, 5]);
      const out = heap.view('float32', a.numel(), false)!;
      const info = (t: Tensor) => ({ shape: t.shape, strides: t.strides, offset: t.offset, dtype: t.dtype, storage: t.storage });
      expect(simdBinary('Mul', out, 'float32', info(a), info(randn([4, 8, 5, 5])))).toBe(true);
      expect(simdBinary('Add', out, 'float32', info(a), info(randn([1, 8, 1, 1]).expand([4, 8, 5, 5])))).toBe(true);
      expect(simdBinary('Add', out, 'float32', info(a), info(randn([4, 8, 5, 5]).transpose(2, 3)))).toBe(false);
      expect(simdBinary('Add', out, 'float64', info(a), info(a))).toBe(false);
      expect(simdUnary('Relu', out, 'float32', info(a))).toBe(true);
      expect(simdUnary('Relu', out, 'float32', info(a.transpose(0, 3)))).toBe(false);
      const plain = new Float32Array(a.numel());
      expect(simdUnary('Relu', plain, 'float32', info(a))).toBe(false);
    });
  });
});
