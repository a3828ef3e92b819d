/**
 * The compiled elementwise loops (cpu/compiled-loops.ts) against the readable ones they replace
 * (the per-op functions of cpu/elementwise.ts): every unary and binary op, every dtype pair,
 * generated shapes and layouts (contiguous, permuted, strided, broadcast), bit for bit.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type BinaryKernelName, type DType, getBackend, runKernel, tensor, type Tensor, type UnaryKernelName } from '../src/index.js';
import { setCompiledLoops } from '../src/cpu/compiled-loops.js';
import { broadcastPairArb, layoutArb, runs, shapeArb, values } from '@dynconv/testing';

const UNARY: UnaryKernelName[] = ['Neg', 'Exp', 'Log', 'Sqrt', 'Rsqrt', 'Abs', 'Sin', 'Cos', 'Tanh', 'Sigmoid', 'Relu', 'Relu6', 'Sign', 'Erf', 'Log1p', 'Expm1', 'Reciprocal', 'Floor', 'Ceil', 'Round'];
const BINARY: BinaryKernelName[] = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Maximum', 'Minimum', 'Eq', 'Ne', 'Gt', 'Ge', 'Lt', 'Le'];
const DTYPES: DType[] = ['float32', 'float64', 'int32', 'bool'];

afterEach(() => void setCompiledLoops(true));

/** Values with the awkward cases mixed in: NaN, infinities, -0, halves (for Round), big ints. */
function awkward(shape: readonly number[], seed: number): number[] {
  const special = [NaN, Infinity, -Infinity, -0, 0, 0.5, -2.5, 1e300, 3];
  const pick = values(shape, seed + 1, 'real');
  return Array.from(values(shape, seed, 'real'), (v, i) => {
    const r = Math.abs(pick[i]!) % 1; // about a third of the elements are special values
    return r < 0.35 ? special[Math.floor(r * 100) % special.length]! : v * 3;
  });
}

/** A tensor of logical `shape` in a generated layout, its values cast to `dtype`. */
function input(shape: number[], dtype: DType) {
  return fc.tuple(layoutArb(shape), fc.integer({ min: 0, max: 1e6 })).map(([layout, seed]) => {
    const base = tensor(awkward(layout.baseShape, seed), { dtype: 'float64' }).reshape(layout.baseShape).to(dtype);
    return layout.view(base);
  });
}

/** Runs the kernel with the compiled loops on and off; returns both outputs. */
function both(run: () => Tensor): [ArrayLike<number>, ArrayLike<number>] {
  setCompiledLoops(true);
  const fast = run().dataSync();
  setCompiledLoops(false);
  const readable = run().dataSync();
  setCompiledLoops(true);
  return [fast, readable];
}

const asTensor = (s: ReturnType<typeof runKernel<'Unary'>>, shape: number[]) => new (tensor(0).constructor as new (...a: unknown[]) => Tensor)(s, shape);

describe('compiled elementwise loops = readable loops, bit for bit', () => {
  it.each(UNARY)('%s over dtypes and layouts', (name) => {
    fc.assert(
      fc.property(
        shapeArb({ maxDims: 3 }).chain((shape) => fc.tuple(fc.constant(shape), fc.constantFrom(...DTYPES), fc.constantFrom<DType>('float32', 'float64', 'bool'))),
        fc.integer({ min: 0, max: 1e6 }),
        ([shape, inDtype, outDtype], seed) => {
          const x = fc.sample(input(shape, inDtype), { numRuns: 1, seed })[0]!;
          const [fast, readable] = both(() => asTensor(runKernel(getBackend(), 'Unary', name, x, outDtype), shape));
          expect(Array.from(fast)).toEqual(Array.from(readable));
        },
      ),
      runs(),
    );
  });

  it.each(BINARY)('%s over dtype pairs, broadcasting and layouts', (name) => {
    fc.assert(
      fc.property(
        broadcastPairArb({ maxDims: 3 }).chain(([sa, sb]) => fc.tuple(fc.constant([sa, sb] as const), fc.constantFrom(...DTYPES), fc.constantFrom(...DTYPES), fc.constantFrom<DType>('float32', 'float64', 'int32', 'bool'))),
        fc.integer({ min: 0, max: 1e6 }),
        ([[sa, sb], da, db, outDtype], seed) => {
          const a0 = fc.sample(input(sa, da), { numRuns: 1, seed })[0]!;
          const b0 = fc.sample(input(sb, db), { numRuns: 1, seed: seed + 1 })[0]!;
          // Broadcast by views (stride 0), as the op layer hands them to the kernel.
          const shape = a0.add(b0.to(a0.dtype === 'bool' ? 'int32' : a0.dtype)).shape;
          const a = a0.expand(shape);
          const b = b0.expand(shape);
          const [fast, readable] = both(() => asTensor(runKernel(getBackend(), 'Binary', name, a, b, outDtype), shape));
          expect(Array.from(fast)).toEqual(Array.from(readable));
        },
      ),
      runs(),
    );
  });

  it('Where over dtypes, broadcast conditions and layouts', () => {
    fc.assert(
      fc.property(
        broadcastPairArb({ maxDims: 3 }).chain(([sa, sb]) => fc.tuple(fc.constant([sa, sb] as const), fc.constantFrom(...DTYPES), fc.constantFrom(...DTYPES))),
        fc.integer({ min: 0, max: 1e6 }),
        ([[sc, sa], dc, dv], seed) => {
          const c0 = fc.sample(input(sc, dc), { numRuns: 1, seed })[0]!;
          const a0 = fc.sample(input(sa, dv), { numRuns: 1, seed: seed + 1 })[0]!;
          const b0 = fc.sample(input(sa, dv), { numRuns: 1, seed: seed + 2 })[0]!;
          const shape = c0.to('float64').add(a0.to('float64')).shape;
          const [c, a, b] = [c0.expand(shape), a0.expand(shape), b0.expand(shape)];
          const [fast, readable] = both(() => asTensor(runKernel(getBackend(), 'Where', c, a, b, dv), shape));
          expect(Array.from(fast)).toEqual(Array.from(readable));
        },
      ),
      runs(),
    );
  });

  it('copies and casts strided views the same way', () => {
    fc.assert(
      fc.property(shapeArb({ maxDims: 3 }), fc.constantFrom(...DTYPES), fc.constantFrom(...DTYPES), fc.integer({ min: 0, max: 1e6 }), (shape, from, to, seed) => {
        const x = fc.sample(input(shape, from), { numRuns: 1, seed })[0]!;
        const [fast, readable] = both(() => x.to(to).contiguous());
        expect(Array.from(fast)).toEqual(Array.from(readable));
      }),
      runs(),
    );
  });
});
