/**
 * Cleaning up after interrupted saves. An atomic write goes through a temporary file
 * `.<name>.<pid>.<hex>.tmp` next to its target; a process killed mid-write (kill -9, power loss)
 * leaves it behind, and a training run that is killed again and again would fill the disk.
 * The next save to the same path removes the stale ones: those of processes that no longer
 * run, and this process's own that no write is using any more.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Temporary files this process is writing right now (concurrent async writes may share a target). */
const inFlight = new Set<string>();

/** The temporary file name of a write to `base` (a file name, no directory) by this process. */
export function tempName(base: string, hex: string): string {
  return `.${base}.${process.pid}.${hex}.tmp`;
}

/** Marks a temporary file as being written (true) or done with (false). */
export function markInFlight(path: string, writing: boolean): void {
  if (writing) inFlight.add(path);
  else inFlight.delete(path);
}

/** True when a process with this id exists (EPERM: it exists but is not ours to signal). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes the stale temporary files of writes to `dir/base`; returns their names. Best effort:
 * a file that cannot be listed or removed is left (the save itself must not fail because of it).
 */
export function removeStaleTemps(dir: string, base: string): string[] {
  const pattern = new RegExp(`^\\.${escape(base)}\\.([0-9]+)\\.[0-9a-f]+\\.tmp$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    const path = join(dir, name);
    const stale = pid === process.pid ? !inFlight.has(path) : !isAlive(pid);
    if (!stale) continue;
    try {
      unlinkSync(path);
      removed.push(name);
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}
