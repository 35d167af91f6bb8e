import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ once when it is older than the sources; no test builds it (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time even on a 2-core machine: most files wait on child processes, sockets and
    // servers rather than compute, so two overlap well (CI: ~40 % less wall time). Tests must not
    // depend on an idle machine either way (CONTRIBUTING.md: run them with a core kept busy).
    maxWorkers: 2,
    minWorkers: 1,
  },
});
