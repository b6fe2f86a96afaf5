/**
 * Applications, ids and ARNs. Capacity is not modelled: an application has no workers to run out of,
 * starts itself on the first job run (autoStart, EMR's default), and never stops on its own.
 */
import { randomBytes } from 'node:crypto';

export const ACCOUNT_ID = '123456789012';
/** Who "called" the API: no IAM here, so every request is this made-up user. */
export const CALLER_ARN = `arn:aws:iam::${ACCOUNT_ID}:user/emr-serverless-emulator`;

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** 16 characters of [0-9a-z] starting with `00`, like EMR Serverless's application and job run ids. */
export function newId(): string {
  const bytes = randomBytes(14);
  return `00${Array.from(bytes, (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('')}`;
}

export function applicationArn(region: string, applicationId: string): string {
  return `arn:aws:emr-serverless:${region}:${ACCOUNT_ID}:/applications/${applicationId}`;
}

export function jobRunArn(region: string, applicationId: string, jobRunId: string): string {
  return `${applicationArn(region, applicationId)}/jobruns/${jobRunId}`;
}

export type ApplicationState = 'CREATED' | 'STARTED';

export class Application {
  state: ApplicationState = 'CREATED';
  readonly createdAt = new Date();
  updatedAt = this.createdAt;

  constructor(
    readonly applicationId: string,
    readonly arn: string,
    readonly name: string,
    readonly releaseLabel: string,
    readonly tags: Record<string, string> = {},
  ) {}

  /** A job run arriving at a CREATED application starts it, as autoStartConfiguration does on AWS. */
  autoStart(): void {
    if (this.state === 'STARTED') return;
    this.state = 'STARTED';
    this.updatedAt = new Date();
  }

  toApi(): Record<string, unknown> {
    return {
      applicationId: this.applicationId,
      ...this.commonFields(),
      tags: this.tags,
      autoStartConfiguration: { enabled: true },
      autoStopConfiguration: { enabled: true, idleTimeoutMinutes: 15 },
    };
  }

  toSummary(): Record<string, unknown> {
    return { id: this.applicationId, ...this.commonFields() };
  }

  private commonFields(): Record<string, unknown> {
    return {
      arn: this.arn,
      name: this.name,
      releaseLabel: this.releaseLabel,
      type: 'Spark',
      state: this.state,
      stateDetails: '',
      architecture: 'X86_64',
      createdAt: this.createdAt.getTime() / 1000,
      updatedAt: this.updatedAt.getTime() / 1000,
    };
  }
}
