/** Reductions (ties and NaN included) vs PyTorch. */
import { it } from 'vitest';
import { ParitySummary } from './compare.js';
import { describeTorch } from './harness.js';
import { caseTitle, runOpCase } from './op-runner.js';
import { REDUCE } from './ops-table.js';

describeTorch('PyTorch parity: reductions', 'reduce', ({ cases }) => {
  const summary = new ParitySummary('reduce');
  cases.forEach((c, i) => {
    it(`${c.family} ${caseTitle(c, i)}`, () => {
      const fn = REDUCE[c.op];
      if (!fn) throw new Error(`no dynconv entry for generated op ${c.op}`);
      runOpCase(c, fn, summary);
    });
  });
});
