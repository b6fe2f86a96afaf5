import { describe, expect, it } from 'vitest';
import type { ExecResult, SystemProbe } from '../ports/system.js';
import { type DoctorInput, parseJavaMajor, runDoctor } from './doctor.js';

/** A machine described as data: which programs answer what, what exists, how much disk is free. */
class FakeProbe implements SystemProbe {
  constructor(
    private readonly programs: Record<string, ExecResult>,
    private readonly files: Set<string>,
    private readonly free: number,
    private readonly writable = true,
  ) {}
  /** Keyed by program, with `:pyspark` for the venv python asked for pyspark's version. */
  async exec(command: string, args: string[]): Promise<ExecResult> {
    const key = args.join(' ').includes('import pyspark') ? `${command}:pyspark` : command;
    return this.programs[key] ?? { code: null, stdout: '', stderr: '', error: 'not installed' };
  }
  async exists(path: string) {
    return this.files.has(path);
  }
  async freeBytes() {
    return this.free;
  }
  async ensureWritableDir(): Promise<{ ok: true } | { ok: false; reason: string }> {
    return this.writable ? { ok: true } : { ok: false, reason: 'EACCES: permission denied' };
  }
}

const input: DoctorInput = {
  venv: '/v',
  lakeRoot: '/lake',
  minFreeDiskGb: 20,
  expected: { spark: '3.5.5', java: 17 },
  venvEnv: {},
};
const healthy: Record<string, ExecResult> = {
  java: { code: 0, stdout: '', stderr: 'openjdk version "17.0.15" 2025-04-15' },
  '/v/bin/python:pyspark': { code: 0, stdout: '3.5.5\n3.11.7\n', stderr: '' },
  '/v/bin/python': { code: 0, stdout: '1.10.23 1.10.1 1.4.5\n', stderr: '' },
  '/v/bin/spark-submit': { code: 0, stdout: '', stderr: 'Welcome to\n   version 3.5.5\n' },
};
const files = new Set(['/v/bin/python', '/v/bin/dbt']);
const GB = 1024 ** 3;

describe('doctor', () => {
  it('reads Java versions old and new', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaMajor('garbage')).toBeUndefined();
  });

  it('passes on a healthy machine', async () => {
    const probe = new FakeProbe(healthy, files, 100 * GB);
    const r = await runDoctor(probe, input);
    expect(r.checks.map((c) => [c.name, c.status])).toEqual([
      ['java', 'ok'],
      ['python venv', 'ok'],
      ['pyspark', 'ok'],
      ['spark-submit', 'ok'],
      ['dbt', 'ok'],
      ['lake', 'ok'],
      ['disk space', 'ok'],
    ]);
    expect(r.ok).toBe(true);
  });

  it('fails without Java and says how to install it', async () => {
    const { java: _java, ...rest } = healthy;
    const r = await runDoctor(new FakeProbe(rest, files, 100 * GB), input);
    const java = r.checks.find((c) => c.name === 'java')!;
    expect(java.status).toBe('fail');
    expect(java.fix).toContain('openjdk-17-jre-headless');
    expect(r.ok).toBe(false);
  });

  it('fails on Java 11', async () => {
    const r = await runDoctor(
      new FakeProbe(
        { ...healthy, java: { code: 0, stdout: '', stderr: 'openjdk version "11.0.2"' } },
        files,
        100 * GB,
      ),
      input,
    );
    expect(r.checks[0]).toMatchObject({ name: 'java', status: 'fail' });
  });

  it('fails every venv check with the bootstrap fix when the venv is missing', async () => {
    const r = await runDoctor(new FakeProbe(healthy, new Set(), 100 * GB), input);
    const venvChecks = r.checks.filter((c) =>
      ['python venv', 'pyspark', 'spark-submit', 'dbt'].includes(c.name),
    );
    expect(venvChecks.map((c) => c.status)).toEqual(['fail', 'fail', 'fail', 'fail']);
    expect(venvChecks.every((c) => c.fix?.includes('npm run bootstrap'))).toBe(true);
  });

  it('fails when pyspark differs from the pinned Spark of the EMR release', async () => {
    const probe = new FakeProbe(
      { ...healthy, '/v/bin/python:pyspark': { code: 0, stdout: '4.0.0\n3.11.7\n', stderr: '' } },
      files,
      100 * GB,
    );
    const r = await runDoctor(probe, input);
    expect(r.checks.find((c) => c.name === 'pyspark')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('Spark 3.5.5'),
    });
  });

  it('only warns on low disk space, but fails on an unwritable lake', async () => {
    const low = await runDoctor(new FakeProbe(healthy, files, 2 * GB), input);
    expect(low.checks.find((c) => c.name === 'disk space')).toMatchObject({
      status: 'warn',
      required: false,
    });
    const ro = await runDoctor(new FakeProbe(healthy, files, 100 * GB, false), input);
    expect(ro.checks.find((c) => c.name === 'lake')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('--lake'),
    });
    expect(ro.ok).toBe(false);
  });
});
