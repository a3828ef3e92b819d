// Vite settings of the playground. tools/playground/build.ts (pnpm demo:build) runs Vite with
// this file after writing public-generated/; `npx vite` here serves it for development.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  // Relative URLs: the site works from any folder of any static server.
  base: './',
  // The generated files (trained nets, MNIST subset), copied as they are.
  publicDir: 'public-generated',
  build: {
    outDir: '../../out/playground',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    // gpu.js's browser build is about 600 kB; it loads in the worker only, when asked for.
    chunkSizeWarningLimit: 1000,
  },
  worker: { format: 'es' },
});
