/**
 * Typed errors with stable codes. Commands throw; the CLI's main maps the error to an exit code in
 * exactly one place. Codes are part of the public interface (scripts and Airflow match on them), so
 * they are never renamed — only added.
 */

export type ErrorSource = 'user' | 'system';

/** Exit codes by category; the README's exit-code table is checked against this by a test. */
export const EXIT_CODES = {
  ok: { code: 0, meaning: 'Success.' },
  internal: { code: 1, meaning: 'Unexpected internal error (a bug): please report it with the log.' },
  usage: { code: 2, meaning: 'Invalid command line: unknown option, bad value, missing argument.' },
  config: { code: 3, meaning: 'Invalid configuration file, environment variable or flag value.' },
  input: { code: 4, meaning: 'Bad input data: unknown header, wrong year, malformed file.' },
  environment: { code: 5, meaning: 'A prerequisite is missing (Java, Python venv, Spark, dbt, disk space).' },
  conflict: {
    code: 6,
    meaning: 'Refused to overwrite or to run concurrently (write-once raw zone, lock held).',
  },
  io: { code: 7, meaning: 'Cannot read or write a file or object (permissions, missing path).' },
  remote: { code: 8, meaning: 'A remote service failed (CMS API, AWS) after retries.' },
  job: { code: 10, meaning: 'A Spark job or a validation failed.' },
  cancelled: {
    code: 11,
    meaning: 'Interrupted, and the remote job run (EMR Serverless) was cancelled: nothing was published.',
  },
  interrupted: {
    code: 130,
    meaning: 'Interrupted (Ctrl-C / SIGTERM); work in progress was stopped cleanly.',
  },
} as const;

export type ExitCategory = keyof typeof EXIT_CODES;

interface ErrorSpec {
  readonly category: ExitCategory;
  readonly source: ErrorSource;
}

/** The catalogue of error codes. Add here; never rename. */
export const ERROR_CODES = {
  INTERNAL: { category: 'internal', source: 'system' },
  USAGE: { category: 'usage', source: 'user' },
  INVALID_OPTION: { category: 'usage', source: 'user' },
  UNKNOWN_DATASET: { category: 'usage', source: 'user' },
  YEAR_OUT_OF_RANGE: { category: 'usage', source: 'user' },
  UNKNOWN_ERA: { category: 'usage', source: 'user' },
  CONFIG_INVALID: { category: 'config', source: 'user' },
  CONFIG_NOT_FOUND: { category: 'config', source: 'user' },
  CONFIG_UNREADABLE: { category: 'config', source: 'user' },
  UNKNOWN_HEADER: { category: 'input', source: 'user' },
  EMPTY_FILE: { category: 'input', source: 'user' },
  NOT_CSV: { category: 'input', source: 'user' },
  TRUNCATED_FILE: { category: 'input', source: 'user' },
  YEAR_MISMATCH: { category: 'input', source: 'user' },
  UNSAFE_ARCHIVE: { category: 'input', source: 'user' },
  ARCHIVE_CORRUPT: { category: 'input', source: 'user' },
  ARCHIVE_ENTRY_MISSING: { category: 'input', source: 'user' },
  CHUNK_MISMATCH: { category: 'internal', source: 'system' },
  INVALID_LAKE_KEY: { category: 'input', source: 'system' },
  PREREQUISITES_MISSING: { category: 'environment', source: 'system' },
  TARGET_NOT_AVAILABLE: { category: 'environment', source: 'user' },
  RAW_IMMUTABLE: { category: 'conflict', source: 'user' },
  OUTPUT_EXISTS: { category: 'conflict', source: 'user' },
  OUTPUT_NOT_WRITABLE: { category: 'io', source: 'user' },
  OBJECT_NOT_FOUND: { category: 'io', source: 'user' },
  IO_ERROR: { category: 'io', source: 'system' },
  INTERRUPTED: { category: 'interrupted', source: 'user' },
  DOWNLOAD_FAILED: { category: 'remote', source: 'system' },
  CATALOG_UNAVAILABLE: { category: 'remote', source: 'system' },
  PUBLICATION_NOT_FOUND: { category: 'remote', source: 'user' },
  UNKNOWN_JOB: { category: 'usage', source: 'user' },
  NOT_INGESTED: { category: 'input', source: 'user' },
  NOT_TRANSFORMED: { category: 'input', source: 'user' },
  DOCKER_UNAVAILABLE: { category: 'environment', source: 'user' },
  SPARK_JOB_FAILED: { category: 'job', source: 'system' },
  JOB_OUTPUT_MISSING: { category: 'job', source: 'system' },
  RECONCILIATION_FAILED: { category: 'job', source: 'system' },
  CATALOG_FAILED: { category: 'io', source: 'system' },
  EMR_SERVERLESS_FAILED: { category: 'remote', source: 'system' },
  JOB_CANCELLED: { category: 'cancelled', source: 'user' },
  VALIDATION_FAILED: { category: 'job', source: 'system' },
  LOCK_HELD: { category: 'conflict', source: 'user' },
  BACKFILL_INCOMPLETE: { category: 'job', source: 'system' },
  DBT_BUILD_FAILED: { category: 'job', source: 'system' },
  DBT_SOURCES_STALE: { category: 'config', source: 'user' },
  DBT_SOURCES_MISSING: { category: 'input', source: 'user' },
  NOTHING_TO_VALIDATE: { category: 'input', source: 'user' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetails {
  suggestion?: string;
  cause?: unknown;
  /** Structured facts for `--json` output and logs (never secrets). */
  data?: Record<string, unknown>;
}

export class OrchestratorError extends Error {
  readonly code: ErrorCode;
  readonly source: ErrorSource;
  readonly category: ExitCategory;
  readonly suggestion: string | undefined;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'OrchestratorError';
    this.code = code;
    const spec: ErrorSpec = ERROR_CODES[code];
    this.source = spec.source;
    this.category = spec.category;
    this.suggestion = details.suggestion;
    this.data = details.data;
  }

  get exitCode(): number {
    return EXIT_CODES[this.category].code;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      source: this.source,
      message: this.message,
      suggestion: this.suggestion,
      exitCode: this.exitCode,
      ...(this.data ? { data: this.data } : {}),
    };
  }
}

export function isOrchestratorError(e: unknown): e is OrchestratorError {
  return e instanceof OrchestratorError;
}

/** Wraps anything thrown into a typed error so the CLI renders every failure the same way. */
export function toOrchestratorError(e: unknown): OrchestratorError {
  if (isOrchestratorError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new OrchestratorError('INTERNAL', `Unexpected error: ${message}`, {
    cause: e,
    suggestion: 'Rerun with --log-level debug and report the output if it persists.',
  });
}
