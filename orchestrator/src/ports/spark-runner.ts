/**
 * Running a Spark job somewhere: `spark-submit` from the project venv, the same inside a Docker
 * container, or EMR Serverless. The use case describes the job once (SparkJobSpec); each runner turns
 * it into its own invocation (a command line, or a StartJobRun request), which `--dry-run` prints
 * without running anything.
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
  /** JVM options of a local run's driver (config spark.driverJavaOptions); remote runners ignore them. */
  driverJavaOptions?: string;
  /** Environment variables for the job's processes (test hooks, never secrets). */
  env?: Record<string, string>;
  /**
   * How many times this job (same inputs and code) has been submitted, this one included. Remote
   * runners put it in their idempotency token: a resent request of the same attempt is the same run.
   */
  attempt?: number;
  /** What the run is for (job, table, program year, run id): tags on remote runs, for cost reports. */
  labels?: Record<string, string>;
}

/** An invocation as a user could type it: what `--dry-run` prints. */
export interface SparkInvocation {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** What a remote run (EMR Serverless) reports at its end: where it ran, what it cost. */
export interface RemoteRunReport {
  service: 'emr-serverless';
  applicationId: string;
  jobRunId: string;
  state: string;
  stateDetails?: string | undefined;
  /** Billed resources (EMR rounds up to a minimum), as the service reports them. */
  billed?: { vCPUHour: number; memoryGBHour: number; storageGBHour: number } | undefined;
  /** billed × the unit prices in config, in USD. */
  estimatedCostUsd?: number | undefined;
  /** Spark UI / Spark History Server link, when the service gives one. */
  dashboardUrl?: string | undefined;
  /** Where the driver's logs are (`…/SPARK_DRIVER/`). */
  driverLogs?: string | undefined;
  /** True when this process attached to a run an earlier process started (same idempotency token). */
  reattached?: boolean | undefined;
}

export interface SparkRunResult {
  exitCode: number;
  durationMs: number;
  /** The last lines of the job's output, for error messages. */
  tail: string[];
  remote?: RemoteRunReport | undefined;
}

export interface SparkRunner {
  readonly kind: 'local' | 'docker' | 'emr-serverless';
  /**
   * True when a run outlives this process (a remote service): a later submit of the same job and
   * attempt finds the run again instead of starting another one.
   */
  readonly reattachable: boolean;
  /** What run() will do, exactly: the shell command, or the service request (for --dry-run and logs). */
  describe(spec: SparkJobSpec): string;
  /** Runs the job to its end; aborting the signal stops it cleanly (INTERRUPTED). */
  run(
    spec: SparkJobSpec,
    opts: { reporter: Reporter; signal?: AbortSignal | undefined },
  ): Promise<SparkRunResult>;
}

/** Renders an invocation as one shell line (quoted where needed), for --dry-run and logs. */
export function shellLine(inv: SparkInvocation): string {
  const q = shellQuote;
  const env = Object.entries(inv.env).map(([k, v]) => `${k}=${q(v)}`);
  return [...env, q(inv.command), ...inv.args.map(q)].join(' ');
}

/** One shell word: as it is when it needs no quoting, else in single quotes. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./[\]*-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
