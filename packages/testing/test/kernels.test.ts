/** The kernel cases: a case runs on two backends alike, and compareOutputs catches a wrong output. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binaryCaseArb, compareOutputs, CPU_CASES, CPU_TOLERANCES, expectMatchesReference, matmulCaseArb, runCase, runs, unaryCaseArb } from '../src/index.js';

describe('kernel cases', () => {
  it('the CPU matches the reference on generated cases', () => {
    fc.assert(fc.property(unaryCaseArb(CPU_CASES, 'Exp'), (c) => expectMatchesReference('cpu', c)), runs());
    fc.assert(fc.property(matmulCaseArb(CPU_CASES), (c) => expectMatchesReference('cpu', c)), runs());
  });

  it('compareOutputs names the case and the element that differs', () => {
    fc.assert(
      fc.property(binaryCaseArb({ ...CPU_CASES, specials: false, integers: false }, 'Add'), (c) => {
        const want = runCase('reference', c);
        fc.pre(want.length > 0);
        const got = want.slice();
        got[got.length - 1] = got[got.length - 1]! + 1;
        expect(() => compareOutputs(c, got, want, null, CPU_TOLERANCES)).toThrow(`${c.label}: element ${want.length - 1}: got`);
        expect(() => compareOutputs(c, want.slice(), want, null, CPU_TOLERANCES)).not.toThrow();
      }),
      runs(),
    );
  });
});
