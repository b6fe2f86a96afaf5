/**
 * `orchestrator doctor` on this machine (Java 17 and the project venv are installed), then with each
 * prerequisite taken away through the environment or the config, as a user would break it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { runCli, tempDir } from '../helpers.js';

const CHECKS = ['java', 'python venv', 'pyspark', 'spark-submit', 'dbt', 'lake', 'disk space'];

interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  required: boolean;
  detail: string;
  fix?: string;
}

/** The human line of a check: `  <mark>  <name padded> <detail>`. */
function line(stdout: string, name: string): string {
  const found = stdout
    .split('\n')
    .find((l) => new RegExp(`^  (ok  |warn|FAIL)  ${name.replace(' ', '\\s')}\\s`).test(l));
  if (!found) throw new Error(`no line for check ${name} in:\n${stdout}`);
  return found;
}

/** The `fix:` line printed under a check's line. */
function fixOf(stdout: string, name: string): string | undefined {
  const lines = stdout.split('\n');
  const next = lines[lines.indexOf(line(stdout, name)) + 1];
  return next?.startsWith('        fix: ') ? next.slice('        fix: '.length) : undefined;
}

describe('doctor on this machine', () => {
  it('passes every check, prints each one as ok, exit 0', () => {
    const cwd = tempDir();
    const r = runCli(['doctor'], { cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT_CODES.ok.code);
    expect(r.stdout.split('\n')[0]).toBe(`orchestrator doctor (target local, lake ${join(cwd, '.lake')})`);
    for (const name of CHECKS) expect(line(r.stdout, name)).toMatch(/^ {2}ok {4}/);
    expect(line(r.stdout, 'java')).toMatch(/Java \d+/);
    expect(line(r.stdout, 'pyspark')).toMatch(/pyspark \d+\.\d+\.\d+ on Python 3\./);
    expect(line(r.stdout, 'spark-submit')).toMatch(/Spark \d+\.\d+\.\d+/);
    expect(line(r.stdout, 'dbt')).toMatch(/dbt-core \S+ with dbt-duckdb \S+/);
    expect(line(r.stdout, 'disk space')).toMatch(/\d+\.\d GB free under the lake/);
    expect(r.stdout).not.toContain('fix:');
    expect(r.stdout).toContain('All required checks passed.');
  });

  it('--json: stdout is one JSON document {ok: true, checks: [...]}', () => {
    const cwd = tempDir();
    const r = runCli(['--json', 'doctor'], { cwd });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { target: string; ok: boolean; checks: Check[] };
    expect(out.ok).toBe(true);
    expect(out.target).toBe('local');
    expect(out.checks.map((c) => c.name)).toEqual(CHECKS);
    for (const c of out.checks) {
      expect(c.status, c.name).toBe('ok');
      expect(c.detail.length).toBeGreaterThan(0);
    }
    expect(out.checks.find((c) => c.name === 'lake')?.detail).toBe(`${join(cwd, '.lake')} is writable`);
    expect(out.checks.filter((c) => !c.required).map((c) => c.name)).toEqual(['disk space']);
  });
});

describe('doctor with a prerequisite missing', () => {
  it('a python.venv that does not exist fails the venv checks with a fix, exit 5', () => {
    const r = runCli(['doctor'], { env: { ORCHESTRATOR_PYTHON__VENV: '/nonexistent' } });
    expect(r.code).toBe(EXIT_CODES.environment.code);
    expect(r.stderr).toContain(
      'error [PREREQUISITES_MISSING]: Missing prerequisites: python venv, pyspark, spark-submit, dbt.',
    );
    for (const name of ['python venv', 'pyspark', 'spark-submit', 'dbt']) {
      expect(line(r.stdout, name)).toMatch(/^ {2}FAIL {2}.*no venv at \/nonexistent/);
      expect(fixOf(r.stdout, name)).toContain('npm run bootstrap');
    }
    for (const name of ['java', 'lake', 'disk space']) expect(line(r.stdout, name)).toMatch(/^ {2}ok {4}/);
    expect(r.stdout).toContain('Some required checks failed (see fixes above).');
  });

  it('the same venv set in a config file fails the same way', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'orchestrator.config.yaml'), 'python:\n  venv: /nonexistent-venv\n');
    const r = runCli(['doctor'], { cwd });
    expect(r.code).toBe(EXIT_CODES.environment.code);
    expect(line(r.stdout, 'python venv')).toContain('no venv at /nonexistent-venv');
  });

  it('no java on PATH and JAVA_HOME unset: the java check fails with an openjdk fix, exit 5', () => {
    const r = runCli(['doctor'], { env: { PATH: '/nonexistent-bin', JAVA_HOME: '' } });
    expect(r.code).toBe(EXIT_CODES.environment.code);
    expect(line(r.stdout, 'java')).toMatch(/^ {2}FAIL {2}java {10}java not found/);
    expect(fixOf(r.stdout, 'java')).toMatch(/openjdk-\d+-jre-headless/);
    expect(r.stderr).toMatch(/error \[PREREQUISITES_MISSING\]: Missing prerequisites: java\b/);
  });

  it('a JAVA_HOME without a java in it fails the java check and names the path', () => {
    const r = runCli(['doctor'], { env: { JAVA_HOME: '/nonexistent-jdk' } });
    expect(r.code).toBe(EXIT_CODES.environment.code);
    expect(line(r.stdout, 'java')).toContain('/nonexistent-jdk/bin/java not found');
    expect(fixOf(r.stdout, 'java')).toContain('JAVA_HOME');
  });

  it('a lake that cannot be created (under a regular file) fails the lake check, exit 5', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'plain-file'), 'not a folder');
    const lake = join(cwd, 'plain-file', 'lake');
    const r = runCli(['--lake', lake, 'doctor'], { cwd });
    expect(r.code).toBe(EXIT_CODES.environment.code);
    expect(line(r.stdout, 'lake')).toMatch(/^ {2}FAIL {2}lake/);
    expect(line(r.stdout, 'lake')).toContain(`${lake} is not writable`);
    expect(fixOf(r.stdout, 'lake')).toContain('--lake');
    expect(r.stderr).toContain('error [PREREQUISITES_MISSING]: Missing prerequisites: lake.');
  });

  it('too little free disk only warns (the check is optional): exit 0 with a fix', () => {
    const r = runCli(['doctor'], { env: { ORCHESTRATOR_DOCTOR__MIN_FREE_DISK_GB: '100000000' } });
    expect(r.code).toBe(0);
    expect(line(r.stdout, 'disk space')).toMatch(/^ {2}warn {2}disk space .*needs about 100000000 GB/);
    expect(fixOf(r.stdout, 'disk space')).toContain('doctor.minFreeDiskGb');
    expect(r.stdout).toContain('All required checks passed.');
  });

  it('--json with a failing check keeps stdout one parseable JSON document', () => {
    const r = runCli(['--json', 'doctor'], { env: { ORCHESTRATOR_PYTHON__VENV: '/nonexistent' } });
    expect(r.code).toBe(EXIT_CODES.environment.code);
    const out = JSON.parse(r.stdout) as { error: { code: string } };
    expect(out.error.code).toBe('PREREQUISITES_MISSING');
  });

  it('--json with a failing check: the error document lists the failures with their fixes', () => {
    const r = runCli(['--json', 'doctor'], { env: { ORCHESTRATOR_PYTHON__VENV: '/nonexistent' } });
    expect(r.code).toBe(EXIT_CODES.environment.code);
    const out = JSON.parse(r.stdout) as { error: { data: { failed: string[]; checks: Check[] } } };
    expect(out.error.data.failed).toEqual(['python venv', 'pyspark', 'spark-submit', 'dbt']);
    const failed = out.error.data.checks.filter((c) => c.status === 'fail');
    expect(failed.map((c) => c.name)).toEqual(['python venv', 'pyspark', 'spark-submit', 'dbt']);
    for (const c of failed) expect(c.fix).toContain('npm run bootstrap');
  });
});
