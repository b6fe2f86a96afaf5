/**
 * Running a Spark job somewhere: `spark-submit` from the project venv, the same inside a Docker
 * container, or EMR Serverless. The use case describes the job once (SparkJobSpec); each runner turns
 * it into its own invocation, which `--dry-run` prints without running anything.
 */
import type { Reporter } from './reporter.js';

export interface SparkJobSpec {
  /** Job name, for logs and the Spark app name. */
  name: string;
  /** Entry-point script (a local path; runners that ship code elsewhere stage it first). */
  entryPoint: string;
  /** The job package zip (content-addressed), passed with --py-files. */
  pyFiles: string[];
  /** Arguments after the entry point. */
  args: string[];
  /** Spark configuration (--conf k=v), in a stable order. */
  conf: Record<string, string>;
  driverMemory: string;
  /** Environment variables for the job's processes (test hooks, never secrets). */
  env?: Record<string, string>;
}

/** An invocation as a user could type it: what `--dry-run` prints. */
export interface SparkInvocation {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export interface SparkRunResult {
  exitCode: number;
  durationMs: number;
  /** The last lines of the job's output, for error messages. */
  tail: string[];
}

export interface SparkRunner {
  readonly kind: 'local' | 'docker';
  /** The exact command that run() executes. */
  invocation(spec: SparkJobSpec): SparkInvocation;
  /** Runs the job to its end; aborting the signal stops it cleanly (INTERRUPTED). */
  run(
    spec: SparkJobSpec,
    opts: { reporter: Reporter; signal?: AbortSignal | undefined },
  ): Promise<SparkRunResult>;
}

/** Renders an invocation as one shell line (quoted where needed), for --dry-run and logs. */
export function shellLine(inv: SparkInvocation): string {
  const q = (s: string) => (/^[A-Za-z0-9_@%+=:,./[\]*-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);
  const env = Object.entries(inv.env).map(([k, v]) => `${k}=${q(v)}`);
  return [...env, q(inv.command), ...inv.args.map(q)].join(' ');
}
