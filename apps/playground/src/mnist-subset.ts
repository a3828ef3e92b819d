/**
 * Fetches the playground's MNIST subset (IDX files, gzip, written by the build step) into an
 * ImageDataset: the browser-side counterpart of @dynconv/data/node's loadMnist.
 */
import { type ImageDataset, imageDatasetFromIdx, isGzip, parseIdx } from '@dynconv/data';

/** The bytes at `url`, gunzipped when they are gzip (a server may already have decoded them). */
async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} (was the site built with pnpm demo:build?)`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (!isGzip(bytes)) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** An MNIST split from its image and label files. */
export async function fetchMnist(imagesUrl: string, labelsUrl: string, name: string): Promise<ImageDataset> {
  const [images, labels] = await Promise.all([fetchBytes(imagesUrl), fetchBytes(labelsUrl)]);
  return imageDatasetFromIdx(parseIdx(images, imagesUrl), parseIdx(labels, labelsUrl), { imagesFile: imagesUrl, labelsFile: labelsUrl, numClasses: 10, name });
}
