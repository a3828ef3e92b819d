/**
 * The playground's generated files (apps/playground/public-generated/, git-ignored; Vite copies
 * them into the site):
 *
 *   weights/dy-cnn.safetensors, weights/static-cnn.safetensors  the default nets: the Dy-CNN and
 *       its static twin, trained by tools/train.ts on an MNIST subset, converted to playground
 *       weights (state dict + config; the checkpoint's optimizer state dropped)
 *   mnist/{train,test}-{images,labels}.idx.gz  the subset the Train tab trains on (IDX, gzip)
 *   manifest.json  what the page needs to know about all of it
 *
 * Training is the slow part (tens of seconds per net here), so its checkpoints are cached in
 * out/playground-cache/<net>-<key>/, the key a hash of the trainer's flags and of the net's
 * source (tools/models/dy-cnn.ts): a second build reuses them, a changed setting retrains.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx, limitDataset, type ImageDataset } from '@dynconv/data';
import { loadMnist } from '@dynconv/data/node';
import type { Manifest } from '../../apps/playground/src/manifest.js';
import { buildModel, decodeWeights, encodeWeights } from '../../apps/playground/src/model.js';

/** The trainer's settings for the default nets (the rest are its defaults: AdamW, cosine, batch 64). */
export const TRAINER = { limit: 12000, testLimit: 2000, epochs: 1, seed: 0 } as const;
/** The same as tools/train.ts flags. */
export const TRAINER_FLAGS = ['--limit', `${TRAINER.limit}`, '--test-limit', `${TRAINER.testLimit}`, '--epochs', `${TRAINER.epochs}`, '--seed', `${TRAINER.seed}`];
/** The two default nets: file name and tools/train.ts `--model`. */
export const NETS = [
  { file: 'dy-cnn.safetensors', model: 'dynamic' },
  { file: 'static-cnn.safetensors', model: 'static' },
] as const;
/** Images of the in-page training subset (the first N of each MNIST split). */
export const SUBSET = { train: 6000, test: 1000 } as const;

export interface AssetsResult {
  dir: string;
  /** Seconds spent training (0 when the cache had both nets). */
  trainSeconds: number;
  cached: boolean;
  /** The trainer's checkpoints in the cache, by --model. */
  checkpoints: Record<(typeof NETS)[number]['model'], string>;
}

/**
 * Writes apps/playground/public-generated/ under `root`, training the nets only when the cache
 * lacks them. `log` gets a line per step.
 */
export async function buildAssets(root: string, log: (line: string) => void = () => {}): Promise<AssetsResult> {
  const dir = join(root, 'apps/playground/public-generated');
  const netSource = readFileSync(join(root, 'tools/models/dy-cnn.ts'));
  const runs = NETS.map((net) => {
    const flags = ['--model', net.model, ...TRAINER_FLAGS];
    const key = createHash('sha256').update(JSON.stringify(flags)).update(netSource).digest('hex').slice(0, 12);
    return { ...net, flags, out: join(root, 'out/playground-cache', `${net.model}-${key}`) };
  });
  const missing = runs.filter((r) => !existsSync(join(r.out, 'done')));
  const started = performance.now();
  // Both nets at once: the machine has two cores and the trainer uses one.
  await Promise.all(missing.map((r) => train(root, r.flags, r.out, log)));
  const trainSeconds = missing.length ? (performance.now() - started) / 1000 : 0;
  if (!missing.length) log('playground: trained nets found in out/playground-cache/ (delete it to retrain)');

  mkdirSync(join(dir, 'weights'), { recursive: true });
  for (const r of runs) {
    const weights = decodeWeights(readFileSync(join(r.out, 'checkpoint.safetensors')));
    const model = buildModel(weights);
    const info = { ...weights.info, source: `trained by tools/train.ts on ${TRAINER.limit} MNIST images, ${TRAINER.epochs} epoch${TRAINER.epochs === 1 ? '' : 's'}`, testImages: TRAINER.testLimit };
    writeFileSync(join(dir, 'weights', r.file), encodeWeights(model, info));
  }

  mkdirSync(join(dir, 'mnist'), { recursive: true });
  const mnist = {} as Manifest['mnist'];
  let example: Manifest['example'] | undefined;
  for (const split of ['train', 'test'] as const) {
    const ds = limitDataset(await loadMnist(split), SUBSET[split]);
    const images = `mnist/${split}-images.idx.gz`;
    const labels = `mnist/${split}-labels.idx.gz`;
    writeFileSync(join(dir, images), gzipSync(encodeIdx({ dtype: 'uint8', shape: [ds.length, ds.height, ds.width], data: ds.images as Uint8Array })));
    writeFileSync(join(dir, labels), gzipSync(encodeIdx({ dtype: 'uint8', shape: [ds.length], data: Uint8Array.from(ds.labels) })));
    mnist[split] = { images, labels, count: ds.length };
    if (split === 'test') example = exampleDigit(ds);
  }
  const manifest: Manifest = {
    weights: { dynamic: `weights/${NETS[0].file}`, static: `weights/${NETS[1].file}` },
    mnist,
    example: example!,
    trainer: `tools/train.ts ${TRAINER_FLAGS.join(' ')}`,
  };
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const checkpoints = Object.fromEntries(runs.map((r) => [r.model, join(r.out, 'checkpoint.safetensors')])) as AssetsResult['checkpoints'];
  return { dir, trainSeconds, cached: missing.length === 0, checkpoints };
}

/** Test image 0 (a 7): a digit the nets know, for the page's first prediction. */
function exampleDigit(ds: ImageDataset): Manifest['example'] {
  const { image, label } = ds.get(0);
  return { label, pixels: Buffer.from(image as Uint8Array).toString('base64') };
}

/** Runs tools/train.ts into `out`, marking it done only when the trainer finished. */
function train(root: string, flags: readonly string[], out: string, log: (line: string) => void): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const args = ['tools/train.ts', ...flags, '--out', out];
  log(`playground: training  tsx ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, 'node_modules/.bin/tsx'), args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (d: Buffer) => {
      output += d;
      for (const line of String(d).split('\n')) if (/^(done|epoch \d+\/\d+:)/.test(line)) log(`  ${flags[1]}: ${line}`);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`tools/train.ts ${flags.join(' ')} exited with code ${code}:\n${output.slice(-2000)}`));
      writeFileSync(join(out, 'done'), `${args.join(' ')}\n`);
      resolve();
    });
  });
}
