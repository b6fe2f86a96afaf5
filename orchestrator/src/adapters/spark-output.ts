/**
 * Spark's output, wherever it comes from (a local spark-submit's pipes, or the driver logs EMR
 * Serverless writes to S3), turned into our events: log4j lines at their own level (Spark INFO is
 * chatty: it becomes debug), the console progress bar into progress, the job's own lines as info, and
 * the last lines kept for error messages.
 */
import type { EventLevel, Progress, Reporter } from '../ports/reporter.js';

const TAIL_LINES = 40;

/** `26/11/26 16:59:01 WARN NativeCodeLoader: …` → WARN (log4j2's default pattern in pyspark and on EMR). */
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

export type OutputStream = 'stdout' | 'stderr';

export class SparkOutputRouter {
  private readonly lastLines: string[] = [];
  private readonly stages: StageProgress;
  /** Level of the log message a continuation line belongs to (schemas and plans span many lines). */
  private continuation: EventLevel | undefined;

  constructor(
    private readonly reporter: Reporter,
    private readonly job: string,
  ) {
    this.stages = new StageProgress(reporter, job);
  }

  line(line: string, stream: OutputStream): void {
    if (line.trim() === '') return;
    const stage = STAGE.exec(line);
    if (stage) {
      this.stages.update(Number(stage[1]), Number(stage[2]), Number(stage[4]));
      return;
    }
    this.keep(line);
    const data = { job: this.job, stream };
    const log = LOG4J.exec(line);
    if (log) {
      this.continuation = QUIET.has(log[2]!) ? 'debug' : (LEVELS[log[1]!] ?? 'debug');
      this.reporter.event({
        level: this.continuation,
        code: 'spark.log',
        message: `${log[2]}: ${log[3]}`,
        data,
      });
      return;
    }
    let level: EventLevel = 'info'; // the job's own prints on stdout
    if (stream === 'stderr') {
      // A Python traceback or a coded job message starts a block of its own; any other line continues
      // the log message above it at that message's level.
      if (JOB_MESSAGE.test(line)) this.continuation = 'warn';
      level = this.continuation ?? 'warn';
    }
    this.reporter.event({ level, code: 'spark.output', message: line, data });
  }

  /** The last lines seen (both streams, in arrival order). */
  tail(): string[] {
    return [...this.lastLines];
  }

  done(): void {
    this.stages.done();
  }

  private keep(line: string): void {
    this.lastLines.push(line);
    if (this.lastLines.length > TAIL_LINES) this.lastLines.shift();
  }
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
