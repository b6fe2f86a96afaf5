/**
 * The envs/dev outputs that configure the orchestrator (`orchestrator_config`, `airflow_env`) are
 * rendered with sample values for their Terraform references and loaded by the orchestrator's own
 * config loader: what docs/deploy-aws.md tells users to paste must be a valid aws configuration.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../orchestrator/src/config/load.js';
import { parseTf, readTfFiles, TF_ROOT } from './hcl.js';

// What `terraform apply` would put in place of each reference.
const SAMPLE: Record<string, string> = {
  'var.region': 'eu-west-1',
  'module.s3_lake.s3_bucket_id': 'acme-op-dev-lake',
  'module.s3_lake.lake_prefix': 'lakes/dev/',
  'module.glue_catalog.glue_database_name': 'open_payments',
  'module.emr_serverless.emrserverless_release_label': 'emr-7.10.0',
  'module.emr_serverless.emrserverless_application_id': '00fabcdefghijklm',
  'module.iam.job_role_arn': 'arn:aws:iam::123456789012:role/open-payments-dev-emr-job',
};

/** A heredoc output's template with its ${…} references replaced by the sample values. */
function render(template: string): string {
  return template.replace(/\$\{([^}]+)\}/g, (_, ref: string) => {
    const v = SAMPLE[ref];
    if (v === undefined) throw new Error(`no sample value for \${${ref}}`);
    return v;
  });
}

async function outputTemplate(name: string): Promise<string> {
  const cfg = await parseTf(readTfFiles(join(TF_ROOT, 'envs/dev')));
  const value = cfg.output[name]?.['value'];
  if (typeof value !== 'string') throw new Error(`output ${name} is not a string template`);
  return value;
}

const EXPECTED_AWS = {
  region: 'eu-west-1',
  bucket: 'acme-op-dev-lake',
  prefix: 'lakes/dev/',
  glueDatabase: 'open_payments',
  emrReleaseLabel: 'emr-7.10.0',
  emrServerless: {
    applicationId: '00fabcdefghijklm',
    executionRoleArn: 'arn:aws:iam::123456789012:role/open-payments-dev-emr-job',
  },
};

describe('envs/dev outputs → orchestrator config', () => {
  it('orchestrator_config is an orchestrator.config.yaml for the aws target', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'op-tf-config-'));
    writeFileSync(join(cwd, 'orchestrator.config.yaml'), render(await outputTemplate('orchestrator_config')));
    const { config } = loadConfig({ cwd, env: {} });
    expect(config.target).toBe('aws');
    expect(config.aws).toMatchObject(EXPECTED_AWS);
  });

  it('airflow_env holds the same settings as ORCHESTRATOR_* variables', async () => {
    const lines = render(await outputTemplate('airflow_env'))
      .trim()
      .split('\n');
    const env = Object.fromEntries(
      lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env['OP_TARGET']).toBe('aws');
    const { config } = loadConfig({ cwd: mkdtempSync(join(tmpdir(), 'op-tf-env-')), env });
    const { emrReleaseLabel: _default, ...fromEnv } = EXPECTED_AWS;
    expect(config.aws).toMatchObject(fromEnv);
  });

  it('names every Terraform output that docs/deploy-aws.md maps to a setting', () => {
    const doc = readFileSync(join(TF_ROOT, '../docs/deploy-aws.md'), 'utf8');
    const outputs = readFileSync(join(TF_ROOT, 'envs/dev/outputs.tf'), 'utf8');
    const names = [
      'region',
      'lake_bucket',
      'lake_prefix',
      'glue_database',
      'emr_application_id',
      'emr_job_role_arn',
    ];
    for (const name of names) {
      expect(outputs, name).toContain(`output "${name}"`);
      expect(doc, name).toContain(`\`${name}\``);
    }
  });
});
