/** Elementwise ops, activations, broadcasting binary ops, matmul, joining and indexing vs PyTorch. */
import { it } from 'vitest';
import { ParitySummary } from './compare.js';
import { describeTorch } from './harness.js';
import { caseTitle, runOpCase } from './op-runner.js';
import { ELEMENTWISE } from './ops-table.js';

describeTorch('PyTorch parity: elementwise, matmul, joining', 'elementwise', ({ cases }) => {
  const summary = new ParitySummary('elementwise');
  cases.forEach((c, i) => {
    it(`${c.family} ${caseTitle(c, i)}`, () => {
      const fn = ELEMENTWISE[c.op];
      if (!fn) throw new Error(`no dynconv entry for generated op ${c.op}`);
      runOpCase(c, fn, summary);
    });
  });
});
