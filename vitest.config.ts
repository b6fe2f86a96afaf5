import { defineConfig } from 'vitest/config';

// Two tiers run by `npm test`: `unit` (pure, fast, next to the code) and `cli` (the built CLI run as a
// user would, real files on disk). Slow tiers (Spark, dbt) run from scripts/test.sh through pytest.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['orchestrator/src/**/*.test.ts', 'bench/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'cli',
          include: ['tests/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 300_000,
          globalSetup: ['tests/global-setup.ts'],
        },
      },
    ],
  },
});
