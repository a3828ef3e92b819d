/**
 * Checks of the pure pieces of `pnpm bench` (no timing):  npx tsx bench/suite/selfcheck.ts
 * (vitest's include patterns, packages/*\/test and test/, do not cover bench/, so this is a
 * plain script that exits non-zero on the first failed assertion.)
 */
import assert from 'node:assert/strict';
import { COLUMNS, type ColumnResult, DOCS_END, DOCS_START, type ItemResult, mdTable, pooledMedian, replaceSection, timeRows, unitCell, unitRows } from './report.js';
import { fmtRatio, median, repsFor, selectIds, speedRatio, unitValue } from './stats.js';

// median: odd, even, unsorted, empty, NaN ignored
assert.equal(median([3, 1, 2]), 2);
assert.equal(median([4, 1, 3, 2]), 2.5);
assert.equal(median([5]), 5);
assert.ok(Number.isNaN(median([])));
assert.equal(median([1, NaN, 3]), 2);
assert.equal(pooledMedian([[1, 2], [], [10]]), 2);

// ratio convention: peer time / dynconv time
assert.equal(speedRatio(10, 40), 0.25);
assert.equal(fmtRatio(speedRatio(10, 40)), '0.25x');
assert.equal(fmtRatio(4), '4.00x');
assert.equal(fmtRatio(52.04), '52.0x');
assert.equal(fmtRatio(3737.2), '3737x');
assert.equal(fmtRatio(0.0123), '0.012x');
assert.equal(fmtRatio(speedRatio(NaN, 1)), 'n/a');
assert.equal(fmtRatio(speedRatio(1, 0)), 'n/a');

// units
assert.equal(unitValue({ unit: 'GFLOP/s', work: 2e9 }, 1000), 2);
assert.equal(unitValue({ unit: 'img/s', work: 64 }, 100), 640);
assert.equal(unitValue({ unit: 'ns/elem', work: 1e6 }, 0.5), 0.5);
assert.equal(unitCell({ unit: 'ns/elem', work: 1e6 }, 0.5), '0.50 (2.00)');

// rep sizing
assert.equal(repsFor(100, { targetMs: 400, maxReps: 300 }), 4);
assert.equal(repsFor(0.001, { targetMs: 400, maxReps: 300 }), 300);
assert.equal(repsFor(5000, { targetMs: 400, maxReps: 300 }), 1);

// --items
const ids = ['matmul512', 'matmul1024', 'conv-fwd', 'conv-dx', 'mul'];
assert.deepEqual(selectIds(ids, undefined), ids);
assert.deepEqual(selectIds(ids, 'matmul*'), ['matmul512', 'matmul1024']);
assert.deepEqual(selectIds(ids, 'mul,conv-*'), ['conv-fwd', 'conv-dx', 'mul']);
assert.throws(() => selectIds(ids, 'nope'), /matches no item/);

// docs section replacement keeps everything outside the markers
const doc = `# T\n\nintro\n\n${DOCS_START}\nold\nlines\n${DOCS_END}\n\n## Rest\n\ntail\n`;
const out = replaceSection(doc, 'new body');
assert.equal(out, `# T\n\nintro\n\n${DOCS_START}\nnew body\n${DOCS_END}\n\n## Rest\n\ntail\n`);
assert.equal(replaceSection(out, 'new body'), out);
assert.throws(() => replaceSection('# no markers\n', 'x'), /markers/);
assert.throws(() => replaceSection(`${DOCS_END}\n${DOCS_START}\n`, 'x'), /markers/);

// tables
assert.equal(mdTable(['a', 'b'], [['1', '2']]), '| a | b |\n| --- | --- |\n| 1 | 2 |');
const col = (ms: number, na?: string): ColumnResult => ({ rounds: [[ms]], medianMs: ms, ...(na ? { na } : {}) });
const item: ItemResult = {
  id: 'x',
  title: 'x',
  unit: 'GFLOP/s',
  work: 1e9,
  columns: { dynconv: col(20), 'dynconv-2t': col(NaN, 'n/a'), 'torch-1': col(5), 'torch-2': col(4), tfjs: col(400), 'ort-1': col(10), 'ort-2': col(NaN, 'n/a') },
};
assert.equal(COLUMNS.length, 7);
assert.deepEqual(timeRows([item]).rows[0], ['x', '20.0', 'n/a', '5.00', '4.00', '400', '10.0', 'n/a', '0.25x', '0.20x', '20.0x', '0.50x', 'n/a']);
assert.deepEqual(unitRows([item]).rows[0], ['x', 'GFLOP/s', '50.0', 'n/a', '200', '250', '2.50', '100', 'n/a']);

console.log('bench/suite selfcheck: all assertions passed');
