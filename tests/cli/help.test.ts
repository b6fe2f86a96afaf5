/** Help, version and command-line usage errors of the built CLI. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { ROOT, runCli, tempDir } from '../helpers.js';
import { listDir } from './util.js';

const VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'orchestrator/package.json'), 'utf8')) as { version: string }
).version;

describe('help and version', () => {
  it('--help lists every command and global option, on stdout, exit 0', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(EXIT_CODES.ok.code);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: orchestrator \[options\] \[command\]/);
    for (const cmd of ['doctor', 'sample', 'contract'])
      expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    for (const opt of [
      '--version',
      '--target <target>',
      '--config <file>',
      '--lake <dir>',
      '--json',
      '--log-level <level>',
    ]) {
      expect(r.stdout).toContain(opt);
    }
  });

  it('--version prints the version of orchestrator/package.json and nothing else', () => {
    const r = runCli(['--version']);
    expect(r.code).toBe(0);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.stdout).toBe(`${VERSION}\n`);
    expect(r.stderr).toBe('');
  });

  it('no arguments prints the same help and exits 0', () => {
    const r = runCli([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(runCli(['--help']).stdout);
  });

  it('sample --help documents every option of sample', () => {
    const r = runCli(['sample', '--help']);
    expect(r.code).toBe(0);
    for (const opt of [
      '--dataset',
      '--year',
      '--rows',
      '--out',
      '--era',
      '--defects',
      '--seed',
      '--publication',
      '--force',
    ]) {
      expect(r.stdout).toContain(opt);
    }
  });

  it('`help doctor` and `contract --help` show the sub-command help', () => {
    const doctor = runCli(['help', 'doctor']);
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(/^Usage: orchestrator doctor/);
    const contract = runCli(['contract', '--help']);
    expect(contract.code).toBe(0);
    expect(contract.stdout).toMatch(/export \[options\]/);
  });
});

describe('usage errors', () => {
  const usage = EXIT_CODES.usage.code;

  it.each([
    ['an unknown command', ['bogus'], "Unknown command 'bogus'"],
    ['an unknown global option', ['--bogus'], "Unknown option '--bogus'"],
    ['an unknown command option', ['doctor', '--bogus'], "Unknown option '--bogus'"],
    ['an unknown contract sub-command option', ['contract', 'export', '--bogus'], "Unknown option '--bogus'"],
    ['a --target outside the choices', ['--target', 'gcp', 'doctor'], "'gcp' is invalid"],
    ['a --log-level outside the choices', ['--log-level', 'loud', 'doctor'], "'loud' is invalid"],
    [
      'a missing required option',
      ['sample', '--year', '2023', '--rows', '1', '--out', 'a.csv'],
      "Required option '--dataset <name>'",
    ],
  ])(
    '%s → exit 2 and `error [USAGE]` on stderr, nothing on stdout, nothing written',
    (_what, args, message) => {
      const cwd = tempDir();
      const r = runCli(args, { cwd });
      expect(r.code).toBe(usage);
      expect(r.stderr).toMatch(/^error \[USAGE\]: /);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain('hint: Run `orchestrator --help`');
      expect(r.stdout).toBe('');
      expect(listDir(cwd)).toEqual([]);
    },
  );

  it('with --json, a usage error is one JSON object on stdout and nothing on stderr', () => {
    const r = runCli(['--json', 'bogus']);
    expect(r.code).toBe(usage);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { error: Record<string, unknown> };
    expect(out.error).toMatchObject({ code: 'USAGE', source: 'user', exitCode: usage });
    expect(out.error['message']).toContain("Unknown command 'bogus'");
    expect(typeof out.error['suggestion']).toBe('string');
  });
});
