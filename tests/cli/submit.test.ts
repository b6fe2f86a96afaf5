/** `orchestrator submit` on the command line, before any Spark runs: bad inputs and dry runs. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { generateSample, runCli, tempDir } from '../helpers.js';

/** A lake with General 2023 ingested from a small generated file (three staging chunks). */
function ingestedLake(): string {
  const dir = tempDir();
  const lake = join(dir, 'lake');
  const csv = join(dir, 'OP_DTL_GNRL_PGYR2023_P06302024_06162024.csv');
  generateSample(csv, { rows: 2500 });
  const ingest = runCli([
    '--lake',
    lake,
    '--log-level',
    'silent',
    'ingest', // no --dataset: the file's name and header say it is General
    '--year',
    '2023',
    '--source',
    csv,
    '--chunk-mb',
    '1',
  ]);
  expect(ingest.code, ingest.stderr).toBe(0);
  return lake;
}

describe('submit: bad inputs', () => {
  it.each([
    [
      ['submit', 'transform', '--year', '2023'],
      EXIT_CODES.input.code,
      'NOT_INGESTED',
      'orchestrator ingest --dataset all --year 2023',
    ],
    [
      ['submit', 'transform', '--year', '2023', '--dataset', 'research'],
      EXIT_CODES.input.code,
      'NOT_INGESTED',
      'ingest --dataset research',
    ],
    [
      ['submit', 'yearly_summary', '--year', '2023'],
      EXIT_CODES.input.code,
      'NOT_TRANSFORMED',
      'submit transform --year 2023 --dataset general',
    ],
    [
      ['submit', 'transfrom', '--year', '2023'],
      EXIT_CODES.usage.code,
      'UNKNOWN_JOB',
      'transform, yearly_summary',
    ],
    [['submit', 'transform', '--year', '1999'], EXIT_CODES.usage.code, 'YEAR_OUT_OF_RANGE', 'between 2013'],
    [
      ['submit', 'transform', '--year', '2023', '--dataset', 'payments'],
      EXIT_CODES.usage.code,
      'UNKNOWN_DATASET',
      'general',
    ],
    [
      ['submit', 'transform', '--year', '2023', '--runner', 'emr'],
      EXIT_CODES.usage.code,
      'INVALID_OPTION',
      '--runner',
    ],
  ])('%j → exit %i, %s', (args, exitCode, code, hint) => {
    const lake = join(tempDir(), 'lake');
    const r = runCli(['--lake', lake, '--json', ...args]);
    expect(r.code, r.stderr).toBe(exitCode);
    const error = JSON.parse(r.stdout).error;
    expect(error.code).toBe(code);
    expect(`${error.message} ${error.suggestion}`).toContain(hint);
    expect(existsSync(join(lake, 'curated'))).toBe(false);
  });
});

describe('submit --dry-run', () => {
  it('prints the exact spark-submit command and the partition, and writes nothing', () => {
    const lake = ingestedLake();
    const before = readdirSync(lake, { recursive: true }).sort();
    const r = runCli([
      '--lake',
      lake,
      '--log-level',
      'warn',
      'submit',
      'transform',
      '--year',
      '2023',
      '--dry-run',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('general → curated/open_payments/general/program_year=2023/');
    expect(r.stdout).toMatch(
      /\.venv\/bin\/spark-submit --master local\[\*\] --name transform-general-2023 --driver-memory 2g --conf spark\.driver\.defaultJavaOptions=-XX:\+UseParallelGC /,
    );
    expect(r.stdout).toMatch(/--inputs \S+\/metadata\/runs\/run_id=\S+\/inputs-general\.json/);
    expect(readdirSync(lake, { recursive: true }).sort()).toEqual(before);
  });

  it('prints the docker run invocation for the docker runner', () => {
    const lake = ingestedLake();
    const r = runCli([
      '--lake',
      lake,
      '--log-level',
      'warn',
      'submit',
      'transform',
      '--year',
      '2023',
      '--dry-run',
      '--runner',
      'docker',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`docker run --rm --init --name openpayments-transform-general-2023`);
    expect(r.stdout).toContain(`--volume ${lake}:${lake}`);
    expect(r.stdout).toContain(
      'openpayments-local-spark:3.5.5 /opt/spark/bin/spark-submit --master local[*]',
    );
  });
});
