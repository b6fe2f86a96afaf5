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
          // Spark, dbt and Airflow runs share 2 cores in CI: limits catch hangs, not slowness.
          testTimeout: 600_000,
          hookTimeout: 1_200_000,
          globalSetup: ['tests/global-setup.ts'],
        },
      },
    ],
  },
});
