/**
 * The gpu backend against the reference backend, kernel by kernel, once per mode under test
 * (webasm, plus headlessgl where it works; see helpers.ts): the generators of the core's
 * reference-parity suite (@dynconv/testing's kernel cases) with float32, int32 and bool
 * inputs (the gpu holds no float64), NaN, infinities and ties included, smaller shapes and fewer
 * cases (the gpu compiles one kernel per shape and layout).
 *
 * Tolerances are those of float32 arithmetic on a device: elementwise 1e-4 relative plus 1e-6
 * absolute (its exp, log, erf... are float32 approximations), sums within 2e-5 of the same sum
 * over absolute values; ints, bools and positions exact (zeros unsigned).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  argReduceCaseArb, assignCaseArb, BINARY_NAMES, binaryCaseArb, type CaseOptions, convCaseArb, copyCaseArb, expectMatchesReference, fillCaseArb,
  gatherCaseArb, type KernelCase, matmulCaseArb, poolArgMaxCaseArb, reduceCaseArb, runs, scatterAddCaseArb, failingCases, specialValueCases, type Tolerances, UNARY_NAMES, unaryCaseArb, whereCaseArb,
} from '@dynconv/testing';
import { modesUnderTest, runScale } from './helpers.js';

const GPU_CASES: CaseOptions = { floatDtypes: ['float32'], integers: true, specials: true, shape: { maxDims: 3, maxSize: 4 } };

const GPU_TOLERANCES: Tolerances = {
  float32: { elementwise: 1e-4, elementwiseAbs: 1e-6, accumulated: 2e-5 },
  float64: { elementwise: 1e-4, elementwiseAbs: 1e-6, accumulated: 2e-5 },
  signedZeros: false,
};

for (const m of modesUnderTest().filter((m) => m.backend)) {
  describe(`gpu (${m.mode}) vs reference`, () => {
    const name = m.name!;
    const o = GPU_CASES;
    // Half the runs of the gpu parity suite per property: many properties, one shader each case.
    const prop = (arb: fc.Arbitrary<KernelCase>, scale = 1) =>
      fc.assert(fc.property(arb, (c) => expectMatchesReference(name, c, GPU_TOLERANCES)), runs(0.5 * scale * runScale(m.mode)));

    it('Unary, every function', () => prop(fc.constantFrom(...UNARY_NAMES).chain((n) => unaryCaseArb(o, n)), 8));
    it('Binary, every function', () => prop(fc.constantFrom(...BINARY_NAMES).chain((n) => binaryCaseArb(o, n)), 8));
    it('every Unary and Binary function on every special value', () => {
      expect(failingCases(specialValueCases('float32'), (c) => expectMatchesReference(name, c, GPU_TOLERANCES))).toEqual([]);
    });
    it('Where', () => prop(whereCaseArb(o)));
    it('Copy', () => prop(copyCaseArb(o), 2));
    it('Assign', () => prop(assignCaseArb(o)));
    it('Fill', () => prop(fillCaseArb(o)));
    it('Reduce', () => prop(fc.constantFrom('Sum', 'Max', 'Min', 'Prod' as const).chain((n) => reduceCaseArb(o, n)), 4));
    it('ArgReduce', () => prop(fc.constantFrom('ArgMax', 'ArgMin' as const).chain((n) => argReduceCaseArb(o, n)), 2));
    it('MatMul', () => prop(matmulCaseArb(o), 2));
    it('Gather', () => prop(gatherCaseArb(o)));
    it('ScatterAdd', () => prop(scatterAddCaseArb(o)));
    it('PoolArgMax', () => prop(poolArgMaxCaseArb(o), 2));
    it('Conv2d', () => prop(convCaseArb(o, 'Conv2d', 5), 2));
    it('Conv2dBackpropInput', () => prop(convCaseArb(o, 'Conv2dBackpropInput', 5), 2));
    it('Conv2dBackpropFilter', () => prop(convCaseArb(o, 'Conv2dBackpropFilter', 5), 2));
  });
}
