import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Property tests build many small graphs; give slow CI machines room.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'threads',
  },
});
