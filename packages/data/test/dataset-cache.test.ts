import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDatasetCache, defaultCacheDir, readDatasetCache, writeDatasetCache } from '../src/node.js';
import { randomUint8Dataset } from './helpers.js';

describe('binary dataset cache', () => {
  let dir = '';
  const train = randomUint8Dataset(30, [1, 4, 3], 5);
  const test = randomUint8Dataset(7, [1, 4, 3], 6);
  let bytes = new Uint8Array(0);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dynconv-cache-'));
    await writeDatasetCache(join(dir, 'c.bin'), { train, test }, 'source-A');
    bytes = await readFile(join(dir, 'c.bin'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips the datasets and leaves no temporary file behind', async () => {
    const r = await readDatasetCache(join(dir, 'c.bin'), 'source-A');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    for (const [name, ds] of Object.entries({ train, test })) {
      const got = r.datasets[name]!;
      expect([got.length, got.channels, got.height, got.width, got.numClasses]).toEqual([ds.length, 1, 4, 3, 10]);
      expect(got.images).toEqual(ds.images);
      expect(got.labels).toEqual(ds.labels);
    }
    expect(await readdir(dir)).toEqual(['c.bin']);
  });

  const corrupt = (f: (b: Uint8Array) => Uint8Array) => f(Uint8Array.from(bytes));
  const flip = (at: (b: Uint8Array) => number) => (b: Uint8Array) => {
    b[at(b)] ^= 0x40;
    return b;
  };
  const cases: [string, () => Uint8Array, string, RegExp][] = [
    ['a missing file', () => new Uint8Array(0), 'source-A', /truncated/],
    ['a flipped payload byte', () => corrupt(flip((b) => b.length - 5)), 'source-A', /payload checksum mismatch/],
    ['a flipped header byte', () => corrupt(flip(() => 30)), 'source-A', /header checksum mismatch/],
    ['a bad magic number', () => corrupt(flip(() => 0)), 'source-A', /bad magic/],
    ['another format version', () => corrupt(flip(() => 8)), 'source-A', /format version/],
    ['a truncated file', () => bytes.subarray(0, bytes.length - 1), 'source-A', /payload bytes, the header says/],
    ['a cut header', () => bytes.subarray(0, 40), 'source-A', /header length/],
    ['extra bytes', () => Uint8Array.from([...bytes, 0]), 'source-A', /payload bytes, the header says/],
    ['another source', () => bytes, 'source-B', /built from "source-A", expected "source-B"/],
  ];
  it.each(cases)('refuses %s, saying why', (_, make, source, reason) => {
    const r = decodeDatasetCache(make(), source);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('reports a missing file', async () => {
    const r = await readDatasetCache(join(dir, 'none.bin'), 'source-A');
    expect(r).toEqual({ ok: false, reason: 'no cache file' });
  });

  it('replaces a corrupt file atomically on rewrite', async () => {
    const path = join(dir, 'rewrite.bin');
    await writeFile(path, 'garbage');
    await writeDatasetCache(path, { test }, 'source-A');
    expect((await readDatasetCache(path, 'source-A')).ok).toBe(true);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('defaults to node_modules/.cache/dynconv (ignored by git), or $DYNCONV_CACHE_DIR', () => {
    const saved = process.env.DYNCONV_CACHE_DIR;
    try {
      delete process.env.DYNCONV_CACHE_DIR;
      expect(defaultCacheDir()).toMatch(/node_modules[/\\]\.cache[/\\]dynconv$/);
      process.env.DYNCONV_CACHE_DIR = dir;
      expect(defaultCacheDir()).toBe(dir);
    } finally {
      if (saved === undefined) delete process.env.DYNCONV_CACHE_DIR;
      else process.env.DYNCONV_CACHE_DIR = saved;
    }
  });
});
