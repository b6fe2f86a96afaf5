/**
 * Configuration as a user meets it: a config file (found in the working folder or given with
 * --config), ORCHESTRATOR_* variables and flags, with their precedence and their error messages.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { runCli, tempDir } from '../helpers.js';
import { listDir } from './util.js';

const CONFIG = EXIT_CODES.config.code;

function dirWith(files: Record<string, string>): string {
  const cwd = tempDir();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
  return cwd;
}

/** The lake folder doctor --json reports (it must pass on this machine). */
function lakeDetail(cwd: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): string {
  const r = runCli(['--json', ...args, 'doctor'], { cwd, env });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { checks: { name: string; detail: string }[] };
  return out.checks.find((c) => c.name === 'lake')!.detail;
}

const sampleArgs = (out = 'x.csv') => [
  'sample',
  '--dataset',
  'general',
  '--year',
  '2023',
  '--rows',
  '3',
  '--out',
  out,
];

describe('config file errors', () => {
  it('malformed YAML via --config → CONFIG_INVALID, exit 3, with the file and the position', () => {
    const cwd = dirWith({ 'bad.yaml': 'target: [local\nlake: {root: x\n' });
    const r = runCli(['--config', 'bad.yaml', 'doctor'], { cwd });
    expect(r.code).toBe(CONFIG);
    expect(r.stderr).toMatch(/^error \[CONFIG_INVALID\]: /);
    expect(r.stderr).toContain(`Config file ${join(cwd, 'bad.yaml')} is not valid YAML`);
    expect(r.stderr).toMatch(/line \d+, column \d+/);
    expect(r.stdout).toBe('');
  });

  it('malformed JSON config → CONFIG_INVALID naming JSON', () => {
    const cwd = dirWith({ 'c.json': '{"target": "local",' });
    const r = runCli(['--config', 'c.json', 'contract', 'export'], { cwd });
    expect(r.code).toBe(CONFIG);
    expect(r.stderr).toContain(`Config file ${join(cwd, 'c.json')} is not valid JSON`);
    expect(r.stdout).toBe('');
  });

  it('a config file that is not a mapping → CONFIG_INVALID', () => {
    const cwd = dirWith({ 'list.yaml': '- 1\n- 2\n' });
    const r = runCli(['--config', 'list.yaml', 'doctor'], { cwd });
    expect(r.code).toBe(CONFIG);
    expect(r.stderr).toContain('must hold a mapping of settings, got [1,2]');
  });

  it('an empty config file is the defaults', () => {
    const cwd = dirWith({ 'orchestrator.config.yaml': '' });
    const r = runCli(['--log-level', 'silent', 'contract', 'export', '--out', 'c.json'], { cwd });
    expect(r.code).toBe(0);
  });

  it('wrong types and an unknown key: EVERY problem is listed as `path: problem (got value)`', () => {
    const cwd = dirWith({
      'orchestrator.config.yaml': 'target: gcp\ndoctor:\n  minFreeDiskGb: -1\nfoo: 1\n',
    });
    const r = runCli(['doctor'], { cwd });
    expect(r.code).toBe(CONFIG);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(
      `error [CONFIG_INVALID]: Invalid configuration (file ${join(cwd, 'orchestrator.config.yaml')} + environment + flags):`,
    );
    const problems = lines.slice(1).filter((l) => /^ {2}\S+: /.test(l) && !l.startsWith('  hint:'));
    expect(problems).toHaveLength(3);
    for (const p of problems) expect(p).toMatch(/^ {2}[A-Za-z.]+: .+ \(got .+\)$/);
    expect(problems.find((p) => p.startsWith('  target: '))).toContain('(got "gcp")');
    expect(problems.find((p) => p.startsWith('  doctor.minFreeDiskGb: '))).toContain('(got -1)');
    expect(problems.find((p) => p.startsWith('  foo: '))).toBe('  foo: unknown setting (got 1)');
    expect(r.stdout).toBe('');
  });

  it('the same problems come back under data.problems with --json', () => {
    const cwd = dirWith({
      'orchestrator.config.yaml': 'target: gcp\ndoctor:\n  minFreeDiskGb: -1\nfoo: 1\n',
    });
    const r = runCli(['--json', 'doctor'], { cwd });
    expect(r.code).toBe(CONFIG);
    const out = JSON.parse(r.stdout) as {
      error: { code: string; exitCode: number; data: { problems: string[] } };
    };
    expect(out.error.code).toBe('CONFIG_INVALID');
    expect(out.error.exitCode).toBe(CONFIG);
    expect(out.error.data.problems).toHaveLength(3);
    expect(out.error.data.problems).toContain('foo: unknown setting (got 1)');
  });

  it('an unknown key inside a section is reported too (a typo is never ignored)', () => {
    const cwd = dirWith({ 'orchestrator.config.yaml': 'lake:\n  rooot: elsewhere\n' });
    const r = runCli(['doctor'], { cwd });
    expect(r.code).toBe(CONFIG);
    expect(r.stderr).toContain('  lake.rooot: unknown setting (got "elsewhere")');
    expect(listDir(cwd)).toEqual(['orchestrator.config.yaml']);
  });

  it('--config pointing to a missing file → CONFIG_NOT_FOUND, exit 3', () => {
    const cwd = tempDir();
    const r = runCli(['--config', 'nope.yaml', 'doctor'], { cwd });
    expect(r.code).toBe(CONFIG);
    expect(r.stderr).toContain(
      `error [CONFIG_NOT_FOUND]: Config file ${join(cwd, 'nope.yaml')} does not exist.`,
    );
    expect(listDir(cwd)).toEqual([]);
  });

  it('ORCHESTRATOR_CONFIG pointing to a missing file → CONFIG_NOT_FOUND', () => {
    const r = runCli(['doctor'], { env: { ORCHESTRATOR_CONFIG: '/nonexistent/orchestrator.yaml' } });
    expect(r.code).toBe(CONFIG);
    expect(r.stderr).toContain(
      'error [CONFIG_NOT_FOUND]: Config file /nonexistent/orchestrator.yaml does not exist.',
    );
  });

  it('a bad config stops every command that loads it, sample included, before writing anything', () => {
    const cwd = dirWith({ 'orchestrator.config.yaml': 'logLevel: loud\n' });
    const r = runCli(sampleArgs(), { cwd });
    expect(r.code).toBe(CONFIG);
    expect(r.stderr).toContain('logLevel: ');
    expect(r.stderr).toContain('(got "loud")');
    expect(listDir(cwd)).toEqual(['orchestrator.config.yaml']);
  });
});

describe('environment variables', () => {
  it('a typo in an ORCHESTRATOR_ variable is an unknown setting', () => {
    const r = runCli(['doctor'], { env: { ORCHESTRATOR_TARGTE: 'aws' } });
    expect(r.code).toBe(CONFIG);
    expect(r.stderr).toContain('  targte: unknown setting (got "aws")');
  });

  it('a valid ORCHESTRATOR_AWS__BUCKET is accepted; an invalid one is reported by path', () => {
    const ok = runCli(['--log-level', 'silent', 'contract', 'export', '--out', 'c.json'], {
      env: { ORCHESTRATOR_AWS__BUCKET: 'my-lake-bucket' },
    });
    expect(ok.code).toBe(0);
    const bad = runCli(['contract', 'export'], { env: { ORCHESTRATOR_AWS__BUCKET: 'Bad_Bucket' } });
    expect(bad.code).toBe(CONFIG);
    expect(bad.stderr).toContain('  aws.bucket: ');
    expect(bad.stderr).toContain('(got "Bad_Bucket")');
  });

  // Regression: environment values stay text; a folder or bucket may be all digits.
  it('ORCHESTRATOR_LAKE__ROOT=2024 names the folder "2024", like --lake 2024', () => {
    const cwd = tempDir();
    expect(lakeDetail(cwd, [], { ORCHESTRATOR_LAKE__ROOT: '2024' })).toBe(`${join(cwd, '2024')} is writable`);
  });

  it('ORCHESTRATOR_AWS__BUCKET=123456 (a valid S3 bucket name) is accepted', () => {
    const r = runCli(['--log-level', 'silent', 'contract', 'export', '--out', 'c.json'], {
      env: { ORCHESTRATOR_AWS__BUCKET: '123456' },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  // Regression: config problems never echo a secret, on stderr or in --json output.
  it('an unknown secret-looking setting is reported without echoing its value', () => {
    const env = {
      ORCHESTRATOR_AWS__ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      ORCHESTRATOR_AWS__SECRET_ACCESS_KEY: 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY',
    };
    for (const args of [
      ['contract', 'export'],
      ['--json', 'contract', 'export'],
    ]) {
      const r = runCli(args, { env });
      expect(r.code).toBe(CONFIG);
      expect(r.stdout + r.stderr).toContain('aws.accessKeyId');
      expect(r.stdout + r.stderr).not.toContain('AKIAIOSFODNN7EXAMPLE');
      expect(r.stdout + r.stderr).not.toContain('wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY');
    }
  });
});

describe('precedence: defaults < config file < ORCHESTRATOR_* < flags', () => {
  it('lake.root: file, then env over file, then --lake over both (doctor --json lake detail)', () => {
    const cwd = dirWith({ 'orchestrator.config.yaml': 'lake:\n  root: from-file\n' });
    expect(lakeDetail(cwd)).toBe(`${join(cwd, 'from-file')} is writable`);
    expect(lakeDetail(cwd, [], { ORCHESTRATOR_LAKE__ROOT: 'from-env' })).toBe(
      `${join(cwd, 'from-env')} is writable`,
    );
    expect(lakeDetail(cwd, ['--lake', 'from-flag'], { ORCHESTRATOR_LAKE__ROOT: 'from-env' })).toBe(
      `${join(cwd, 'from-flag')} is writable`,
    );
    expect(listDir(cwd)).toEqual(['from-env', 'from-file', 'from-flag', 'orchestrator.config.yaml']);
  });

  it('--config beats the file found in the working folder; ORCHESTRATOR_LAKE is the twin of --lake', () => {
    const cwd = dirWith({
      'orchestrator.config.yaml': 'lake:\n  root: auto\n',
      'other.json': '{"lake": {"root": "explicit"}}',
    });
    expect(lakeDetail(cwd, ['--config', 'other.json'])).toBe(`${join(cwd, 'explicit')} is writable`);
    expect(lakeDetail(cwd, [], { ORCHESTRATOR_LAKE: join(cwd, 'abs-env') })).toBe(
      `${join(cwd, 'abs-env')} is writable`,
    );
  });

  it('logLevel: the file silences logs, env re-enables them, the flag silences them again (sample stderr)', () => {
    const cwd = dirWith({ 'orchestrator.config.yaml': 'logLevel: silent\n' });
    const file = runCli(sampleArgs('a.csv'), { cwd });
    expect(file.code).toBe(0);
    expect(file.stderr).toBe('');

    const env = runCli(sampleArgs('b.csv'), { cwd, env: { ORCHESTRATOR_LOG_LEVEL: 'info' } });
    expect(env.code).toBe(0);
    const codes = env.stderr
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { code: string }).code);
    expect(codes).toContain('sample.written');

    const flag = runCli(['--log-level', 'silent', ...sampleArgs('c.csv')], {
      cwd,
      env: { ORCHESTRATOR_LOG_LEVEL: 'info' },
    });
    expect(flag.code).toBe(0);
    expect(flag.stderr).toBe('');
  });

  it('log records below the level are dropped: --log-level warn keeps info records out', () => {
    const r = runCli(['--log-level', 'warn', ...sampleArgs()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});
