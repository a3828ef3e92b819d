/** Every loss with every option vs PyTorch. */
import { it } from 'vitest';
import { ParitySummary } from './compare.js';
import { describeTorch } from './harness.js';
import { caseTitle, runOpCase } from './op-runner.js';
import { LOSS } from './ops-table.js';

describeTorch('PyTorch parity: losses', 'loss', ({ cases }) => {
  const summary = new ParitySummary('loss');
  cases.forEach((c, i) => {
    it(`${c.family} ${caseTitle(c, i)}`, () => {
      const fn = LOSS[c.op];
      if (!fn) throw new Error(`no dynconv entry for generated op ${c.op}`);
      runOpCase(c, fn, summary);
    });
  });
});
