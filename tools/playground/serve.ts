/**
 * A static file server for the playground's site (pnpm demo), also used by
 * test/playground.test.ts. By default it sends the cross-origin isolation headers (COOP/COEP),
 * under which the page gets SharedArrayBuffer (and the CPU backend its shared WebAssembly
 * memory); the site works without them too, as from any static server.
 *
 * Usage: tsx tools/playground/serve.ts [--port N] [--no-build] [--no-isolation]
 *   builds the site (tools/playground/build.ts) unless --no-build, then serves out/playground/
 *   and prints the URL.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.gz': 'application/gzip',
};

/** Serves `dir` on 127.0.0.1 (`port` 0: any free one); resolves once listening. */
export function serveStatic(dir: string, opts: { port?: number; host?: string; isolation?: boolean } = {}): Promise<Server> {
  const base = resolve(dir);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = resolve(base, `.${path.endsWith('/') ? `${path}index.html` : path}`);
    // No way out of the folder.
    if (file !== base && !file.startsWith(base + sep)) return void res.writeHead(403).end();
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      const body = await readFile(file);
      const headers: Record<string, string> = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' };
      if (opts.isolation ?? true) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
      res.writeHead(200, headers).end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => ok(server));
  });
}

/** http://host:port/ of a listening server. */
export function urlOf(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  return `http://${address}:${port}/`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '5173' }, 'no-build': { type: 'boolean' }, 'no-isolation': { type: 'boolean' } } });
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const dir = join(root, 'out/playground');
  if (!values['no-build']) {
    const { buildPlayground } = await import('./build.js');
    await buildPlayground(dir);
  }
  const port = Number(values.port);
  const server = await serveStatic(dir, { port, isolation: !values['no-isolation'] }).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EADDRINUSE') throw e;
    console.log(`port ${port} is taken; using a free one`);
    return serveStatic(dir, { port: 0, isolation: !values['no-isolation'] });
  });
  console.log(`playground: ${urlOf(server)}  (Ctrl-C to stop)`);
}
