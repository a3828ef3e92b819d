// Type-checked with strict settings (module nodenext, a CommonJS file requiring the package).
import core = require('@dynconv/core');

const t: core.Tensor = core.zeros([2, 3]);
export const n: number = t.numel();
