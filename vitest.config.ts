import { defineConfig } from 'vitest/config';

// Two tiers run by `npm test`: `unit` (next to the code) and `cli` (the built CLI run as a user would:
// real files, Spark, DuckDB, dbt, local AWS endpoints). Both run at once, so a unit test shares the
// cores with Spark jobs: its time limit is generous, what it asserts is not timing.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['orchestrator/src/**/*.test.ts', 'bench/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
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
