/**
 * The pure pieces of `pnpm bench` (medians, the ratio convention, rep counts, item selection,
 * table rows, the docs section replacement), checked by bench/suite/selfcheck.ts's assertions:
 * importing it runs them, and a failed one throws here.
 */
import { expect, it } from 'vitest';

it('bench/suite: statistics and report helpers', async () => {
  await expect(import('../bench/suite/selfcheck.js')).resolves.toBeDefined();
});
