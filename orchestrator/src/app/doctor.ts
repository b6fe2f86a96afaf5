/**
 * `orchestrator doctor`: checks what the local target needs and says how to fix each problem.
 * Required checks make the command fail; optional ones only warn.
 */
import { join } from 'node:path';
import type { SystemProbe } from '../ports/system.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  required: boolean;
  detail: string;
  fix?: string;
}

export interface DoctorInput {
  /** Absolute path of the project venv. */
  venv: string;
  /** Absolute path of the lake folder. */
  lakeRoot: string;
  minFreeDiskGb: number;
  /** Pinned versions that must match (versions.json). */
  expected: { spark: string; java: number };
  javaHome?: string | undefined;
  /** Environment for venv programs (PATH with the venv first, PYSPARK_PYTHON). */
  venvEnv: NodeJS.ProcessEnv;
}

const BOOTSTRAP_FIX = 'Run `npm run bootstrap` (scripts/bootstrap.sh) to create the pinned venv.';

/** Parses `java -version` output ("openjdk version "17.0.15"" or "1.8.0_392"). */
export function parseJavaMajor(text: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  const major = Number(m[1]);
  return major === 1 && m[2] ? Number(m[2]) : major;
}

async function checkJava(probe: SystemProbe, input: DoctorInput): Promise<CheckResult> {
  const java = input.javaHome ? join(input.javaHome, 'bin', 'java') : 'java';
  const r = await probe.exec(java, ['-version']);
  const name = 'java';
  if (r.error) {
    return {
      name,
      status: 'fail',
      required: true,
      detail: `${java} not found (${r.error})`,
      fix: `Install Java ${input.expected.java} (Debian: apt-get install openjdk-${input.expected.java}-jre-headless) or set JAVA_HOME.`,
    };
  }
  const major = parseJavaMajor(r.stderr + r.stdout);
  if (major === undefined || major < input.expected.java) {
    return {
      name,
      status: 'fail',
      required: true,
      detail: `Java ${major ?? 'of unknown version'} found; Spark ${input.expected.spark} here is run on Java ${input.expected.java}`,
      fix: `Install Java ${input.expected.java} and put it first on PATH or set JAVA_HOME.`,
    };
  }
  return { name, status: 'ok', required: true, detail: `Java ${major} (${java})` };
}

async function checkVenv(probe: SystemProbe, input: DoctorInput): Promise<CheckResult[]> {
  const python = join(input.venv, 'bin', 'python');
  if (!(await probe.exists(python))) {
    const missing = (name: string): CheckResult => ({
      name,
      status: 'fail',
      required: true,
      detail: `no venv at ${input.venv}`,
      fix: BOOTSTRAP_FIX,
    });
    return [missing('python venv'), missing('pyspark'), missing('spark-submit'), missing('dbt')];
  }
  const results: CheckResult[] = [{ name: 'python venv', status: 'ok', required: true, detail: input.venv }];

  const v = await probe.exec(python, [
    '-c',
    'import pyspark, sys; print(pyspark.__version__); print(sys.version.split()[0])',
  ]);
  const [pyspark, pythonVersion] = v.stdout.trim().split('\n');
  if (v.code !== 0 || !pyspark) {
    results.push({
      name: 'pyspark',
      status: 'fail',
      required: true,
      detail: 'pyspark is not importable in the venv',
      fix: BOOTSTRAP_FIX,
    });
  } else if (pyspark !== input.expected.spark) {
    results.push({
      name: 'pyspark',
      status: 'fail',
      required: true,
      detail: `pyspark ${pyspark} in the venv, but the EMR target runs Spark ${input.expected.spark} (versions.json)`,
      fix: BOOTSTRAP_FIX,
    });
  } else {
    results.push({
      name: 'pyspark',
      status: 'ok',
      required: true,
      detail: `pyspark ${pyspark} on Python ${pythonVersion}`,
    });
  }

  const submit = join(input.venv, 'bin', 'spark-submit');
  const s = await probe.exec(submit, ['--version'], {
    timeoutMs: 60_000,
    env: { ...input.venvEnv, ...(input.javaHome ? { JAVA_HOME: input.javaHome } : {}) },
  });
  const sparkVersion = /version (\d+\.\d+\.\d+)/.exec(s.stderr + s.stdout)?.[1];
  results.push(
    s.error || s.code !== 0 || !sparkVersion
      ? {
          name: 'spark-submit',
          status: 'fail',
          required: true,
          detail: `${submit} did not run: ${s.error ?? (s.stderr.trim().split('\n').pop() || `exit ${s.code}`)}`,
          fix: `${BOOTSTRAP_FIX} If Java is missing, fix the java check first.`,
        }
      : { name: 'spark-submit', status: 'ok', required: true, detail: `Spark ${sparkVersion} (${submit})` },
  );

  // Versions from package metadata: `dbt --version` would ask PyPI for the latest release.
  const dbt = join(input.venv, 'bin', 'dbt');
  const d = await probe.exec(python, [
    '-c',
    "from importlib.metadata import version as v; import dbt.adapters.duckdb; print(v('dbt-core'), v('dbt-duckdb'), v('duckdb'))",
  ]);
  const [core, adapter, duckdb] = d.stdout.trim().split(' ');
  const dbtOk = d.code === 0 && adapter !== undefined && (await probe.exists(dbt));
  results.push(
    dbtOk
      ? {
          name: 'dbt',
          status: 'ok',
          required: true,
          detail: `dbt-core ${core} with dbt-duckdb ${adapter} (duckdb ${duckdb})`,
        }
      : {
          name: 'dbt',
          status: 'fail',
          required: true,
          detail: `dbt with the duckdb adapter is not usable in ${input.venv}`,
          fix: BOOTSTRAP_FIX,
        },
  );
  return results;
}

async function checkLake(probe: SystemProbe, input: DoctorInput): Promise<CheckResult[]> {
  const w = await probe.ensureWritableDir(input.lakeRoot);
  const lake: CheckResult = w.ok
    ? { name: 'lake', status: 'ok', required: true, detail: `${input.lakeRoot} is writable` }
    : {
        name: 'lake',
        status: 'fail',
        required: true,
        detail: `${input.lakeRoot} is not writable: ${w.reason}`,
        fix: 'Choose a writable folder with --lake (or lake.root in the config), or fix its permissions.',
      };
  const free = await probe.freeBytes(input.lakeRoot);
  const gb = free / 1024 ** 3;
  const disk: CheckResult =
    gb >= input.minFreeDiskGb
      ? {
          name: 'disk space',
          status: 'ok',
          required: false,
          detail: `${gb.toFixed(1)} GB free under the lake`,
        }
      : {
          name: 'disk space',
          status: 'warn',
          required: false,
          detail: `${gb.toFixed(1)} GB free under the lake; a program year of General payments needs about ${input.minFreeDiskGb} GB`,
          fix: 'Free some space, point --lake at a larger disk, or lower doctor.minFreeDiskGb for small samples.',
        };
  return [lake, disk];
}

export async function runDoctor(
  probe: SystemProbe,
  input: DoctorInput,
): Promise<{ ok: boolean; checks: CheckResult[] }> {
  const checks = [
    await checkJava(probe, input),
    ...(await checkVenv(probe, input)),
    ...(await checkLake(probe, input)),
  ];
  return { ok: checks.every((c) => c.status !== 'fail' || !c.required), checks };
}
