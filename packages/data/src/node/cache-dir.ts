/**
 * Where derived data (the Fashion-MNIST binary cache) is kept: `$DYNCONV_CACHE_DIR`, else
 * `node_modules/.cache/dynconv` of the nearest folder above the working directory that has
 * a node_modules (the find-cache-dir convention: ignored by git, removed with the
 * dependencies), else the system temporary folder.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The folder caches go in by default (see the module comment). */
export function defaultCacheDir(): string {
  const fromEnv = process.env.DYNCONV_CACHE_DIR;
  if (fromEnv) return resolve(fromEnv);
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'dynconv');
    if (dirname(dir) === dir) break;
  }
  return join(tmpdir(), 'dynconv-cache');
}
