/**
 * The local runners, on real processes: a stand-in `spark-submit` script (in a throwaway venv layout)
 * prints what Spark prints — log4j lines, the redrawn progress bar, job output — and exits as told,
 * so log routing, progress, exit codes and Ctrl-C are checked without starting a JVM. The docker
 * runner is checked on the command it builds (this machine has no Docker engine).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecordingReporter } from '../../ports/reporter.js';
import { type SparkJobSpec, shellLine } from '../../ports/spark-runner.js';
import { DockerSparkRunner, IMAGE_SPARK_SUBMIT } from './docker-spark.js';
import { buildJobPackage } from './job-package.js';
import { projectRoot, readPlatformVersions } from './project.js';
import { LocalSparkRunner } from './spark-submit.js';

const SPEC: SparkJobSpec = {
  name: 'transform-general-2023',
  entryPoint: '/lake/artifacts/abc/transform.py',
  pyFiles: ['/lake/artifacts/abc/openpayments_jobs.zip'],
  args: ['--dataset', 'general', '--year', '2023'],
  conf: { 'spark.sql.shuffle.partitions': '4' },
  driverMemory: '2g',
  env: { OP_TRANSFORM_INJECT_FAILURE: 'before-commit' },
};

/** A venv whose bin/spark-submit runs `script` (bash) with the job's arguments. */
function fakeVenv(script: string): string {
  const venv = mkdtempSync(join(tmpdir(), 'op-fake-venv-'));
  mkdirSync(join(venv, 'bin'));
  const bin = join(venv, 'bin', 'spark-submit');
  writeFileSync(bin, `#!/usr/bin/env bash\n${script}\n`);
  chmodSync(bin, 0o755);
  return venv;
}

const runner = (venv: string) => new LocalSparkRunner({ venv, master: 'local[2]', baseEnv: process.env });

describe('local spark-submit runner', () => {
  it('builds the spark-submit command from the job spec', () => {
    const inv = runner('/venv').invocation(SPEC);
    expect(inv.command).toBe('/venv/bin/spark-submit');
    expect(inv.args).toEqual([
      '--master',
      'local[2]',
      '--name',
      'transform-general-2023',
      '--driver-memory',
      '2g',
      '--conf',
      'spark.sql.shuffle.partitions=4',
      '--py-files',
      '/lake/artifacts/abc/openpayments_jobs.zip',
      '/lake/artifacts/abc/transform.py',
      '--dataset',
      'general',
      '--year',
      '2023',
    ]);
    expect(shellLine(inv)).toBe(
      `OP_TRANSFORM_INJECT_FAILURE=before-commit /venv/bin/spark-submit ${inv.args.join(' ')}`,
    );
  });

  it('passes the driver JVM options as spark.driver.defaultJavaOptions, and nothing when there are none', () => {
    const withOptions = { ...SPEC, driverJavaOptions: ' -XX:+UseParallelGC   -Xss4m ' };
    const inv = runner('/venv').invocation(withOptions);
    const at = inv.args.indexOf('spark.driver.defaultJavaOptions=-XX:+UseParallelGC -Xss4m');
    expect(at).toBeGreaterThan(inv.args.indexOf('--driver-memory'));
    expect(inv.args[at - 1]).toBe('--conf');
    // One shell word, so the printed --dry-run command can be pasted as it is.
    expect(shellLine(inv)).toContain(` --conf 'spark.driver.defaultJavaOptions=-XX:+UseParallelGC -Xss4m' `);
    for (const none of [undefined, '', '   ']) {
      const args = runner('/venv').invocation({ ...SPEC, driverJavaOptions: none }).args;
      expect(args.some((a) => a.startsWith('spark.driver.defaultJavaOptions'))).toBe(false);
    }
  });

  it('routes Spark log lines by level, turns the progress bar into progress and returns the exit code', async () => {
    const venv = fakeVenv(`
echo "26/11/26 16:59:01 INFO SparkContext: Running Spark version 3.5.5" >&2
echo "26/11/26 16:59:02 WARN NativeCodeLoader: Unable to load native-hadoop library" >&2
echo "26/11/26 16:59:02 WARN TaskSetManager: Lost task 0.0 in stage 1.0" >&2
printf '[Stage 1:>          (0 + 2) / 4]\\r[Stage 1:=====>    (2 + 2) / 4]\\r[Stage 1:==========(4 + 0) / 4]\\n' >&2
echo "transform: 100 rows in" 
echo "26/11/26 16:59:03 INFO ParquetWriteSupport: Initialized Parquet WriteSupport with Catalyst schema:" >&2
echo "message spark_schema {" >&2
echo "}" >&2
echo "26/11/26 16:59:03 ERROR Executor: Exception in task 0.0" >&2
echo "Traceback (most recent call last):" >&2
echo '  File "transform.py", line 1' >&2
echo "args: $*"
exit 3`);
    const reporter = new RecordingReporter();
    const r = await runner(venv).run(SPEC, { reporter });
    expect(r.exitCode).toBe(3);
    const logs = reporter.events.filter((e) => e.code === 'spark.log').map((e) => [e.level, e.message]);
    expect(logs).toEqual([
      ['debug', 'SparkContext: Running Spark version 3.5.5'],
      ['debug', 'NativeCodeLoader: Unable to load native-hadoop library'], // expected locally: quiet
      ['warn', 'TaskSetManager: Lost task 0.0 in stage 1.0'],
      ['debug', 'ParquetWriteSupport: Initialized Parquet WriteSupport with Catalyst schema:'],
      ['error', 'Executor: Exception in task 0.0'],
    ]);
    // Lines that continue a log message keep its level; a traceback is the job speaking.
    const stderrOutput = reporter.events.filter((e) => e.code === 'spark.output' && e.level !== 'info');
    expect(stderrOutput.map((e) => [e.level, e.message])).toEqual([
      ['debug', 'message spark_schema {'],
      ['debug', '}'],
      ['warn', 'Traceback (most recent call last):'],
      ['warn', '  File "transform.py", line 1'],
    ]);
    // stdout and stderr are separate pipes: compare sets, not the interleaving.
    expect(reporter.events.filter((e) => e.code === 'spark.output').map((e) => e.message)).toContain(
      'transform: 100 rows in',
    );
    expect(reporter.progressTicks.get('transform-general-2023 stage 1')).toBe(4);
    expect(r.tail.some((l) => l.includes('--dataset general --year 2023'))).toBe(true);
    expect(r.tail.join('\n')).not.toContain('[Stage');
  });

  it('passes the job environment through and stops the process group on abort', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'op-marker-')), 'child.pid');
    // A child that would outlive its parent unless the whole group is signalled.
    const venv = fakeVenv(`echo "$OP_TRANSFORM_INJECT_FAILURE"; sleep 60 & echo $! > ${marker}; wait`);
    const reporter = new RecordingReporter();
    const controller = new AbortController();
    const running = runner(venv).run(SPEC, { reporter, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 700));
    controller.abort();
    const e = await running.then(
      () => undefined,
      (x: unknown) => x as { code: string },
    );
    expect(e?.code).toBe('INTERRUPTED');
    expect(reporter.events.find((x) => x.code === 'spark.output')?.message).toBe('before-commit');
    const pid = Number(readFileSync(marker, 'utf8'));
    await new Promise((r) => setTimeout(r, 300));
    // The grandchild is gone too (a zombie waiting for its reaper counts as gone: it no longer runs).
    const state = existsSync(`/proc/${pid}/stat`)
      ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]
      : 'gone';
    expect(['gone', 'Z', 'X']).toContain(state);
  });

  it('reports a missing spark-submit as a missing prerequisite', async () => {
    const e = await runner('/nonexistent-venv')
      .run(SPEC, { reporter: new RecordingReporter() })
      .then(
        () => undefined,
        (x: unknown) => x as { code: string; suggestion: string },
      );
    expect(e?.code).toBe('PREREQUISITES_MISSING');
    expect(e?.suggestion).toContain('npm run bootstrap');
  });
});

describe('docker runner', () => {
  const docker = new DockerSparkRunner({
    image: 'openpayments-local-spark:3.5.5',
    master: 'local[*]',
    mounts: ['/home/me/lake'],
    user: { uid: 1001, gid: 1002 },
    baseEnv: { PATH: '/nonexistent' },
  });

  it('runs the same spark-submit in the image, with the lake mounted at the same path, as the calling user', () => {
    const inv = docker.invocation(SPEC);
    expect(inv.command).toBe('docker');
    const i = inv.args.indexOf('openpayments-local-spark:3.5.5');
    expect(inv.args.slice(0, i)).toEqual([
      'run',
      '--rm',
      '--init',
      '--name',
      'openpayments-transform-general-2023',
      '--user',
      '1001:1002',
      '--env',
      'HOME=/tmp',
      '--env',
      'OP_TRANSFORM_INJECT_FAILURE=before-commit',
      '--volume',
      '/home/me/lake:/home/me/lake',
      '--workdir',
      '/tmp',
    ]);
    expect(inv.args[i + 1]).toBe(IMAGE_SPARK_SUBMIT);
    expect(inv.args.slice(i + 2)).toEqual(
      runner('/venv')
        .invocation(SPEC)
        .args.map((a) => (a === 'local[2]' ? 'local[*]' : a)),
    );
  });

  it('says clearly that no Docker engine answered', async () => {
    const e = await docker.run(SPEC, { reporter: new RecordingReporter() }).then(
      () => undefined,
      (x: unknown) => x as { code: string; suggestion: string },
    );
    expect(e?.code).toBe('DOCKER_UNAVAILABLE');
    expect(e?.suggestion).toContain('--runner local');
  });

  it('builds its image from the official Spark image of the pinned version', () => {
    const root = projectRoot();
    const { spark, scala, java } = readPlatformVersions(root);
    const tag = `apache/spark:${spark}-scala${scala}-java${java}-python3-ubuntu`;
    expect(readFileSync(resolve(root, 'local-spark/Dockerfile'), 'utf8')).toContain(`SPARK_IMAGE=${tag}`);
    const compose = readFileSync(resolve(root, 'local-spark/compose.yaml'), 'utf8');
    expect(compose).toContain(`SPARK_IMAGE: ${tag}`);
    expect(compose).toContain(`image: openpayments-local-spark:${spark}`);
  });
});

describe('job package', () => {
  it('is deterministic and content-addressed, with the entry points beside it', async () => {
    const a = await buildJobPackage(projectRoot());
    const b = await buildJobPackage(projectRoot());
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.hash).toBe(a.hash);
    expect(b.zip.equals(a.zip)).toBe(true);
    expect(Object.keys(a.entryPoints)).toContain('profile_raw.py');
    expect(a.zip.includes(Buffer.from('openpayments_jobs/contract.py'))).toBe(true);
  });
});
