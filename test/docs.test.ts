/**
 * The documentation tests: every ```ts block of README.md, packages/NAME/README.md and docs/
 * (any depth) is type-checked, and every one not marked `fragment` is run and must print
 * exactly what its `// ->` comments say; every relative link and #anchor of every Markdown
 * file in the repository must resolve. Conventions: docs/writing-docs.md.
 *
 * Blocks run in this worker, one after another, each as its own ES module written to
 * out/doctest/ (so vitest's @dynconv/* aliases and TypeScript transform apply, and top-level
 * await works) and imported with console.log and console.info captured. Before each block
 * `vi.resetModules()` drops every module loaded so far, so the block gets fresh copies of the
 * packages: nothing a block sets (the default backend, a gpu backend's mode, manualSeed, thread
 * counts, registered backends) reaches the next one. That costs tens of milliseconds a block
 * (the transformed sources are cached); a fresh tsx process per block measured about a second
 * each on the project's 2-core machine, and would need a build first.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { anchors, brokenLinks, codeBlocks, expectedOutput, isExecutedDoc, isFragment, isTypeScript, links, markdownFiles, slugify, type CodeBlock } from './docs/markdown.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'out/doctest');

const allMarkdown = markdownFiles(root);
const blocks = allMarkdown.filter(isExecutedDoc).flatMap((f) => codeBlocks(f, readFileSync(join(root, f), 'utf8'))).filter(isTypeScript);

/** out/doctest/<file with / and . as ->-<line>.ts */
const modulePath = (b: CodeBlock): string => join(outDir, `${b.file.replace(/\.md$/, '').replace(/[^A-Za-z0-9_]+/g, '-')}-${b.line}.ts`);
const name = (b: CodeBlock): string => `${b.file}:${b.line}`;

/** Type errors per module file (absolute path), and those outside the blocks. */
let typeErrors: Promise<{ byFile: Map<string, string[]>; other: string[] }>;

/** Runs tsc (TypeScript 7) over out/doctest/ with tsconfig.check.json's settings and paths. */
function typeCheck(): Promise<{ byFile: Map<string, string[]>; other: string[] }> {
  const tsc = join(root, 'node_modules/.bin/tsc');
  return new Promise((resolve) => {
    execFile(tsc, ['-p', join(outDir, 'tsconfig.json'), '--pretty', 'false'], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      const byFile = new Map<string, string[]>();
      const other: string[] = [];
      let last: string[] | undefined;
      for (const line of `${stdout}\n${stderr}`.split('\n')) {
        const m = /^(.+?)\((\d+),(\d+)\): (error .*)$/.exec(line);
        if (m) {
          const file = join(root, m[1]!);
          const block = blocks.find((b) => modulePath(b) === file);
          const text = block ? `${block.file}:${block.line + Number(m[2])}:${m[3]}: ${m[4]}` : line;
          if (block) byFile.set(file, (last = [...(byFile.get(file) ?? []), text]));
          else other.push(text), (last = other);
        } else if (/^\s+\S/.test(line) && last) last[last.length - 1] += `\n${line}`;
        else if (line.trim()) other.push(line), (last = undefined);
      }
      if (err && byFile.size === 0 && other.length === 0) other.push(`tsc failed: ${err.message}`);
      resolve({ byFile, other });
    });
  });
}

/** Imports a block's module with console.log/info captured; returns the printed lines. */
async function run(b: CodeBlock): Promise<string[]> {
  const printed: string[] = [];
  const { log, info } = console;
  console.log = console.info = (...args: unknown[]) => void printed.push(...format(...args).split('\n').map((l) => l.trimEnd()));
  try {
    await import(pathToFileURL(modulePath(b)).href);
  } catch (e) {
    // Stack frames point into out/doctest/<name>.ts; name the Markdown line instead.
    const err = e instanceof Error ? e : new Error(String(e));
    const at = (s: string) => s.replaceAll(new RegExp(`(?:file://)?${modulePath(b).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`, 'g'), (_, l: string) => `${b.file}:${b.line + Number(l)}`);
    err.message = `${name(b)} threw: ${at(err.message)}`;
    if (err.stack) err.stack = at(err.stack);
    throw err;
  } finally {
    console.log = log;
    console.info = info;
  }
  return printed;
}

beforeAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const b of blocks) {
    // Every block is a module (top-level await, no names shared between blocks); lines are kept.
    const isModule = /^\s*(import|export)\s/m.test(b.code);
    writeFileSync(modulePath(b), `${b.code}\n${isModule ? '' : 'export {};\n'}`);
  }
  writeFileSync(
    join(outDir, 'tsconfig.json'),
    JSON.stringify({ extends: relative(outDir, join(root, 'tsconfig.check.json')), include: ['*.ts'] }, null, 2),
  );
  typeErrors = typeCheck();
});

describe('documentation code blocks', () => {
  it.each(blocks.map((b) => [name(b), b] as const))('%s', async (_, b) => {
    const problems: string[] = [];
    if (!isFragment(b)) {
      vi.resetModules(); // a fresh copy of every module: no state from the block before
      let printed: string[];
      try {
        printed = await run(b);
      } catch (e) {
        // Type errors usually say why a block threw: report them with it.
        const types = (await typeErrors).byFile.get(modulePath(b));
        if (types && e instanceof Error) e.message += `\n\ntype errors:\n${types.join('\n')}`;
        throw e;
      }
      const expected = expectedOutput(b.code);
      if (JSON.stringify(printed) !== JSON.stringify(expected.map((e) => e.text))) {
        problems.push(
          `${name(b)} printed what its // -> comments do not say.\n` +
            `expected (// -> lines):\n${expected.map((e) => `  ${b.file}:${b.line + 1 + e.line}: ${e.text}`).join('\n') || '  (nothing)'}\n` +
            `printed:\n${printed.map((l) => `  ${l}`).join('\n') || '  (nothing)'}`,
        );
      }
      // The copy of core the block ran with (modules were reset before it).
      const core = await import('@dynconv/core');
      if (!core.isGradEnabled()) problems.push(`${name(b)} left grad mode off`);
      if (core.tidyDepth() !== 0) problems.push(`${name(b)} left ${core.tidyDepth()} tidy scope(s) open`);
    }
    const types = await typeErrors;
    problems.push(...(types.byFile.get(modulePath(b)) ?? []));
    if (problems.length) expect.fail(problems.join('\n\n'));
  });

  it('type-check: no errors outside the blocks', async () => {
    const { other } = await typeErrors;
    if (other.length) expect.fail(`tsc over out/doctest/:\n${other.join('\n')}`);
  });
});

describe('Markdown links and anchors', () => {
  it.each(allMarkdown)('%s', (file) => {
    const broken = brokenLinks(root, file);
    if (broken.length) expect.fail(`broken links:\n${broken.join('\n')}`);
  });
});

describe('the Markdown reading itself', () => {
  it('slugs headings as GitHub does', () => {
    expect(slugify('GPU backend: `pnpm bench:gpu`')).toBe('gpu-backend-pnpm-benchgpu');
    expect(slugify('Soak: memory over a long run (`pnpm bench:soak`)')).toBe('soak-memory-over-a-long-run-pnpm-benchsoak');
    expect(slugify('Dy-ResNet18 and Dy-ResNet50 (`dyResnet18`, `dyResnet50`)')).toBe('dy-resnet18-and-dy-resnet50-dyresnet18-dyresnet50');
    expect(slugify('A [link](x.md) and **bold** snake_case')).toBe('a-link-and-bold-snake_case');
    expect([...anchors('# A\n\n## A\n\n```\n# not a heading\n```\nSetext\n---\n<a id="here"></a>')]).toEqual(['a', 'a-1', 'setext', 'here']);
  });

  it('reads fences, flags, indented blocks and // -> lines', () => {
    const blocks = codeBlocks('f.md', 'x\n```ts fragment\nlet a;\n```\n- item\n\n  ```ts\n  console.log(1); // -> 1\n  //               -> no\n  // ->   two\n  // ->\n  ```\n````sh\n```\n````');
    expect(blocks.map((b) => [b.line, b.lang, b.flags, b.code])).toEqual([
      [2, 'ts', ['fragment'], 'let a;'],
      [7, 'ts', [], 'console.log(1); // -> 1\n//               -> no\n// ->   two\n// ->'],
      [13, 'sh', [], '```'],
    ]);
    expect(expectedOutput(blocks[1]!.code)).toEqual([
      { text: '1', line: 0 },
      { text: '  two', line: 2 },
      { text: '', line: 3 },
    ]);
  });

  it('finds links outside code, with their lines', () => {
    const text = 'a [x](y.md#z) `[no](n.md)` ![i](img.png "t")\n```\n[no](n.md)\n```\n[ref]: r.md\n<a href="h.md">h</a> [web](https://e.org)';
    expect(links(text)).toEqual([
      { line: 1, target: 'y.md#z' },
      { line: 1, target: 'img.png' },
      { line: 5, target: 'r.md' },
      { line: 6, target: 'https://e.org' },
      { line: 6, target: 'h.md' },
    ]);
  });
});
