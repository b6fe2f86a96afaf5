/**
 * Bad inputs to `sample`: each one must fail with its coded error and exit code, and leave the
 * working folder exactly as it was (no output, no sidecar, no temp file).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode, EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { runCli, tempDir } from '../helpers.js';
import { listDir, readCsv, readSidecar, sha256 } from './util.js';

const exitOf = (code: ErrorCode) => EXIT_CODES[ERROR_CODES[code].category].code;
const NEXT_YEAR = String(new Date().getUTCFullYear() + 1);

/** Valid options, with overrides. */
function sampleArgs(over: Record<string, string> = {}): string[] {
  const opts: Record<string, string> = {
    dataset: 'general',
    year: '2023',
    rows: '10',
    out: 'out.csv',
    ...over,
  };
  return ['sample', ...Object.entries(opts).flatMap(([k, v]) => [`--${k}`, v])];
}

describe('sample rejects bad options and writes nothing', () => {
  it.each<[string, Record<string, string>, ErrorCode, string]>([
    ['an unknown dataset', { dataset: 'payments' }, 'UNKNOWN_DATASET', 'Unknown dataset "payments"'],
    [
      'year 2012 (before the program)',
      { year: '2012' },
      'YEAR_OUT_OF_RANGE',
      'Program year "2012" is outside 2013–',
    ],
    ['next year', { year: NEXT_YEAR }, 'YEAR_OUT_OF_RANGE', `Program year "${NEXT_YEAR}" is outside`],
    ['a year that is not a number', { year: '20x3' }, 'YEAR_OUT_OF_RANGE', 'Program year "20x3"'],
    ['negative rows', { rows: '-5' }, 'INVALID_OPTION', '--rows: rows must be 0 or more (got "-5")'],
    ['fractional rows', { rows: '1.5' }, 'INVALID_OPTION', '--rows: rows must be a whole number (got "1.5")'],
    [
      'defects 1.5',
      { defects: '1.5' },
      'INVALID_OPTION',
      '--defects: defects must be a rate between 0 and 1 (got "1.5")',
    ],
    ['negative defects', { defects: '-0.1' }, 'INVALID_OPTION', '--defects'],
    ['a seed that is not a number', { seed: 'abc' }, 'INVALID_OPTION', '--seed: seed must be a whole number'],
    [
      '--out with a bad extension',
      { out: 'out.txt' },
      'INVALID_OPTION',
      '--out: out must end in .csv or .zip (got "out.txt")',
    ],
    ['an impossible publication date', { publication: '2024-13-01' }, 'INVALID_OPTION', '--publication'],
    ['a zero recipient pool', { recipients: '0' }, 'INVALID_OPTION', '--recipients'],
    [
      'an era of another dataset',
      { era: 'research_252' },
      'UNKNOWN_ERA',
      'Era research_252 is not a layout of the general dataset',
    ],
    [
      'an era that does not exist',
      { era: 'general_99' },
      'UNKNOWN_ERA',
      'Era general_99 is not a layout of the general dataset',
    ],
  ])('%s → %s', (_what, over, code, message) => {
    const cwd = tempDir();
    const r = runCli(sampleArgs(over), { cwd });
    expect(r.code).toBe(exitOf(code));
    expect(r.stderr).toMatch(new RegExp(`^error \\[${code}\\]: `));
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('  hint: ');
    expect(r.stdout).toBe('');
    expect(listDir(cwd)).toEqual([]);
  });

  it('the usage-class codes all exit 2', () => {
    for (const code of ['UNKNOWN_DATASET', 'YEAR_OUT_OF_RANGE', 'INVALID_OPTION', 'UNKNOWN_ERA'] as const) {
      expect(exitOf(code)).toBe(2);
    }
  });

  it('the unknown-era hint lists the eras of the dataset', () => {
    const r = runCli(sampleArgs({ dataset: 'ownership', era: 'general_91' }));
    expect(r.stderr).toContain('Use one of: ownership_29, ownership_30');
  });

  it('the current year is the newest accepted year, 2013 the oldest', () => {
    const cwd = tempDir();
    const now = String(new Date().getUTCFullYear());
    expect(
      runCli(['--log-level', 'silent', ...sampleArgs({ year: now, out: 'now.csv' })], { cwd }).code,
    ).toBe(0);
    expect(
      runCli(['--log-level', 'silent', ...sampleArgs({ year: '2013', out: 'first.csv' })], { cwd }).code,
    ).toBe(0);
  });

  it('several problems at once are all listed', () => {
    const r = runCli(sampleArgs({ rows: '-1', defects: '2', out: 'x.parquet' }));
    expect(r.code).toBe(exitOf('INVALID_OPTION'));
    expect(r.stderr).toContain('--rows: ');
    expect(r.stderr).toContain('--defects: ');
    expect(r.stderr).toContain('--out: ');
  });
});

describe('sample output that cannot be written', () => {
  it('an --out under a regular file → OUTPUT_NOT_WRITABLE, exit 7, the file untouched', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'plain'), 'keep me');
    for (const out of ['plain/out.csv', 'plain/deeper/out.zip']) {
      const r = runCli(sampleArgs({ out }), { cwd });
      expect(r.code).toBe(EXIT_CODES.io.code);
      expect(r.stderr).toMatch(/^error \[OUTPUT_NOT_WRITABLE\]: Cannot write /);
      expect(r.stderr).toContain(join(cwd, out));
    }
    expect(listDir(cwd)).toEqual(['plain']);
    expect(readFileSync(join(cwd, 'plain'), 'utf8')).toBe('keep me');
  });

  it('an --out that is an existing folder is refused even with --force, nothing left behind', () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'dir.csv'));
    const r = runCli([...sampleArgs({ out: 'dir.csv' }), '--force'], { cwd });
    expect(r.code).toBe(EXIT_CODES.io.code);
    expect(r.stderr).toMatch(/^error \[OUTPUT_NOT_WRITABLE\]/);
    expect(listDir(cwd)).toEqual(['dir.csv']);
    expect(listDir(join(cwd, 'dir.csv'))).toEqual([]);
  });

  it('an existing output without --force is refused and its bytes are unchanged; --force replaces it', () => {
    const cwd = tempDir();
    const out = join(cwd, 'out.csv');
    writeFileSync(out, 'original,bytes\n1,2\n');
    const refused = runCli(sampleArgs(), { cwd });
    expect(refused.code).toBe(EXIT_CODES.conflict.code);
    expect(refused.stderr).toContain(
      `error [OUTPUT_EXISTS]: ${out} already exists; refusing to overwrite it.`,
    );
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(out, 'utf8')).toBe('original,bytes\n1,2\n');
    expect(listDir(cwd)).toEqual(['out.csv']);

    const forced = runCli(['--log-level', 'silent', ...sampleArgs(), '--force'], { cwd });
    expect(forced.code).toBe(0);
    const records = readCsv(out);
    expect(records[0]![0]).toBe('Change_Type');
    expect(records).toHaveLength(11);
    expect(readSidecar(out).sha256).toBe(sha256(out));
    expect(listDir(cwd)).toEqual(['out.csv', 'out.csv.sidecar.json']);
  });

  it('an existing archive is refused the same way', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'y.zip'), 'not really a zip');
    const r = runCli(sampleArgs({ out: 'y.zip' }), { cwd });
    expect(r.code).toBe(EXIT_CODES.conflict.code);
    expect(r.stderr).toContain('error [OUTPUT_EXISTS]');
    expect(readFileSync(join(cwd, 'y.zip'), 'utf8')).toBe('not really a zip');
    expect(listDir(cwd)).toEqual(['y.zip']);
  });
});

describe('--json errors', () => {
  it.each<[string, string[], ErrorCode]>([
    ['an unknown dataset', sampleArgs({ dataset: 'nope' }), 'UNKNOWN_DATASET'],
    ['bad options', sampleArgs({ defects: '1.5' }), 'INVALID_OPTION'],
    ['a year out of range', sampleArgs({ year: '2012' }), 'YEAR_OUT_OF_RANGE'],
    ['a missing config file', ['--config', 'missing.yaml', 'doctor'], 'CONFIG_NOT_FOUND'],
  ])('%s → one JSON object {error: {code, ...}} on stdout, nothing on stderr', (_what, args, code) => {
    for (const argv of [
      ['--json', ...args],
      [...args, '--json'],
    ]) {
      const cwd = tempDir();
      const r = runCli(argv, { cwd });
      expect(r.code).toBe(exitOf(code));
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout) as {
        error: { code: string; source: string; message: string; suggestion: string; exitCode: number };
      };
      expect(Object.keys(out)).toEqual(['error']);
      expect(out.error.code).toBe(code);
      expect(out.error.exitCode).toBe(exitOf(code));
      expect(out.error.source).toBe(ERROR_CODES[code].source);
      expect(out.error.message.length).toBeGreaterThan(0);
      expect(out.error.suggestion.length).toBeGreaterThan(0);
      expect(listDir(cwd)).toEqual([]);
    }
  });

  it('INVALID_OPTION lists its problems under data.problems', () => {
    const r = runCli(['--json', ...sampleArgs({ rows: '-1', out: 'a.txt' })]);
    const out = JSON.parse(r.stdout) as { error: { data: { problems: string[] } } };
    expect(out.error.data.problems).toEqual([
      '--rows: rows must be 0 or more (got "-1")',
      '--out: out must end in .csv or .zip (got "a.txt")',
    ]);
  });
});
