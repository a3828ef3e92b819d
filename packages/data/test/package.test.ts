import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as browser from '../src/index.js';
import * as node from '../src/node.js';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Every module the file imports, transitively (relative imports followed, bare ones collected). */
function importGraph(entry: string): { files: string[]; external: Set<string> } {
  const files: string[] = [];
  const external = new Set<string>();
  const visit = (file: string): void => {
    if (files.includes(file)) return;
    files.push(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else external.add(spec);
    }
  };
  visit(entry);
  return { files, external };
}

describe('package entries', () => {
  it('the browser entry imports nothing but @dynconv/core (no fs, zlib, path...)', () => {
    const { files, external } = importGraph(join(src, 'index.ts'));
    expect(files.length).toBeGreaterThan(5);
    expect([...external]).toEqual(['@dynconv/core']);
    expect(files.some((f) => f.includes('/node/'))).toBe(false);
  });

  it('the node entry re-exports the browser one and adds the file loaders', () => {
    const { external } = importGraph(join(src, 'node.ts'));
    expect([...external].every((s) => s === '@dynconv/core' || s.startsWith('node:'))).toBe(true);
    for (const name of Object.keys(browser)) expect(node).toHaveProperty(name);
    for (const name of ['loadMnist', 'loadFashionMnist', 'readIdxFile', 'writeFileAtomic']) expect(typeof (node as Record<string, unknown>)[name]).toBe('function');
    for (const name of ['loadMnist', 'readIdxFile']) expect(browser).not.toHaveProperty(name);
  });

  it('package.json maps "." and "./node" to the built entries', () => {
    const pkg = JSON.parse(readFileSync(join(src, '..', 'package.json'), 'utf8')) as { exports: Record<string, { import: string; types: string }>; sideEffects: boolean };
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js', default: './dist/index.js' });
    expect(pkg.exports['./node']).toEqual({ types: './dist/node.d.ts', import: './dist/node.js', default: './dist/node.js' });
    expect(pkg.sideEffects).toBe(false);
  });
});
