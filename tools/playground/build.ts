/**
 * Builds the playground (apps/playground) into a static site, `out/playground/` by default:
 * compiles the packages (Vite bundles their dist/, what npm would ship), writes the generated
 * files (tools/playground/assets.ts: trained nets, cached, and the MNIST subset), then runs Vite.
 * The site needs no server-side logic: any static file server, or none beyond localhost, works
 * offline.
 *
 * Usage: tsx tools/playground/build.ts [outDir]   (pnpm demo:build)
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { type AssetsResult, buildAssets } from './assets.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Seconds per phase of a build. */
export interface BuildTimes {
  tsc: number;
  assets: number;
  train: number;
  vite: number;
}

/** Builds the site into `outDir`; returns its folder and what each phase took. */
export async function buildPlayground(outDir = resolve(root, 'out/playground'), log: (line: string) => void = console.log): Promise<{ outDir: string; times: BuildTimes; checkpoints: AssetsResult['checkpoints'] }> {
  const clock = () => performance.now() / 1000;
  let t = clock();
  execFileSync(resolve(root, 'node_modules/.bin/tsc'), ['-b'], { cwd: root, stdio: 'inherit' });
  const tsc = clock() - t;
  t = clock();
  const assets = await buildAssets(root, log);
  const assetsSeconds = clock() - t;
  t = clock();
  await build({
    configFile: resolve(root, 'apps/playground/vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  const vite = clock() - t;
  return { outDir, times: { tsc, assets: assetsSeconds, train: assets.trainSeconds, vite }, checkpoints: assets.checkpoints };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outDir, times } = await buildPlayground(process.argv[2] ? resolve(process.argv[2]) : undefined);
  const f = (s: number) => `${s.toFixed(1)} s`;
  console.log(`wrote ${outDir}/ (tsc ${f(times.tsc)}, assets ${f(times.assets)}${times.train ? `, of which training ${f(times.train)}` : ''}, vite ${f(times.vite)})`);
  console.log('serve it with pnpm demo, or any static file server, e.g. python3 -m http.server -d out/playground');
}
