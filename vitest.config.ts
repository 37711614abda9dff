import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start servers and child processes; keep the 2-core CI machine responsive.
    maxWorkers: 2,
    server: {
      deps: {
        // It imports JSON without import attributes, which Node's ESM loader refuses.
        inline: ['@actions/workflow-parser'],
      },
    },
  },
});
