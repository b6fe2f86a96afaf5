import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OrchestratorError } from '../domain/errors.js';
import { configFromEnv, loadConfig } from './load.js';
import { ConfigSchema, configJsonSchema } from './schema.js';

const dir = () => mkdtempSync(join(tmpdir(), 'op-config-'));

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OrchestratorError);
    return ((e as OrchestratorError).data?.['problems'] as string[]) ?? [(e as Error).message];
  }
  throw new Error('expected a config error');
}

describe('config', () => {
  it('runs on defaults alone', () => {
    const { config, file } = loadConfig({ cwd: dir(), env: {} });
    expect(file).toBeUndefined();
    expect(config).toMatchObject({
      target: 'local',
      logLevel: 'info',
      lake: { root: '.lake' },
      python: { venv: '.venv' },
    });
    expect(config.aws.emrReleaseLabel).toBe('emr-7.10.0');
  });

  it('layers defaults < file < environment < flags', () => {
    const cwd = dir();
    writeFileSync(
      join(cwd, 'orchestrator.config.yaml'),
      'lake:\n  root: from-file\nlogLevel: warn\ndoctor:\n  minFreeDiskGb: 5\n',
    );
    const env = { ORCHESTRATOR_LAKE__ROOT: 'from-env', ORCHESTRATOR_LOG_LEVEL: 'debug' };
    const fileOnly = loadConfig({ cwd, env: {} });
    expect(fileOnly.file).toBe(join(cwd, 'orchestrator.config.yaml'));
    expect(fileOnly.config).toMatchObject({
      lake: { root: 'from-file' },
      logLevel: 'warn',
      doctor: { minFreeDiskGb: 5 },
    });
    const withEnv = loadConfig({ cwd, env });
    expect(withEnv.config).toMatchObject({
      lake: { root: 'from-env' },
      logLevel: 'debug',
      doctor: { minFreeDiskGb: 5 },
    });
    const withFlags = loadConfig({ cwd, env, flags: { lake: { root: 'from-flag' } } });
    expect(withFlags.config.lake.root).toBe('from-flag');
    expect(withFlags.config.logLevel).toBe('debug');
  });

  it('reads JSON config files and an explicit --config path', () => {
    const cwd = dir();
    const path = join(cwd, 'custom.json');
    writeFileSync(path, JSON.stringify({ target: 'aws', aws: { bucket: 'my-lake-bucket' } }));
    const { config, file } = loadConfig({ cwd, env: {}, configFile: 'custom.json' });
    expect(file).toBe(path);
    expect(config.target).toBe('aws');
    expect(config.aws).toMatchObject({
      region: 'us-east-1',
      bucket: 'my-lake-bucket',
      emrReleaseLabel: 'emr-7.10.0',
      prefix: '',
      endpoints: {},
      maxAttempts: 6,
      glueDatabase: 'open_payments',
    });
    expect(config.aws.emrServerless.driver).toEqual({ cores: 4, memory: '16g' });
    expect(config.aws.emrServerless.applicationId).toBeUndefined();
  });

  it('maps ORCHESTRATOR_* variables onto nested settings, as text the schema then types', () => {
    const env = {
      ORCHESTRATOR_DOCTOR__MIN_FREE_DISK_GB: '3',
      ORCHESTRATOR_LAKE: '2024',
      PATH: '/bin',
      ORCHESTRATOR_CONFIG: 'a.yaml',
    };
    expect(configFromEnv(env)).toEqual({ doctor: { minFreeDiskGb: '3' }, lake: { root: '2024' } });
    const { config } = loadConfig({ cwd: dir(), env });
    expect(config.doctor.minFreeDiskGb).toBe(3);
    expect(config.lake.root).toBe('2024');
  });

  it('lists every problem as `path: problem (got value)`', () => {
    const cwd = dir();
    writeFileSync(
      join(cwd, 'orchestrator.config.yaml'),
      'target: gcp\ndoctor:\n  minFreeDiskGb: -1\nlake:\n  rooot: x\naws:\n  bucket: Not_A_Bucket\nspark:\n  driverJavaOptions: UseParallelGC\n',
    );
    const problems = problemsOf(() => loadConfig({ cwd, env: {} }));
    expect(problems).toHaveLength(5);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^target: .*\(got "gcp"\)$/),
        expect.stringMatching(/^doctor\.minFreeDiskGb: .*\(got -1\)$/),
        'lake.rooot: unknown setting (got "x")',
        expect.stringMatching(/^aws\.bucket: .*S3 bucket name.*\(got "Not_A_Bucket"\)$/),
        'spark.driverJavaOptions: JVM options, each starting with "-" (or empty for the JVM defaults) (got "UseParallelGC")',
      ]),
    );
  });

  it('reports an environment variable typo as an unknown setting', () => {
    const problems = problemsOf(() => loadConfig({ cwd: dir(), env: { ORCHESTRATOR_TARGTE: 'aws' } }));
    expect(problems).toEqual(['targte: unknown setting (got "aws")']);
  });

  it('fails clearly on malformed YAML, a non-mapping file and a missing --config', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'bad.yaml'), 'target: [local\n');
    expect(() => loadConfig({ cwd, env: {}, configFile: 'bad.yaml' })).toThrow(/not valid YAML/);
    writeFileSync(join(cwd, 'list.yaml'), '- a\n- b\n');
    expect(() => loadConfig({ cwd, env: {}, configFile: 'list.yaml' })).toThrow(/must hold a mapping/);
    try {
      loadConfig({ cwd, env: {}, configFile: 'nope.yaml' });
      expect.unreachable();
    } catch (e) {
      expect((e as OrchestratorError).code).toBe('CONFIG_NOT_FOUND');
      expect((e as OrchestratorError).exitCode).toBe(3);
    }
  });

  it('describes every field', () => {
    const walk = (schema: Record<string, unknown>, path: string): string[] => {
      const props = (schema['properties'] ?? {}) as Record<string, Record<string, unknown>>;
      return Object.entries(props).flatMap(([k, v]) => [
        ...(v['description'] ? [] : [`${path}${k}`]),
        ...walk(v, `${path}${k}.`),
      ]);
    };
    expect(walk(configJsonSchema() as Record<string, unknown>, '')).toEqual([]);
  });

  it('has a default for every field but the optional bucket and landing folder', () => {
    const defaults = ConfigSchema.parse({});
    expect(Object.keys(defaults).sort()).toEqual([
      'aws',
      'cms',
      'doctor',
      'ingest',
      'lake',
      'locks',
      'logLevel',
      'python',
      'spark',
      'target',
    ]);
  });

  it('publishes its JSON Schema (snapshot: docs/config.schema.json)', async () => {
    await expect(`${JSON.stringify(configJsonSchema(), null, 2)}\n`).toMatchFileSnapshot(
      '../../../docs/config.schema.json',
    );
  });
});
