import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/moto-server.ts'],
    // Hang guards, not pacing: tests wait for conditions, and these limits only end a test that
    // would never finish. They are generous so that a busy machine slows the suite but never fails it.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    pool: 'forks',
  },
});
