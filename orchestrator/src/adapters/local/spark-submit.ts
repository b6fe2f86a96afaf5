/**
 * The local runner: `spark-submit --master local[N]` from the project venv. Spark's log4j lines go to
 * our log at their own level (Spark INFO is chatty: it becomes debug), the console progress bar becomes
 * our progress, and an abort stops the whole process group (the JVM and its Python driver) with
 * SIGTERM, then SIGKILL after a grace period.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { OrchestratorError } from '../../domain/errors.js';
import type { EventLevel, Progress, Reporter } from '../../ports/reporter.js';
import type { SparkInvocation, SparkJobSpec, SparkRunner, SparkRunResult } from '../../ports/spark-runner.js';
import { venvEnv } from './project.js';

const TAIL_LINES = 40;
const KILL_GRACE_MS = 15_000;

/** `26/11/26 16:59:01 WARN NativeCodeLoader: …` → WARN (log4j2's default pattern in pyspark). */
const LOG4J = /^\d{2}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) ([^:]+): (.*)$/;
/** `[Stage 3:=====>      (12 + 2) / 40]` */
const STAGE = /\[Stage (\d+):[^(]*\((\d+) \+ (\d+)\) \/ (\d+)\]/;

/** Lines on stderr that are the job speaking, not Spark: tracebacks and `CODE: message` lines. */
const JOB_MESSAGE = /^(Traceback \(most recent call last\)|[A-Z][A-Z_]+: )/;

/** Loggers whose warnings are expected in local mode and say nothing actionable. */
const QUIET = new Set(['NativeCodeLoader', 'SparkStringUtils']);

const LEVELS: Record<string, EventLevel> = {
  TRACE: 'debug',
  DEBUG: 'debug',
  INFO: 'debug',
  WARN: 'warn',
  ERROR: 'error',
  FATAL: 'error',
};

export interface LocalSparkOptions {
  venv: string;
  /** `local[*]` or `local[N]`. */
  master: string;
  baseEnv: NodeJS.ProcessEnv;
}

export class LocalSparkRunner implements SparkRunner {
  readonly kind = 'local' as const;

  constructor(private readonly opts: LocalSparkOptions) {}

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
    ...Object.entries(spec.conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
    '--py-files',
    spec.pyFiles.join(','),
    spec.entryPoint,
    ...spec.args,
  ];
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
    const tail: string[] = [];
    const stages = new StageProgress(reporter, name);
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

    let continuation: EventLevel | undefined;
    const keep = (line: string) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    };
    const onLine = (line: string, stream: 'stdout' | 'stderr') => {
      if (line.trim() === '') return;
      const stage = STAGE.exec(line);
      if (stage) {
        stages.update(Number(stage[1]), Number(stage[2]), Number(stage[4]));
        return;
      }
      keep(line);
      const log = LOG4J.exec(line);
      if (log) {
        continuation = QUIET.has(log[2]!) ? 'debug' : (LEVELS[log[1]!] ?? 'debug');
        reporter.event({
          level: continuation,
          code: 'spark.log',
          message: `${log[2]}: ${log[3]}`,
          data: { job: name },
        });
        return;
      }
      let level: EventLevel = 'info'; // the job's own prints on stdout
      if (stream === 'stderr') {
        // A Python traceback or a coded job message starts a block of its own; any other line continues
        // the log message above it (Spark logs schemas and plans over many lines) at that message's level.
        if (JOB_MESSAGE.test(line)) continuation = 'warn';
        level = continuation ?? 'warn';
      }
      reporter.event({ level, code: 'spark.output', message: line, data: { job: name } });
    };
    lineSplitter(child.stdout, (l) => onLine(l, 'stdout'));
    lineSplitter(child.stderr, (l) => onLine(l, 'stderr'));

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
      stages.done();
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
      done({ exitCode: code ?? (sig ? 128 : 1), durationMs, tail: [...tail] });
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

/** One progress per Spark stage, in tasks. */
class StageProgress {
  private current: { stage: number; done: number; progress: Progress } | undefined;

  constructor(
    private readonly reporter: Reporter,
    private readonly job: string,
  ) {}

  update(stage: number, finished: number, total: number): void {
    if (this.current?.stage !== stage) {
      this.current?.progress.done();
      this.current = {
        stage,
        done: 0,
        progress: this.reporter.progress(`${this.job} stage ${stage}`, { total, unit: 'tasks' }),
      };
    }
    if (finished > this.current.done) {
      this.current.progress.tick(finished - this.current.done);
      this.current.done = finished;
    }
  }

  done(): void {
    this.current?.progress.done();
    this.current = undefined;
  }
}
