/**
 * What `terraform validate` would catch in the wiring, checked offline (validate itself needs the AWS
 * provider, which cannot be installed here: see scripts/terraform-tools.sh): the module layout, every
 * `var.` reference declared, every module call passing declared inputs and all required ones, every
 * `module.<m>.<output>` existing. Plus the version alignment: the EMR release ↔ versions.json.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseHcl, parseTf, readTfFiles, TF_ROOT, tfDirs, withoutComments } from './hcl.js';
import { type Configs, wiringProblems } from './wiring.js';

const MODULES = ['s3_lake', 'glue_catalog', 'emr_serverless', 'iam', 'network', 'ec2'];
const versions = JSON.parse(readFileSync(resolve(TF_ROOT, '../versions.json'), 'utf8')) as {
  emrReleaseLabel: string;
};

const configs: Configs = new Map();
beforeAll(async () => {
  for (const dir of tfDirs()) {
    const files = readTfFiles(join(TF_ROOT, dir));
    configs.set(dir, { cfg: await parseTf(files), text: withoutComments(Object.values(files).join('\n')) });
  }
});

function config(dir: string) {
  const c = configs.get(dir);
  if (c === undefined) throw new Error(`no Terraform in terraform/${dir}`);
  return c;
}

describe('terraform/ layout (terraform-aws-modules habits)', () => {
  it.each(MODULES)(
    'modules/%s has main, variables, outputs, versions, README and a runnable example',
    (m) => {
      const dir = join(TF_ROOT, 'modules', m);
      for (const f of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf', 'README.md'])
        expect(existsSync(join(dir, f)), `${m}/${f}`).toBe(true);
      const examples = readdirSync(join(dir, 'examples'));
      expect(examples.length).toBeGreaterThan(0);
      for (const e of examples)
        expect(existsSync(join(dir, 'examples', e, 'main.tf')), `${m}/examples/${e}`).toBe(true);
    },
  );

  it('describes and types every variable, describes every output', () => {
    const problems: string[] = [];
    for (const [dir, { cfg }] of configs) {
      for (const [n, v] of Object.entries(cfg.variable)) {
        if (typeof v['description'] !== 'string' || v['description'] === '')
          problems.push(`${dir}: variable ${n} has no description`);
        if (!('type' in v)) problems.push(`${dir}: variable ${n} has no type`);
      }
      for (const [n, o] of Object.entries(cfg.output))
        if (typeof o['description'] !== 'string') problems.push(`${dir}: output ${n} has no description`);
    }
    expect(problems).toEqual([]);
  });
});

describe('terraform/ references (offline stand-in for terraform validate)', () => {
  it('resolves every var., module input and module output reference', () => {
    expect(wiringProblems(configs)).toEqual([]);
  });

  it('reports a misspelt output, an undeclared input and a missing required input', async () => {
    const env = readTfFiles(join(TF_ROOT, 'envs/dev'));
    const main = env['main.tf']!.replace(
      'module.iam.orchestrator_role_name',
      'module.iam.orchestrator_role_nmae',
    )
      .replace('  instance_type = var.instance_type\n', '  instance_typ = var.instance_type\n')
      .replace('  bucket_name   = var.bucket_name\n', '');
    const broken: Configs = new Map(configs);
    broken.set('envs/dev', {
      cfg: await parseTf({ ...env, 'main.tf': main }),
      text: withoutComments(Object.values({ ...env, 'main.tf': main }).join('\n')),
    });
    expect(wiringProblems(broken).sort()).toEqual([
      'envs/dev: module ec2 passes undeclared instance_typ',
      'envs/dev: module s3_lake misses required bucket_name',
      'envs/dev: module.iam.orchestrator_role_nmae is not an output of it',
    ]);
  });
});

/**
 * The Spark each EMR release runs (AWS, "EMR Serverless <release>" / "Spark release history"): the
 * fact that ties the release label to pyspark. Add the new release here when versions.json moves.
 */
const EMR_SPARK: Record<string, string> = {
  'emr-7.9.0': '3.5.5',
  'emr-7.10.0': '3.5.5',
  'emr-7.12.0': '3.5.6',
};

describe('version alignment', () => {
  it('one Spark everywhere: EMR release label ↔ pinned pyspark ↔ local-spark image', () => {
    const root = resolve(TF_ROOT, '..');
    const spark = EMR_SPARK[versions.emrReleaseLabel];
    expect(spark, `Spark of ${versions.emrReleaseLabel}`).toBe((versions as { spark?: string }).spark);
    const pyspark = /^pyspark==(\S+)$/m.exec(
      readFileSync(join(root, 'python/requirements.txt'), 'utf8'),
    )?.[1];
    expect(pyspark).toBe(spark);
    expect(readFileSync(join(root, 'local-spark/Dockerfile'), 'utf8')).toMatch(
      new RegExp(`apache/spark:${spark!.replaceAll('.', '\\.')}-`),
    );
    expect(readFileSync(join(root, 'orchestrator/src/config/schema.ts'), 'utf8')).toContain(
      `.default('${versions.emrReleaseLabel}')`,
    );
  });

  it('the emr_serverless release label defaults to versions.json emrReleaseLabel', () => {
    const v = config('modules/emr_serverless').cfg.variable['release_label'];
    expect(v?.['default']).toBe(versions.emrReleaseLabel);
  });

  it('envs/dev leaves the release to that default unless the tfvars pin the same one', async () => {
    const dev = config('envs/dev').cfg;
    expect(dev.variable['emr_release_label']?.['default']).toBeNull();
    expect(dev.module['emr_serverless']?.['release_label']).toMatch(/^\$\{var\.emr_release_label\}$/);
    const tfvars = await parseHcl(
      'example.tfvars',
      readFileSync(join(TF_ROOT, 'envs/dev/example.tfvars'), 'utf8'),
    );
    if ('emr_release_label' in tfvars) expect(tfvars['emr_release_label']).toBe(versions.emrReleaseLabel);
    // Every example that sets a release sets the pinned one.
    for (const [dir, { cfg }] of configs)
      for (const body of Object.values(cfg.module))
        if (typeof body['release_label'] === 'string' && !body['release_label'].startsWith('${'))
          expect(body['release_label'], dir).toBe(versions.emrReleaseLabel);
  });
});
