/**
 * Writing a file so that readers see either the old file or the complete new one, never a
 * partial write: write a uniquely named temporary file next to it, flush it, rename it over.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes `chunks` to `path` atomically, creating the folder if needed. */
export async function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'w');
    try {
      for (const chunk of chunks) {
        // write() may write less than asked; loop until the chunk is out.
        for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off)).bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
