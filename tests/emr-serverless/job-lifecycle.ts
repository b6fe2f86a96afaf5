/**
 * Drives one job run from SUBMITTED to a terminal state, as EMR Serverless would:
 *   SUBMITTED → PENDING → SCHEDULED (artifacts staged) → RUNNING (driver up, logs streamed)
 *     → SUCCESS | FAILED, or CANCELLING → CANCELLED (CancelJobRun) / FAILED (execution timeout).
 * Logs are published for the last time before the terminal state is set, so a client that sees the
 * end of a run also finds its complete logs.
 */
import { constants } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { DriverLogPublisher, driverLogLocation } from './driver-logs.js';
import { type DriverExit, type DriverProcess, launchDriver, standInArgs } from './driver-process.js';
import type { JobRun } from './job-run.js';
import { type LocalSparkConfig, type SparkSubmitCommand, sparkSubmitCommand } from './local-spark.js';

export interface LifecycleContext {
  s3: S3Client;
  spark: LocalSparkConfig;
  /** Each run stages its artifacts under `<workRoot>/<jobRunId>/`. */
  workRoot: string;
  stateTransitionMs: number;
  logUploadIntervalMs: number;
  /** How long one minute of executionTimeoutMinutes lasts (tests shrink it). */
  minuteMs: number;
  /** SIGTERM → SIGKILL grace when a driver is stopped. */
  killGraceMs: number;
  onLaunch(run: JobRun, driver: DriverProcess, kind: 'spark-submit' | 'stand-in'): void;
}

const FAILED_PREFIX = 'Job failed, please check complete logs in configured logging destination.';

/** Resolves after `ms`, or at once when the run is being stopped. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal.aborted) return done();
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      done();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}

export async function driveJobRun(run: JobRun, ctx: LifecycleContext): Promise<void> {
  const step = run.behaviour.slowStates ?? ctx.stateTransitionMs;
  const signal = run.stopSignal.signal;

  for (const next of ['PENDING', 'SCHEDULED'] as const) {
    await pause(step, signal);
    if (run.stopReason) return settleStopped(run);
    run.setState(next);
  }

  // SCHEDULED is where EMR allocates resources and fetches the job's files: a missing entry point
  // fails the run here, before it ever reaches RUNNING.
  let command: SparkSubmitCommand | undefined;
  if (run.behaviour.fail === undefined && !run.behaviour.hang) {
    try {
      command = await sparkSubmitCommand(stagedJob(run), ctx.spark, ctx.s3, join(ctx.workRoot, run.jobRunId));
    } catch (e) {
      run.setState('FAILED', `Failed to fetch the job's files from S3: ${(e as Error).message}`);
      return;
    }
  }
  await pause(step, signal);
  if (run.stopReason) return settleStopped(run);

  run.setState('RUNNING');
  const logs = logPublisher(run, ctx);
  logs?.start(ctx.logUploadIntervalMs);
  const timeout = armExecutionTimeout(run, ctx.minuteMs);
  const exit = await runDriver(run, ctx, command, step);
  clearTimeout(timeout);
  await logs?.finish();
  settleAfterDriver(run, exit);
}

function stagedJob(run: JobRun) {
  const submit = run.request.jobDriver.sparkSubmit!;
  const sparkDefaults: Record<string, string> = {};
  for (const c of run.request.configurationOverrides?.applicationConfiguration ?? [])
    if (c.classification === 'spark-defaults') Object.assign(sparkDefaults, c.properties ?? {});
  return {
    entryPoint: submit.entryPoint,
    entryPointArguments: submit.entryPointArguments ?? [],
    params: run.params,
    sparkDefaults,
  };
}

function logPublisher(run: JobRun, ctx: LifecycleContext): DriverLogPublisher | undefined {
  if (!run.logUri) return undefined;
  const stdout = driverLogLocation(run.logUri, run.applicationId, run.jobRunId, 'stdout');
  const stderr = driverLogLocation(run.logUri, run.applicationId, run.jobRunId, 'stderr');
  if (!stdout || !stderr) return undefined;
  const publisher = new DriverLogPublisher(ctx.s3, run.output, { stdout, stderr });
  run.logPublisher = publisher;
  return publisher;
}

function armExecutionTimeout(run: JobRun, minuteMs: number): NodeJS.Timeout | undefined {
  const minutes = run.executionTimeoutMinutes;
  if (minutes <= 0) return undefined;
  return setTimeout(() => run.requestStop('timeout'), minutes * minuteMs);
}

async function runDriver(
  run: JobRun,
  ctx: LifecycleContext,
  command: SparkSubmitCommand | undefined,
  step: number,
): Promise<DriverExit> {
  const failure = run.behaviour.fail;
  if (failure !== undefined) {
    // A forced failure skips Spark: the message is what the driver "wrote" before exiting with 1.
    run.output.append('stdout', 'emulator: forced failure (setBehaviour fail); Spark was not started\n');
    run.output.append('stderr', `${failure}\n`);
    await pause(step, run.stopSignal.signal);
    return { code: 1, signal: null };
  }
  const driver = command
    ? launchDriver(command.command, command.args, {
        cwd: join(ctx.workRoot, run.jobRunId),
        env: command.env,
        output: run.output,
      })
    : launchDriver(process.execPath, standInArgs(`emulator: hanging driver stand-in for ${run.jobRunId}`), {
        cwd: ctx.workRoot,
        env: process.env,
        output: run.output,
      });
  run.driver = driver;
  ctx.onLaunch(run, driver, command ? 'spark-submit' : 'stand-in');
  const onStop = () => driver.terminate(ctx.killGraceMs);
  if (run.stopReason) onStop();
  else run.stopSignal.signal.addEventListener('abort', onStop, { once: true });
  return driver.exited;
}

function exitCodeOf(exit: DriverExit): number {
  if (exit.code !== null) return exit.code;
  const signo = exit.signal ? constants.signals[exit.signal] : undefined;
  return 128 + (signo ?? 0);
}

/** The last few distinct exception lines of the driver's output, as EMR quotes them in stateDetails. */
export function lastExceptions(output: string, limit = 3): string[] {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(Caused by: )?[\w.$]*(Exception|Error)\b.*:/.test(l));
  return [...new Set(lines)].slice(-limit);
}

function settleStopped(run: JobRun): void {
  if (run.stopReason === 'timeout') {
    run.setState(
      'FAILED',
      `Job run timed out after ${run.executionTimeoutMinutes} minutes (executionTimeoutMinutes) and was cancelled.`,
    );
  } else {
    run.setState('CANCELLED', 'Job run cancelled by CancelJobRun.');
  }
}

function settleAfterDriver(run: JobRun, exit: DriverExit): void {
  if (run.stopReason) {
    settleStopped(run);
    return;
  }
  const code = exitCodeOf(exit);
  if (code === 0) {
    run.setState('SUCCESS');
    return;
  }
  // Spark's PythonRunner merges the Python driver's stderr into the JVM's stdout: a Python traceback
  // ends up in stdout (stdout.gz on EMR too), Java's "Caused by:" lines in stderr.
  const output = `${run.output.text('stderr')}\n${run.output.text('stdout')}`;
  const quoted = run.behaviour.fail !== undefined ? [run.behaviour.fail] : lastExceptions(output);
  const tail = quoted.length ? ` Last few exceptions: ${quoted.join('\n')}` : '';
  run.setState('FAILED', `${FAILED_PREFIX} ExitCode: ${code}.${tail}`);
}
