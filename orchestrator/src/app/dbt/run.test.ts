import { describe, expect, it } from 'vitest';
import { dbtInvocation, summariseRunResults } from './run.js';

describe('runDbt helpers', () => {
  it('runs the venv dbt on the committed project and profiles, with an absolute lake and no tracking', () => {
    const { command, env } = dbtInvocation({
      target: 'local',
      projectRoot: '/repo',
      venv: '/venvs/op',
      lakeRoot: 'relative/lake',
      args: ['build', '--select', 'marts'],
      env: { PATH: '/usr/bin' },
    });
    expect(command).toEqual([
      '/venvs/op/bin/dbt',
      'build',
      '--select',
      'marts',
      '--project-dir',
      '/repo/dbt',
      '--profiles-dir',
      '/repo/dbt',
      '--target',
      'local',
      '--target-path',
      '/repo/dbt/target',
      '--log-path',
      '/repo/dbt/logs',
    ]);
    expect(env['OP_LAKE']).toBe(`${process.cwd()}/relative/lake`);
    expect(env['PATH']).toBe('/venvs/op/bin:/usr/bin');
    expect(env['DO_NOT_TRACK']).toBe('1');
  });

  it('sums up run_results.json by status and lists failed and warned nodes', () => {
    const summary = summariseRunResults({
      elapsed_time: 3.5,
      results: [
        { unique_id: 'model.open_payments.fct_payments', status: 'success' },
        {
          unique_id: 'test.open_payments.relationships_fct',
          status: 'fail',
          failures: 1,
          message: 'Got 1 result',
        },
        { unique_id: 'test.open_payments.accepted_values_x', status: 'warn', failures: 2 },
        { unique_id: 'test.open_payments.unique_x', status: 'pass', failures: 0 },
        { unique_id: 'model.open_payments.dim_companies', status: 'error', message: 'boom' },
      ],
    });
    expect(summary.byStatus).toEqual({ success: 1, fail: 1, warn: 1, pass: 1, error: 1 });
    expect(summary.failed.map((f) => f.uniqueId)).toEqual([
      'test.open_payments.relationships_fct',
      'model.open_payments.dim_companies',
    ]);
    expect(summary.warned).toEqual([
      { uniqueId: 'test.open_payments.accepted_values_x', status: 'warn', failures: 2, message: null },
    ]);
    expect(summary.elapsedSeconds).toBe(3.5);
  });
});
