/**
 * Two copies of @dynconv/core in one program (a version mismatch under the peer dependency, or
 * a bundler resolving two paths): their errors must say so. The second copy is the built dist,
 * copied to a temporary folder and imported from there, next to the sources vitest runs.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_VERSION, getBackend, linear, loadedCopies, relu, tensor } from '../src/index.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
type Core = typeof import('../src/index.js');

describe('two copies of @dynconv/core', () => {
  let dir = '';
  let other: Core;

  beforeAll(async () => {
    if (!existsSync(join(pkgDir, 'dist/index.js'))) throw new Error('packages/core/dist is missing: run `npx tsc -b` first');
    dir = mkdtempSync(join(tmpdir(), 'dynconv-second-core-'));
    cpSync(join(pkgDir, 'dist'), join(dir, 'dist'), { recursive: true });
    cpSync(join(pkgDir, 'package.json'), join(dir, 'package.json'));
    other = (await import(pathToFileURL(join(dir, 'dist/index.js')).href)) as Core;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the version constant is the package version', () => {
    expect(CORE_VERSION).toBe(JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version);
  });

  it('each copy records itself under a global symbol', () => {
    const here = loadedCopies();
    expect(here).toHaveLength(2);
    expect(here[1]!.location).toBe(pathToFileURL(join(dir, 'dist/')).href);
    expect(other.loadedCopies()[0]!.location).toBe(here[1]!.location);
  });

  it("a tensor of the other copy is named as such, with both copies' locations", () => {
    const foreign = other.tensor([[1, -2]]);
    expect(() => relu(foreign as never)).toThrow(/relu: .*is a Tensor from another copy of @dynconv\/core: two copies of @dynconv\/core are loaded: 0\.1\.0 at file:.*; 0\.1\.0 at file:.*dynconv-second-core-.*; deduplicate/);
    expect(() => linear(foreign as never, tensor([[1, 2]]))).toThrow(/two copies of @dynconv\/core are loaded/);
    expect(() => other.relu(tensor([1]) as never)).toThrow(/another copy of @dynconv\/core/);
  });

  it('a value that is no tensor at all gets the plain message', () => {
    expect(() => relu({ shape: [1] } as never)).toThrow(/^relu: argument .* must be a Tensor, got object$/);
  });

  it('a backend registered with one copy is unknown to the other, and the error says why', () => {
    expect(() => getBackend('only-in-the-other-copy')).toThrow(/no backend named 'only-in-the-other-copy'.*two copies of @dynconv\/core are loaded/);
  });
});
