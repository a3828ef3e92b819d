/**
 * @dynconv/nn/node: the parts that touch the file system (safetensors files, checkpoints),
 * written atomically.
 * @packageDocumentation
 */
export {};
