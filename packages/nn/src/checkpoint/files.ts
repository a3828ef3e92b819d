import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../serialization/atomic-file.js';
import { type Checkpoint, type CheckpointState, decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';

/**
 * Writes a checkpoint atomically (temp file, fsync, rename), synchronously so a Ctrl-C
 * handler can save on the way out.
 */
export function saveCheckpoint(path: string, state: CheckpointState): void {
  writeFileAtomicSync(path, encodeCheckpoint(state));
}

/** Reads and validates a checkpoint; errors name the file. */
export function loadCheckpoint(path: string): Checkpoint {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`loadCheckpoint: cannot read '${path}': ${(e as Error).message}`);
  }
  try {
    return decodeCheckpoint(bytes);
  } catch (e) {
    throw new Error(`loadCheckpoint: '${path}': ${(e as Error).message}`);
  }
}
