import { defineConfig } from 'vitest/config';

/**
 * The canary judge's unit tests alone, for mutation testing (test/unit/canary/stryker.config.json):
 * no global setup (these tests start no servers), nothing else of the suite.
 */
export default defineConfig({
  test: {
    include: ['test/unit/canary/*.test.ts'],
    maxWorkers: 1,
  },
});
