// Type-checked with strict settings (module nodenext, a CommonJS file requiring the package).
import testing = require('@dynconv/testing');

const opts: testing.CloseOptions = { rtol: 1e-6 };
testing.expectClose([1, 2], [1, 2], opts);
export const n: number = testing.numRuns(2);
