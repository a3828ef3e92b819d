/**
 * The browser bundle's entry: every package that runs in a browser, as one ES module.
 * `import { tensor, nn, gpu } from './dynconv.js'` on a page.
 */
export * from '@dynconv/core';
export * as nn from '@dynconv/nn';
export * as gpu from '@dynconv/gpu';
