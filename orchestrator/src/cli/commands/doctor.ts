import { resolve } from 'node:path';
import type { Command } from 'commander';
import { runDoctor } from '../../app/doctor.js';
import { awsChecks } from '../../app/doctor-aws.js';
import { OrchestratorError } from '../../domain/errors.js';
import { awsDoctorProbe, localPaths, systemProbe } from '../../wiring.js';
import type { CommandContext } from '../context.js';
import { render } from '../context.js';

const MARK = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;

export function registerDoctor(program: Command, context: () => Promise<CommandContext>): void {
  program
    .command('doctor')
    .description(
      'Check Java, the Python venv, spark-submit, dbt, disk space and the lake; print a fix for each problem.',
    )
    .action(async () => {
      const ctx = await context();
      const paths = localPaths(ctx);
      const local = await runDoctor(systemProbe(), {
        venv: paths.venv,
        lakeRoot: paths.lakeRoot,
        minFreeDiskGb: ctx.config.doctor.minFreeDiskGb,
        expected: { spark: paths.versions.spark, java: paths.versions.java },
        javaHome: ctx.io.env['JAVA_HOME'],
        venvEnv: paths.venvEnv,
      });
      const { aws } = ctx.config;
      const remote =
        ctx.config.target === 'aws'
          ? await awsChecks(awsDoctorProbe(ctx), {
              region: aws.region,
              bucket: aws.bucket,
              prefix: aws.prefix,
              applicationId: aws.emrServerless.applicationId,
              executionRoleArn: aws.emrServerless.executionRoleArn,
              glueDatabase: aws.glueDatabase,
              expectedReleaseLabel: paths.versions.emrReleaseLabel,
            })
          : [];
      const checks = [...local.checks, ...remote];
      const result = { ok: checks.every((c) => c.status !== 'fail' || !c.required), checks };
      const failed = result.checks.filter((c) => c.status === 'fail').map((c) => c.name);
      const missing = () =>
        new OrchestratorError('PREREQUISITES_MISSING', `Missing prerequisites: ${failed.join(', ')}.`, {
          suggestion: 'Apply the fixes printed above, then rerun `orchestrator doctor`.',
          data: { failed, checks: result.checks },
        });
      // With --json, a failure is one document: the error, carrying every check and its fix.
      if (!result.ok && ctx.json) throw missing();
      render(ctx, { target: ctx.config.target, ...result }, () => [
        `orchestrator doctor (target ${ctx.config.target}, lake ${resolve(paths.lakeRoot)})`,
        ...result.checks.flatMap((c) => [
          `  ${MARK[c.status]}  ${c.name.padEnd(13)} ${c.detail}`,
          ...(c.fix && c.status !== 'ok' ? [`        fix: ${c.fix}`] : []),
        ]),
        result.ok ? 'All required checks passed.' : 'Some required checks failed (see fixes above).',
      ]);
      if (!result.ok) throw missing();
    });
}
