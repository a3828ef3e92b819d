/**
 * The CPU backend against the reference backend, kernel by kernel: every kernel of
 * KernelSignatures over generated shapes, dtypes, values (NaN, infinities, signed zeros, ties,
 * halves) and layouts (contiguous, permuted, sliced with steps at an offset, broadcast), with
 * inputs built as real tensors on each backend and run through runKernel.
 *
 * Tolerances: int, bool, positions and selected elements must be identical (Object.is, so even
 * the sign of zero); elementwise functions within a few float32 roundings (float64: 1e-14
 * relative); sums of products within 1e-5 (float64: 1e-13) of the same sum over absolute values,
 * the scale of a sum's rounding error (the CPU's float32 GEMM accumulates in float32, the
 * reference in double).
 *
 * Also here: the registry's contract (a backend lacks no kernel, a name is defined once).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Backend, conv2d, convTranspose2d, createCpuBackend, createReferenceBackend, defineBackend, defineBackendFactory, getBackend, getBackendName,
  hasBackend, KERNEL_NAMES, type KernelTable, randn, runKernel, setBackend, tensor,
} from '../src/index.js';
import { referenceKernels } from '../src/reference/index.js';
import {
  argReduceCaseArb, assignCaseArb, BINARY_NAMES, binaryCaseArb, checkGradients, convCaseArb, copyCaseArb, CPU_CASES, expectMatchesReference, fillCaseArb,
  gatherCaseArb, type KernelCase, matmulCaseArb, poolArgMaxCaseArb, reduceCaseArb, runs, scatterAddCaseArb, failingCases, specialValueCases, UNARY_NAMES, unaryCaseArb, whereCaseArb,
} from '@dynconv/testing';

const o = CPU_CASES;
// Cases are cheap (small shapes), so four times the configured run count.
const prop = (arb: fc.Arbitrary<KernelCase>, scale = 1) => fc.assert(fc.property(arb, (c) => expectMatchesReference('cpu', c)), runs(4 * scale));

describe('cpu vs reference: elementwise kernels', () => {
  for (const name of UNARY_NAMES) it(`Unary ${name}`, () => prop(unaryCaseArb(o, name)));
  for (const name of BINARY_NAMES) it(`Binary ${name}`, () => prop(binaryCaseArb(o, name)));
  it('Where', () => prop(whereCaseArb(o), 2));
  it('Copy (every dtype to every dtype)', () => prop(copyCaseArb(o), 4));
  it('Assign', () => prop(assignCaseArb(o), 2));
  it('Fill', () => prop(fillCaseArb(o), 2));
  it('every Unary and Binary function on every special value (float32, float64)', () => {
    expect(failingCases([...specialValueCases('float32'), ...specialValueCases('float64')], (c) => expectMatchesReference('cpu', c))).toEqual([]);
  });
});

describe('cpu vs reference: reductions and matmul', () => {
  for (const name of ['Sum', 'Max', 'Min', 'Prod'] as const) it(`Reduce ${name}`, () => prop(reduceCaseArb(o, name), 2));
  for (const name of ['ArgMax', 'ArgMin'] as const) it(`ArgReduce ${name}`, () => prop(argReduceCaseArb(o, name), 2));
  it('MatMul', () => prop(matmulCaseArb(o), 3));
});

describe('cpu vs reference: indexing and pooling', () => {
  it('Gather', () => prop(gatherCaseArb(o), 2));
  it('ScatterAdd', () => prop(scatterAddCaseArb(o), 2));
  it('PoolArgMax', () => prop(poolArgMaxCaseArb(o), 3));
  it('Gather and ScatterAdd refuse an out-of-range index alike', () => {
    for (const b of ['cpu', 'reference']) {
      const x = tensor([1, 2, 3], { backend: b });
      const bad = tensor(Int32Array.of(0, 3), { backend: b });
      expect(() => runKernel(getBackend(b), 'Gather', x, 0, bad)).toThrow("gather: index 3 is out of bounds for dim 0 with size 3");
      expect(() => runKernel(getBackend(b), 'ScatterAdd', x, 0, bad, tensor([1, 1], { backend: b }))).toThrow("scatterAdd: index 3 is out of bounds for dim 0 with size 3");
    }
  });
});

describe('cpu vs reference: convolutions (stride, asymmetric padding, dilation, groups, depthwise)', () => {
  it('Conv2d', () => prop(convCaseArb(o, 'Conv2d'), 4));
  it('Conv2dBackpropInput', () => prop(convCaseArb(o, 'Conv2dBackpropInput'), 4));
  it('Conv2dBackpropFilter', () => prop(convCaseArb(o, 'Conv2dBackpropFilter'), 4));
});

/** convTranspose2d with outputPadding >= stride (allowed as dilation > stride): its adjoint conv has fewer rows than the formula. */
const transposedCase = () => ({
  x: randn([1, 2, 3, 4], { dtype: 'float64' }).requiresGrad_(),
  w: randn([2, 1, 2, 2], { dtype: 'float64' }).requiresGrad_(),
  opts: { stride: 1, dilation: 2, outputPadding: 1 },
});

describe('the reference backend through the ops', () => {
  function onReference(fn: () => void): void {
    const prev = getBackendName();
    setBackend('reference');
    try {
      fn();
    } finally {
      setBackend(prev);
    }
  }

  it('its three convolution kernels are each other\'s adjoints (gradcheck and gradgradcheck of conv2d)', () => {
    onReference(() => {
      const x = randn([2, 4, 5, 4], { dtype: 'float64' }).requiresGrad_();
      const w = randn([6, 2, 3, 2], { dtype: 'float64' }).requiresGrad_();
      checkGradients((a, b) => conv2d(a, b, null, { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 }), [x, w], { second: true });
    });
  });

  it('convTranspose2d with outputPadding >= stride: gradients of every order keep x\'s size (Conv2dParams.outHeight)', () => {
    onReference(() => {
      const { x, w, opts } = transposedCase();
      expect(convTranspose2d(x, w, null, opts).shape).toEqual([1, 1, 6, 7]);
      checkGradients((a, b) => convTranspose2d(a, b, null, opts), [x, w], { second: true });
    });
  });

  // The output size comes from p.outHeight / p.outWidth: here it is smaller than the formula gives.
  it('cpu: convTranspose2d with outputPadding >= stride, second derivative', () => {
    const { x, w, opts } = transposedCase();
    checkGradients((a, b) => convTranspose2d(a, b, null, opts), [x, w], { second: true });
  });
});

describe('defineBackend', () => {
  it('registers the built-in backends lazily under their names', () => {
    expect(hasBackend('cpu')).toBe(true);
    expect(hasBackend('reference')).toBe(true);
    expect(getBackend('reference').name).toBe('reference');
    expect(KERNEL_NAMES).toHaveLength(15);
  });

  it('refuses a second backend under a taken name, defined or still pending in a factory', () => {
    expect(() => createCpuBackend('cpu')).toThrow("defineBackend: a backend named 'cpu' is already registered");
    expect(() => createReferenceBackend()).toThrow("defineBackend: a backend named 'reference' is already registered");
    defineBackendFactory('pending-test', () => createReferenceBackend('pending-test'));
    expect(() => createReferenceBackend('pending-test')).toThrow("defineBackend: a backend named 'pending-test' is already registered");
    expect(() => defineBackendFactory('pending-test', () => createReferenceBackend('pending-test'))).toThrow(/already registered/);
    expect(getBackend('pending-test').name).toBe('pending-test');
    createReferenceBackend('reference-2');
    expect(() => createReferenceBackend('reference-2')).toThrow("defineBackend: a backend named 'reference-2' is already registered");
  });

  it('a factory must define the backend it is registered for', () => {
    defineBackendFactory('lazy-wrong', () => createReferenceBackend('lazy-other'));
    expect(() => getBackend('lazy-wrong')).toThrow(/factory for 'lazy-wrong' must define its backend with defineBackend under the name 'lazy-wrong'/);
  });

  it('a kernel table lacking a kernel is a type error, and refused at run time', () => {
    const backend: Backend = { ...getBackend('reference'), name: 'incomplete' };
    const { Conv2d: _conv, ...incomplete } = referenceKernels(backend);
    // @ts-expect-error Property 'Conv2d' is missing: a backend cannot be defined without every kernel.
    expect(() => defineBackend(backend, incomplete)).toThrow("defineBackend: backend 'incomplete' lacks kernel 'Conv2d'");
    // @ts-expect-error A kernel with the wrong signature does not fit the table either.
    const badSignature: KernelTable = { ...referenceKernels(backend), Copy: (x: number) => x };
    void badSignature;
    expect(hasBackend('incomplete')).toBe(false);
  });

  it('runKernel refuses a backend object that was never defined', () => {
    const copy: Backend = { ...getBackend('reference'), name: 'never-defined' };
    expect(() => runKernel(copy, 'Fill', 1, 0, 'float32')).toThrow("runKernel: backend 'never-defined' is not registered");
  });

  it('the reference backend refuses storage of another backend', () => {
    const x = tensor([1, 2]);
    expect(() => runKernel(getBackend('reference'), 'Copy', x, 'float32')).toThrow("reference backend: got storage of backend 'cpu'");
  });
});
