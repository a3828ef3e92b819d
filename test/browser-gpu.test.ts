/**
 * The gpu backend in a real browser: builds the packages' browser bundle, serves it with a page
 * (test/browser/) on localhost, opens the page in headless Chromium through playwright-core and
 * checks the gpu package's parity subset, run by the page in webgl2 mode (forward and gradients
 * vs the CPU backend).
 *
 * Needs Debian's chromium (/usr/bin/chromium, or $CHROMIUM_PATH). Without it the suite is
 * skipped, unless DYNCONV_BROWSER=required (CI), where a missing browser fails it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrowserBundle } from '../tools/browser/build.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const required = process.env.DYNCONV_BROWSER === 'required';
const available = existsSync(chromiumPath);

interface ParityResult {
  mode: string;
  chosenMode?: string;
  renderer?: string;
  error?: string;
  fallbacks?: Record<string, number>;
  cases: { name: string; ok: boolean; error?: string; maxAbsDiff: number }[];
}

/** Serves the page and the bundle, with the cross-origin isolation headers webasm threads need. */
function serve(files: Record<string, string>): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'http://x').pathname);
    const file = files[path === '/' ? '/index.html' : path];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    const type = file.endsWith('.html') ? 'text/html' : 'text/javascript';
    res.writeHead(200, { 'content-type': type, 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    res.end(await readFile(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(!available && !required)('gpu backend in headless Chromium (webgl2)', () => {
  let server: Server | undefined;
  let result: ParityResult;

  beforeAll(async () => {
    if (!available) throw new Error(`DYNCONV_BROWSER=required but no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`);
    const bundle = await buildBrowserBundle(join(root, 'out/browser-test'));
    server = await serve({
      '/index.html': join(root, 'test/browser/index.html'),
      '/parity.js': join(root, 'test/browser/parity.js'),
      '/dynconv.js': bundle,
    });
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      const { port } = server.address() as AddressInfo;
      await page.goto(`http://127.0.0.1:${port}/?mode=webgl2`);
      await page.waitForFunction(() => (globalThis as { __parity?: unknown }).__parity !== undefined, undefined, { timeout: 240_000 }).catch((e) => {
        throw new Error(`the page never finished: ${e}; page errors: ${errors.join('; ') || 'none'}`);
      });
      result = (await page.evaluate(() => (globalThis as { __parity?: unknown }).__parity)) as ParityResult;
    } finally {
      await browser.close();
    }
  }, 300_000);

  afterAll(() => {
    server?.close();
  });

  it('runs in webgl2 mode and reports its renderer', () => {
    console.info(`browser gpu backend: mode ${result.chosenMode}, renderer ${result.renderer}; CPU fallbacks: ${JSON.stringify(result.fallbacks ?? {})}`);
    expect(result.error).toBeUndefined();
    expect(result.chosenMode).toBe('webgl2');
    expect(result.renderer).toMatch(/\S/);
  });

  it('matches the CPU backend, forward and gradients, in every case', () => {
    expect(result.cases.length).toBeGreaterThanOrEqual(10);
    const failed = result.cases.filter((c) => !c.ok).map((c) => `${c.name}: ${c.error}`);
    expect(failed).toEqual([]);
  });
});
