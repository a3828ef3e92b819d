/**
 * safetensors files on disk (Node only): encode/decode plus atomic writes.
 */
import { readFile } from 'node:fs/promises';
import type { Tensor } from '@dynconv/core';
import { writeFileAtomic } from './atomic-file.js';
import { type DecodedSafetensors, decodeSafetensors, encodeSafetensors } from './safetensors.js';

/**
 * Saves tensors (and optional string metadata) as a safetensors file, atomically: the file at
 * `path` is either left as it was or holds the complete new contents.
 * See {@link encodeSafetensors} for the layout and what is refused.
 */
export async function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = encodeSafetensors(tensors, metadata);
  } catch (err) {
    throw new Error(`saveSafetensors: '${path}': ${(err as Error).message}`, { cause: err });
  }
  await writeFileAtomic(path, bytes);
}

/**
 * Loads a safetensors file. Errors (unreadable or malformed file) name the file; see
 * {@link decodeSafetensors} for what is read and what is refused.
 */
export async function loadSafetensors(path: string): Promise<DecodedSafetensors> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new Error(`loadSafetensors: could not read '${path}': ${(err as Error).message}`, { cause: err });
  }
  try {
    return decodeSafetensors(bytes);
  } catch (err) {
    throw new Error(`loadSafetensors: '${path}': ${(err as Error).message}`, { cause: err });
  }
}
