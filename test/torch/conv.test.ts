/** conv2d and convTranspose2d over random geometries, first and second order, vs PyTorch. */
import { it } from 'vitest';
import { ParitySummary } from './compare.js';
import { describeTorch } from './harness.js';
import { caseTitle, runOpCase } from './op-runner.js';
import { CONV } from './ops-table.js';

describeTorch('PyTorch parity: convolutions', 'conv', ({ cases }) => {
  const summary = new ParitySummary('conv');
  cases.forEach((c, i) => {
    it(`${c.family} ${caseTitle(c, i)}`, () => {
      const fn = CONV[c.op];
      if (!fn) throw new Error(`no dynconv entry for generated op ${c.op}`);
      runOpCase(c, fn, summary);
    });
  });
});
