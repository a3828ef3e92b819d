/**
 * safetensors files on disk (Node only): encode/decode plus atomic writes.
 */
import { readFile } from 'node:fs/promises';
import type { Tensor } from '@dynconv/core';
import type { LoadOptions, LoadResult, Module } from '../module.js';
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

/**
 * Saves a module's parameters and buffers under their PyTorch-style dotted keys, so
 * `torch`'s `safetensors.torch.load_file` + `load_state_dict` reads them (and vice versa).
 */
export async function saveStateDict(path: string, module: Module<never[], unknown>): Promise<void> {
  await saveSafetensors(path, module.stateDict());
}

/**
 * Loads a safetensors file into `module` (strict by default: every missing key, unexpected key
 * and shape mismatch in one error; nothing is changed on failure).
 */
export async function loadStateDict(path: string, module: Module<never[], unknown>, opts: LoadOptions = {}): Promise<LoadResult> {
  const { tensors } = await loadSafetensors(path);
  try {
    return module.loadStateDict(tensors, opts);
  } catch (err) {
    throw new Error(`loadStateDict: '${path}': ${(err as Error).message}`, { cause: err });
  }
}
