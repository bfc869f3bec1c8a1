import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['contract/**/*.test.ts', 'reference-api/**/*.test.ts', 'simulators/**/*.test.ts', 'harness/**/*.test.ts', 'bench/**/*.test.ts', 'reports/**/*.test.ts', 'scenarios/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
