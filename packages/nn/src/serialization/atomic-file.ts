/**
 * Atomic file replacement: readers (and a crash at any moment) see either the old file or the
 * complete new one, never a torn write.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { markInFlight, removeStaleTemps, tempName } from './stale-temps.js';

/**
 * Writes `bytes` to `path` atomically: writes a temporary file in the same directory (so the
 * rename stays within one file system), flushes it to disk with fsync, then renames it over
 * `path`, and finally fsyncs the directory so the rename itself survives a crash (where the
 * platform allows). An existing file's permission bits are kept.
 *
 * On failure the temporary file is removed, `path` is left as it was, and the Error names the
 * file (the underlying error is its `cause`). Temporary files that earlier writes to `path`
 * left behind when their process was killed are removed first (see stale-temps.ts).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const target = resolve(path);
  const dir = dirname(target);
  // Hidden, unique per process and call, so concurrent writers never share a temp file.
  const temp = join(dir, tempName(basename(target), randomBytes(6).toString('hex')));
  const mode = await stat(target).then((s) => s.mode & 0o777, () => 0o666);
  let created = false;
  markInFlight(temp, true);
  removeStaleTemps(dir, basename(target));
  try {
    const handle = await open(temp, 'wx', mode); // 'x': never clobber a file we did not create
    created = true;
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    created = false;
  } catch (err) {
    if (created) await unlink(temp).catch(() => undefined);
    throw new Error(`writeFileAtomic: could not write '${path}': ${(err as Error).message}`, { cause: err });
  } finally {
    markInFlight(temp, false);
  }
  await syncDirectory(dir);
}

/** Makes a rename durable; some platforms (Windows) cannot open directories, which is fine. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: the data itself was already synced before the rename.
  }
}

/**
 * The synchronous twin of {@link writeFileAtomic}, for the moments when the process must not
 * yield before the file is safe (a Ctrl-C handler saving a checkpoint on the way out). Stale
 * temporary files of earlier writes to `path` are removed first, as there.
 */
export function writeFileAtomicSync(path: string, bytes: Uint8Array): void {
  const target = resolve(path);
  const dir = dirname(target);
  const temp = join(dir, tempName(basename(target), randomBytes(6).toString('hex')));
  removeStaleTemps(dir, basename(target));
  let mode = 0o666;
  try {
    mode = statSync(target).mode & 0o777;
  } catch {
    // no existing file: default permissions
  }
  let created = false;
  try {
    const fd = openSync(temp, 'wx', mode);
    created = true;
    try {
      writeFileSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
    created = false;
  } catch (err) {
    if (created) {
      try {
        unlinkSync(temp);
      } catch {
        // already gone
      }
    }
    throw new Error(`writeFileAtomic: could not write '${path}': ${(err as Error).message}`, { cause: err });
  }
}
