/**
 * Regenerates the table in docs/pytorch-parity.md (between its parity-table markers) from the
 * summaries the last run of test/torch/ wrote to test/torch/.cache/summary/. Run it with
 * `pnpm parity:doc` after `npx vitest run test/torch/`.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParityRow } from './compare.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const SUMMARY_DIR = join(HERE, '.cache', 'summary');
const DOC = join(HERE, '..', '..', 'docs', 'pytorch-parity.md');
const START = '<!-- parity-table:start -->';
const END = '<!-- parity-table:end -->';

interface Summary {
  suite: string;
  numRuns: number;
  date: string;
  rows: Record<string, ParityRow>;
}

function formatError(e: number): string {
  return e === 0 ? '0' : e.toExponential(1);
}

function table(summaries: Summary[]): string {
  const lines = ['| Suite | Op or model | Cases | Second order | Largest error | Documented differences |', '| --- | --- | ---: | ---: | ---: | --- |'];
  let cases = 0;
  for (const s of summaries) {
    for (const [key, row] of Object.entries(s.rows)) {
      cases += row.cases;
      const devs = row.deviations.map((d) => `[${d}](#${d})`).join(', ');
      lines.push(`| ${s.suite} | \`${key}\` | ${row.cases} | ${row.secondOrder || ''} | ${formatError(row.maxError)} | ${devs} |`);
    }
  }
  const last = summaries.map((s) => s.date).sort().at(-1);
  const runs = [...new Set(summaries.map((s) => s.numRuns))].join(', ');
  return [`Last run: ${last}, DYNCONV_NUM_RUNS=${runs}, ${cases} cases in ${summaries.length} suites. The largest error is the largest |dynconv - PyTorch| / (|PyTorch| + max(1, max |PyTorch|) / 10) over every output, gradient and second-order gradient of the op's cases (0 for cases that check a refusal).`, '', ...lines].join('\n');
}

if (!existsSync(SUMMARY_DIR)) {
  console.error(`no summaries in ${SUMMARY_DIR}: run \`npx vitest run test/torch/\` first (with PyTorch installed)`);
  process.exit(1);
}
const summaries = readdirSync(SUMMARY_DIR).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(SUMMARY_DIR, f), 'utf8')) as Summary);
const doc = readFileSync(DOC, 'utf8');
const [before, rest] = doc.split(START);
const after = rest?.split(END)[1];
if (before === undefined || after === undefined) throw new Error(`${DOC} lacks the ${START} ... ${END} markers`);
writeFileSync(DOC, `${before}${START}\n${table(summaries)}\n${END}${after}`);
console.log(`docs/pytorch-parity.md: table of ${summaries.length} suites written`);
