/**
 * @dynconv/nn/node: the parts that touch the file system (safetensors files, checkpoints),
 * written atomically.
 * @packageDocumentation
 * @module @dynconv/nn/node
 */
export { writeFileAtomic } from './serialization/atomic-file.js';
export { saveSafetensors, loadSafetensors, saveStateDict, loadStateDict } from './serialization/files.js';
export { writeFileAtomicSync } from './serialization/atomic-file.js';
export { saveCheckpoint, loadCheckpoint } from './checkpoint/files.js';
