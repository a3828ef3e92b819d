/**
 * Builds the browser bundle: `out/browser/dynconv.js`, one ES module with @dynconv/core,
 * @dynconv/nn (as `nn`) and @dynconv/gpu (as `gpu`, with gpu.js's browser build inside).
 * Bundles the packages' built `dist/` (run `tsc -b` first), so the page runs what npm would ship.
 *
 * Usage: tsx tools/browser/build.ts [outDir]
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Builds the bundle into `outDir` (default out/browser); returns the bundle's path. */
export async function buildBrowserBundle(outDir = resolve(root, 'out/browser')): Promise<string> {
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    build: {
      lib: { entry: resolve(root, 'tools/browser/bundle.ts'), formats: ['es'], fileName: () => 'dynconv.js' },
      outDir,
      emptyOutDir: true,
      minify: false,
      target: 'es2022',
      reportCompressedSize: false,
    },
  });
  return resolve(outDir, 'dynconv.js');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildBrowserBundle(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`wrote ${out}`);
}
