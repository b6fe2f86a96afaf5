/**
 * The driver's stdout and stderr in EMR Serverless's S3 log layout:
 *   <logUri>/applications/<applicationId>/jobs/<jobRunId>/SPARK_DRIVER/stdout.gz (and stderr.gz)
 * Each upload is a whole gzip of everything so far, replacing the previous one, republished on an
 * interval while the driver runs, so a client can follow a running job as it would on AWS.
 */
import { gzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { joinS3Key, parseS3Uri, putObject, type S3Location } from './s3-artifacts.js';

/** What a driver wrote so far, in arrival order. */
export class DriverOutput {
  private readonly chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  private readonly sizes = { stdout: 0, stderr: 0 };

  append(stream: 'stdout' | 'stderr', chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.chunks[stream].push(buf);
    this.sizes[stream] += buf.length;
  }

  size(stream: 'stdout' | 'stderr'): number {
    return this.sizes[stream];
  }

  bytes(stream: 'stdout' | 'stderr'): Buffer {
    const joined = Buffer.concat(this.chunks[stream]);
    this.chunks[stream] = [joined];
    return joined;
  }

  text(stream: 'stdout' | 'stderr'): string {
    return this.bytes(stream).toString('utf8');
  }
}

export function driverLogLocation(
  logUri: string,
  applicationId: string,
  jobRunId: string,
  stream: 'stdout' | 'stderr',
): S3Location | undefined {
  const base = parseS3Uri(logUri);
  if (!base) return undefined;
  const key = joinS3Key(base.key, `applications/${applicationId}/jobs/${jobRunId}/SPARK_DRIVER/${stream}.gz`);
  return { bucket: base.bucket, key };
}

/**
 * Publishes a DriverOutput to S3: `start()` begins the periodic uploads, `finish()` stops them and
 * uploads the final state. Uploads never overlap (one in flight at a time) and skip a stream that
 * has not grown. An upload error is kept, not thrown: on AWS a log that cannot be written does not
 * change the job's outcome either.
 */
export class DriverLogPublisher {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly published = { stdout: -1, stderr: -1 };
  uploads = 0;
  lastError: Error | undefined;

  constructor(
    private readonly s3: S3Client,
    private readonly output: DriverOutput,
    private readonly targets: Record<'stdout' | 'stderr', S3Location>,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.publish(), intervalMs);
    this.timer.unref();
  }

  async finish(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.publish();
  }

  private publish(): Promise<void> {
    this.inFlight = this.inFlight.then(() => this.uploadChanged());
    return this.inFlight;
  }

  private async uploadChanged(): Promise<void> {
    for (const stream of ['stdout', 'stderr'] as const) {
      const size = this.output.size(stream);
      if (size === this.published[stream]) continue;
      try {
        await putObject(this.s3, this.targets[stream], gzipSync(this.output.bytes(stream)));
        this.published[stream] = size;
        this.uploads++;
      } catch (e) {
        this.lastError = e as Error;
      }
    }
  }
}
