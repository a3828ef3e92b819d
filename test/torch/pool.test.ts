/** Max, average and adaptive pooling with every option vs PyTorch. */
import { it } from 'vitest';
import { ParitySummary } from './compare.js';
import { describeTorch } from './harness.js';
import { caseTitle, runOpCase } from './op-runner.js';
import { POOL } from './ops-table.js';

describeTorch('PyTorch parity: pooling', 'pool', ({ cases }) => {
  const summary = new ParitySummary('pool');
  cases.forEach((c, i) => {
    it(`${c.family} ${caseTitle(c, i)}`, () => {
      const fn = POOL[c.op];
      if (!fn) throw new Error(`no dynconv entry for generated op ${c.op}`);
      runOpCase(c, fn, summary);
    });
  });
});
