/**
 * The local runner: `spark-submit --master local[N]` from the project venv. Its output goes through
 * SparkOutputRouter (log levels, progress, tail), and an abort stops the whole process group (the
 * JVM and its Python driver) with SIGTERM, then SIGKILL after a grace period.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { OrchestratorError } from '../../domain/errors.js';
import type { Reporter } from '../../ports/reporter.js';
import {
  type SparkInvocation,
  type SparkJobSpec,
  type SparkRunner,
  type SparkRunResult,
  shellLine,
} from '../../ports/spark-runner.js';
import { SparkOutputRouter } from '../spark-output.js';
import { venvEnv } from './project.js';

const KILL_GRACE_MS = 15_000;

export interface LocalSparkOptions {
  venv: string;
  /** `local[*]` or `local[N]`. */
  master: string;
  baseEnv: NodeJS.ProcessEnv;
}

export class LocalSparkRunner implements SparkRunner {
  readonly kind = 'local' as const;
  readonly reattachable = false;

  constructor(private readonly opts: LocalSparkOptions) {}

  describe(spec: SparkJobSpec): string {
    return shellLine(this.invocation(spec));
  }

  invocation(spec: SparkJobSpec): SparkInvocation {
    return {
      command: resolve(this.opts.venv, 'bin', 'spark-submit'),
      args: sparkSubmitArgs(spec, this.opts.master),
      env: { ...(spec.env ?? {}) },
    };
  }

  run(spec: SparkJobSpec, { reporter, signal }: { reporter: Reporter; signal?: AbortSignal | undefined }) {
    const inv = this.invocation(spec);
    const env = {
      // Local mode needs no network address: bind to loopback (no "resolves to a loopback address" warning).
      SPARK_LOCAL_IP: '127.0.0.1',
      ...this.opts.baseEnv,
      ...venvEnv(this.opts.venv, this.opts.baseEnv),
      ...inv.env,
    };
    return runProcess(inv.command, inv.args, env, spec.name, reporter, signal);
  }
}

/** spark-submit's arguments for a job: the same for every runner that calls spark-submit. */
export function sparkSubmitArgs(spec: SparkJobSpec, master: string): string[] {
  return [
    '--master',
    master,
    '--name',
    spec.name,
    '--driver-memory',
    spec.driverMemory,
    ...javaOptionsConf(spec.driverJavaOptions),
    ...Object.entries(spec.conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
    '--py-files',
    spec.pyFiles.join(','),
    spec.entryPoint,
    ...spec.args,
  ];
}

/**
 * The driver's JVM options as spark.driver.defaultJavaOptions, not extraJavaOptions: Spark adds the
 * extraJavaOptions of a user's spark-defaults.conf after these, so both apply. (A collector is
 * changed here, not there: the JVM refuses to start with two.)
 */
function javaOptionsConf(options: string | undefined): string[] {
  const words = options?.trim().split(/\s+/).filter(Boolean) ?? [];
  return words.length > 0 ? ['--conf', `spark.driver.defaultJavaOptions=${words.join(' ')}`] : [];
}

/** Spawns a Spark process and turns its output into events and progress; shared by the local runners. */
export function runProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  name: string,
  reporter: Reporter,
  signal: AbortSignal | undefined,
): Promise<SparkRunResult> {
  const started = performance.now();
  return new Promise<SparkRunResult>((done, fail) => {
    if (signal?.aborted) {
      fail(new OrchestratorError('INTERRUPTED', `Interrupted before ${name} started.`));
      return;
    }
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let interrupted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const onAbort = () => {
      interrupted = true;
      reporter.event({ level: 'warn', code: 'spark.stopping', message: `Stopping ${name} (SIGTERM)…` });
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    const output = new SparkOutputRouter(reporter, name);
    lineSplitter(child.stdout, (l) => output.line(l, 'stdout'));
    lineSplitter(child.stderr, (l) => output.line(l, 'stderr'));

    child.on('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      fail(
        new OrchestratorError('PREREQUISITES_MISSING', `Cannot start ${command}: ${e.message}.`, {
          cause: e,
          suggestion:
            'Run `npm run bootstrap` (it builds the project venv with pyspark), then `orchestrator doctor`.',
        }),
      );
    });
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      output.done();
      const durationMs = Math.round(performance.now() - started);
      if (interrupted) {
        fail(
          new OrchestratorError('INTERRUPTED', `${name} was stopped; nothing was published.`, {
            suggestion: 'Rerun the same command to start it again.',
            data: { durationMs },
          }),
        );
        return;
      }
      done({ exitCode: code ?? (sig ? 128 : 1), durationMs, tail: output.tail().slice(-15) });
    });
  });
}

/** Calls onLine for each line (LF, CRLF or the CR of Spark's redrawn progress bar). */
function lineSplitter(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    const parts = (rest + text).split(/\r\n|\r|\n/);
    rest = parts.pop() ?? '';
    for (const p of parts) onLine(p);
  });
  stream.on('end', () => {
    if (rest) onLine(rest);
  });
}
