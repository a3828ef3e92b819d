/**
 * `pnpm docs:api`: the HTML API reference built by typedoc from the TSDoc (typedoc.json at the
 * root, one typedoc.json per package). CI's rule is that it builds without a single warning
 * (`treatWarningsAsErrors`, with `notDocumented`, `notExported` and `invalidLink` on), so an
 * exported symbol without TSDoc fails here. Each package gets a page whose front matter is its
 * README, and a package with several entries (`exports`) a module per entry.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
// typedoc reads the packages' sources, but one package's imports of another resolve to that
// package's declarations in dist/ (project references), so they must be built; `pnpm test`
// builds first, and this makes the file work on its own too (a no-op when up to date).
const BUILD_TIMEOUT = 180_000;
// About 20 s on the 2-core project machine when alone; CI runs other suites beside it.
const TYPEDOC_TIMEOUT = 300_000;

interface PackageInfo {
  dir: string;
  name: string;
  entries: string[];
  readme: string;
}

const packages: PackageInfo[] = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'packages', d.name, 'package.json')))
  .map((d) => {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', d.name, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown> };
    // Code entries only: './package.json' is exported for tools that read the manifest, and has no module.
    const entries = Object.keys(pkg.exports ?? { '.': null }).filter((k) => !k.endsWith('.json')).map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.replace(/^\.\//, '')}`));
    return { dir: d.name, name: pkg.name, entries, readme: readFileSync(join(root, 'packages', d.name, 'README.md'), 'utf8') };
  });

/** Markdown of one line as the page shows it: code spans, links and emphasis reduced to their text. */
function markdownText(line: string): string {
  return line.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*_]/g, '').replace(/\s+/g, ' ').trim();
}

/** An HTML page's text: tags dropped, the usual entities decoded, whitespace collapsed. */
function htmlText(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;|&#x27;/g, "'").replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/** The README's first heading, and the first line of the paragraph after it. */
function readmeMarks(readme: string): { heading: string; firstLine: string } {
  const lines = readme.split('\n');
  const h = lines.findIndex((l) => /^#\s/.test(l));
  const firstLine = lines.slice(h + 1).find((l) => l.trim() !== '' && !l.startsWith('#') && !l.startsWith('```'));
  return { heading: markdownText(lines[h]!.replace(/^#\s+/, '')), firstLine: markdownText(firstLine ?? '') };
}

describe('pnpm docs:api (typedoc)', () => {
  let out = '';
  let log = '';
  let exitCode = 0;

  beforeAll(async () => {
    await run(bin('tsc'), ['-b'], { cwd: root, timeout: BUILD_TIMEOUT, maxBuffer: 16 << 20 });
    out = mkdtempSync(join(tmpdir(), 'dynconv-api-docs-'));
    try {
      const r = await run(bin('typedoc'), ['--out', out], { cwd: root, timeout: TYPEDOC_TIMEOUT, maxBuffer: 64 << 20, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
      log = r.stdout + r.stderr;
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string; message: string };
      exitCode = typeof err.code === 'number' ? err.code : 1;
      log = `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message;
    }
  }, BUILD_TIMEOUT + TYPEDOC_TIMEOUT);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('runs on TypeScript 5.9 (typedoc 0.28 needs its JS API), while the repo compiles with 7.x', async () => {
    const { stdout } = await run(bin('typedoc'), ['--version'], { cwd: root });
    expect(stdout).toMatch(/TypeDoc 0\.28\./);
    expect(stdout).toMatch(/TypeScript 5\.9\./);
    const tsc = await run(bin('tsc'), ['--version'], { cwd: root });
    expect(tsc.stdout).toMatch(/Version 7\./);
  });

  it('builds with exit code 0 and no warning (an undocumented export is one)', () => {
    const clean = log.replace(/\x1b\[[0-9;]*m/g, '');
    expect(exitCode, clean).toBe(0);
    expect(clean).not.toMatch(/warning/i);
    expect(clean).not.toMatch(/\berror\b/i);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
  });

  it('finds every package', () => {
    expect(packages.map((p) => p.dir).sort()).toEqual(expect.arrayContaining(['core', 'data', 'gpu', 'models', 'nn']));
  });

  describe.each(packages.map((p) => [p.name, p] as const))('%s', (_name, p) => {
    const page = () => join(out, 'modules', `${p.name.replace(/[@/]/g, '_')}.html`);

    it('has a page whose front matter is its README', () => {
      expect(existsSync(page()), `${page()} (the package's page)`).toBe(true);
      const text = htmlText(readFileSync(page(), 'utf8'));
      const { heading, firstLine } = readmeMarks(p.readme);
      expect(heading.length).toBeGreaterThan(0);
      expect(firstLine.length).toBeGreaterThan(0);
      expect(text).toContain(heading);
      expect(text).toContain(firstLine);
    });

    it('documents every entry point of its exports', () => {
      if (p.entries.length === 1) return; // a single entry is the package page itself
      const html = readFileSync(page(), 'utf8');
      for (const entry of p.entries) expect(html, entry).toMatch(new RegExp(`<a href="[^"]+">${entry.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}</a>`));
    });
  });
});
