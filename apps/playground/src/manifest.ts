/**
 * manifest.json: what the build step (tools/playground/assets.ts) generated for the page, with
 * paths relative to the site's root.
 */
export interface Manifest {
  /** Playground weights of the default nets. */
  weights: { dynamic: string; static: string };
  /** The MNIST subset the Train tab trains on (IDX files, gzip). */
  mnist: Record<'train' | 'test', { images: string; labels: string; count: number }>;
  /** One MNIST test digit (784 bytes, base64) shown before anything is drawn. */
  example: { label: number; pixels: string };
  /** The trainer command the default nets came from. */
  trainer: string;
}

/** The manifest next to the page. */
export async function fetchManifest(base: URL): Promise<Manifest> {
  const res = await fetch(new URL('manifest.json', base));
  if (!res.ok) throw new Error(`manifest.json: HTTP ${res.status}; build the site with pnpm demo:build`);
  return (await res.json()) as Manifest;
}

/** Bytes of a file of the site. */
export async function fetchBytes(path: string, base: URL): Promise<Uint8Array> {
  const res = await fetch(new URL(path, base));
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The example digit's pixels. */
export function examplePixels(m: Manifest): Uint8Array {
  return Uint8Array.from(atob(m.example.pixels), (c) => c.charCodeAt(0));
}
