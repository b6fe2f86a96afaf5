/**
 * One job run as the emulator keeps it: the request it came from, its state and history, the driver
 * output, and its rendering as the API's `JobRun` and `JobRunSummary` shapes (timestamps in epoch
 * seconds, as REST-JSON sends them).
 */
import type { DriverLogPublisher, DriverOutput } from './driver-logs.js';
import type { DriverProcess } from './driver-process.js';
import type { SparkSubmitParams } from './spark-submit-params.js';
import { type ResourceUtilization, utilization } from './utilization.js';

export type JobRunState =
  | 'SUBMITTED'
  | 'PENDING'
  | 'SCHEDULED'
  | 'RUNNING'
  | 'SUCCESS'
  | 'FAILED'
  | 'CANCELLING'
  | 'CANCELLED';

export const TERMINAL_STATES: ReadonlySet<JobRunState> = new Set(['SUCCESS', 'FAILED', 'CANCELLED']);

/** The StartJobRun body (plus the applicationId of the path), as far as the emulator reads it. */
export interface StartJobRunRequest {
  applicationId: string;
  clientToken: string;
  executionRoleArn: string;
  jobDriver: {
    sparkSubmit?: { entryPoint: string; entryPointArguments?: string[]; sparkSubmitParameters?: string };
    hive?: unknown;
  };
  configurationOverrides?: {
    applicationConfiguration?: Array<{ classification: string; properties?: Record<string, string> }>;
    monitoringConfiguration?: { s3MonitoringConfiguration?: { logUri?: string } };
  };
  executionTimeoutMinutes?: number;
  name?: string;
  tags?: Record<string, string>;
  mode?: string;
}

/** Fault injection fixed at StartJobRun time (see EmulatorBehaviour). */
export interface RunBehaviour {
  fail?: string;
  hang?: boolean;
  slowStates?: number;
}

/** EMR Serverless's default, 12 hours; 0 means "never". */
export const DEFAULT_EXECUTION_TIMEOUT_MINUTES = 720;

export type StopReason = 'cancel' | 'timeout';

const epochSeconds = (d: Date) => d.getTime() / 1000;

export class JobRun {
  state: JobRunState = 'SUBMITTED';
  stateDetails = '';
  readonly createdAt = new Date();
  updatedAt = this.createdAt;
  startedAt: Date | undefined;
  endedAt: Date | undefined;
  /** Every state the run went through, in order, with when. */
  readonly history: Array<{ state: JobRunState; at: Date }> = [{ state: 'SUBMITTED', at: this.createdAt }];
  /** The process playing the driver, once RUNNING (none for the `fail` behaviour). */
  driver: DriverProcess | undefined;
  /** Set when the request has a logUri: its upload count and last error tell a test what reached S3. */
  logPublisher: DriverLogPublisher | undefined;
  stopReason: StopReason | undefined;
  /** Aborted by CancelJobRun or the execution timeout: wakes whatever the run is waiting on. */
  readonly stopSignal = new AbortController();
  /** Settles when the run has reached a terminal state and its logs are published. */
  done: Promise<void> = Promise.resolve();

  constructor(
    readonly jobRunId: string,
    readonly arn: string,
    readonly request: StartJobRunRequest,
    readonly params: SparkSubmitParams,
    readonly behaviour: RunBehaviour,
    readonly output: DriverOutput,
    private readonly createdBy: string,
    private readonly releaseLabel: string,
  ) {}

  get applicationId(): string {
    return this.request.applicationId;
  }

  get executionTimeoutMinutes(): number {
    return this.request.executionTimeoutMinutes ?? DEFAULT_EXECUTION_TIMEOUT_MINUTES;
  }

  get logUri(): string | undefined {
    return this.request.configurationOverrides?.monitoringConfiguration?.s3MonitoringConfiguration?.logUri;
  }

  get terminal(): boolean {
    return TERMINAL_STATES.has(this.state);
  }

  setState(state: JobRunState, details = ''): void {
    if (this.terminal) return;
    const now = new Date();
    if (state === 'RUNNING') this.startedAt = now;
    if (TERMINAL_STATES.has(state)) this.endedAt = now;
    this.state = state;
    this.stateDetails = details;
    this.updatedAt = now;
    this.history.push({ state, at: now });
  }

  /** CancelJobRun or the timeout: CANCELLING now; the lifecycle settles the final state. */
  requestStop(reason: StopReason): void {
    if (this.terminal || this.stopReason) return;
    this.stopReason = reason;
    this.setState('CANCELLING');
    this.stopSignal.abort();
  }

  /** Seconds the driver ran (RUNNING until the end), the basis of the utilization figures. */
  get executionSeconds(): number {
    if (!this.startedAt) return 0;
    return ((this.endedAt ?? new Date()).getTime() - this.startedAt.getTime()) / 1000;
  }

  toApi(): Record<string, unknown> {
    const r = this.request;
    const shape: Record<string, unknown> = {
      applicationId: this.applicationId,
      jobRunId: this.jobRunId,
      arn: this.arn,
      name: r.name,
      createdBy: this.createdBy,
      createdAt: epochSeconds(this.createdAt),
      updatedAt: epochSeconds(this.updatedAt),
      executionRole: r.executionRoleArn,
      state: this.state,
      stateDetails: this.stateDetails,
      releaseLabel: this.releaseLabel,
      jobDriver: r.jobDriver,
      configurationOverrides: r.configurationOverrides,
      tags: r.tags ?? {},
      executionTimeoutMinutes: this.executionTimeoutMinutes,
      mode: r.mode ?? 'BATCH',
      attempt: 1,
      attemptCreatedAt: epochSeconds(this.createdAt),
      attemptUpdatedAt: epochSeconds(this.updatedAt),
      startedAt: this.startedAt && epochSeconds(this.startedAt),
      endedAt: this.endedAt && epochSeconds(this.endedAt),
      queuedDurationMilliseconds: 0,
    };
    // AWS reports usage once a run has ended.
    if (this.endedAt) {
      const seconds = this.executionSeconds;
      const { total, billed } = utilization(this.params.sizing, seconds);
      shape['totalExecutionDurationSeconds'] = Math.round(seconds);
      shape['totalResourceUtilization'] = total satisfies ResourceUtilization;
      shape['billedResourceUtilization'] = billed satisfies ResourceUtilization;
    }
    return shape;
  }

  toSummary(): Record<string, unknown> {
    return {
      applicationId: this.applicationId,
      id: this.jobRunId,
      arn: this.arn,
      name: this.request.name,
      mode: this.request.mode ?? 'BATCH',
      createdBy: this.createdBy,
      createdAt: epochSeconds(this.createdAt),
      updatedAt: epochSeconds(this.updatedAt),
      executionRole: this.request.executionRoleArn,
      state: this.state,
      stateDetails: this.stateDetails,
      releaseLabel: this.releaseLabel,
      type: 'Spark',
      attempt: 1,
      attemptCreatedAt: epochSeconds(this.createdAt),
      attemptUpdatedAt: epochSeconds(this.updatedAt),
    };
  }
}
