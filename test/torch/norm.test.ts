/** batchNorm (functional and layer: running statistics, momentum null, numBatchesTracked), layerNorm, groupNorm vs PyTorch. */
import { it } from 'vitest';
import { ParitySummary } from './compare.js';
import { describeTorch } from './harness.js';
import { caseTitle, runOpCase } from './op-runner.js';
import { NORM } from './ops-table.js';

describeTorch('PyTorch parity: normalization', 'norm', ({ cases }) => {
  const summary = new ParitySummary('norm');
  cases.forEach((c, i) => {
    it(`${c.family} ${caseTitle(c, i)}`, () => {
      const fn = NORM[c.op];
      if (!fn) throw new Error(`no dynconv entry for generated op ${c.op}`);
      runOpCase(c, fn, summary);
    });
  });
});
