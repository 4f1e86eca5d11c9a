import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/moto-server.ts'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
