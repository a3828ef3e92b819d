import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packages = fileURLToPath(new URL('./packages/', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the sources, so every suite shares one copy of each package (one
    // Tensor class, one kernel registry) and no build is needed first.
    alias: [
      { find: /^@dynconv\/([a-z]+)\/node$/, replacement: `${packages}$1/src/node.ts` },
      { find: /^@dynconv\/([a-z]+)$/, replacement: `${packages}$1/src/index.ts` },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // An X display (Xvfb) for headless-gl, when the machine has Xvfb and no display.
    globalSetup: ['test/setup/display.ts'],
    // Property tests build many small graphs; give slow CI machines room.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'threads',
  },
});
