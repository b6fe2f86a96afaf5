/**
 * The docker runner: the same spark-submit, inside the image built from local-spark/Dockerfile (the
 * official Apache Spark image of the pinned Spark version). The lake is mounted at the same absolute
 * path, so every path in the job's arguments means the same inside and outside the container, and the
 * container runs as the calling user so the files it writes belong to them. `--init` gives the
 * container a PID 1 that forwards SIGTERM, and the docker client proxies our signals to it, so Ctrl-C
 * stops the job as it does locally.
 *
 * This machine has no Docker engine: the invocation is unit-tested; run() reports DOCKER_UNAVAILABLE.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { OrchestratorError } from '../../domain/errors.js';
import type { Reporter } from '../../ports/reporter.js';
import {
  type SparkInvocation,
  type SparkJobSpec,
  type SparkRunner,
  shellLine,
} from '../../ports/spark-runner.js';
import { runProcess, sparkSubmitArgs } from './spark-submit.js';

export interface DockerSparkOptions {
  image: string;
  master: string;
  /** Absolute folders the job reads or writes (the lake): mounted read-write at the same path. */
  mounts: string[];
  user: { uid: number; gid: number };
  baseEnv: NodeJS.ProcessEnv;
}

/** Where spark-submit lives in the apache/spark images. */
export const IMAGE_SPARK_SUBMIT = '/opt/spark/bin/spark-submit';

export class DockerSparkRunner implements SparkRunner {
  readonly kind = 'docker' as const;
  readonly reattachable = false;

  constructor(private readonly opts: DockerSparkOptions) {}

  describe(spec: SparkJobSpec): string {
    return shellLine(this.invocation(spec));
  }

  invocation(spec: SparkJobSpec): SparkInvocation {
    const env = Object.entries(spec.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    return {
      command: 'docker',
      args: [
        'run',
        '--rm',
        '--init',
        '--name',
        `openpayments-${spec.name}`,
        '--user',
        `${this.opts.user.uid}:${this.opts.user.gid}`,
        // Spark's ivy and temp files need a writable home for an arbitrary uid.
        '--env',
        'HOME=/tmp',
        ...env,
        ...this.opts.mounts.flatMap((m) => ['--volume', `${m}:${m}`]),
        '--workdir',
        '/tmp',
        this.opts.image,
        IMAGE_SPARK_SUBMIT,
        ...sparkSubmitArgs(spec, this.opts.master),
      ],
      env: {},
    };
  }

  async run(
    spec: SparkJobSpec,
    { reporter, signal }: { reporter: Reporter; signal?: AbortSignal | undefined },
  ) {
    await this.checkEngine();
    const inv = this.invocation(spec);
    return runProcess(inv.command, inv.args, this.opts.baseEnv, spec.name, reporter, signal);
  }

  private async checkEngine(): Promise<void> {
    try {
      await promisify(execFile)('docker', ['version', '--format', '{{.Server.Version}}'], {
        env: this.opts.baseEnv,
        timeout: 20_000,
      });
    } catch (e) {
      throw new OrchestratorError(
        'DOCKER_UNAVAILABLE',
        'The docker runner needs a running Docker engine, and none answered.',
        {
          cause: e,
          suggestion: `Start Docker and build the image (docker compose -f local-spark/compose.yaml build), or use --runner local.`,
          data: { image: this.opts.image },
        },
      );
    }
  }
}
