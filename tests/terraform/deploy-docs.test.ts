/**
 * The deployment docs against the Terraform they describe: the README's "Deploy to AWS" section names
 * every value the user must supply and only outputs that exist, and docs/runbook-access.md states the
 * access facts that modules/ec2, modules/iam and modules/s3_lake really configure (read from the parsed
 * HCL, so a change to either side without the other fails here).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Body, blocks, parseHcl, parseTf, readTfFiles, TF_ROOT, type TfConfig, tfDirs } from './hcl.js';

const ROOT = resolve(TF_ROOT, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const RUNBOOK_PATH = join(ROOT, 'docs/runbook-access.md');

/** The text of a markdown `## heading` section, up to the next `## ` heading (undefined: no such section). */
function section(markdown: string, heading: string): string | undefined {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) return undefined;
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** A module's (or env's) parsed Terraform. */
async function tf(dir: string): Promise<TfConfig> {
  return parseTf(readTfFiles(join(TF_ROOT, dir)));
}

function resource(cfg: TfConfig, type: string, name: string): Body {
  const body = cfg.resource[type]?.[name];
  if (body === undefined) throw new Error(`no resource ${type}.${name}`);
  return body;
}

/** An expression as hcl2json writes it: `${expr}`. */
const hclRef = (expr: string): string => `\${${expr}}`;

/** `${var.x}` references in a string replaced by the defaults of the variables they name. */
function withDefaults(expr: string, cfg: TfConfig): string {
  return expr.replace(/\$\{var\.(\w+)\}/g, (_, v: string) => {
    const d = cfg.variable[v]?.['default'];
    if (typeof d !== 'string') throw new Error(`var.${v} has no string default`);
    return d;
  });
}

/** Problems of the README's "Deploy to AWS" section against envs/dev. */
function deploySectionProblems(readme: string, dev: TfConfig): string[] {
  const text = section(readme, 'Deploy to AWS');
  if (text === undefined) return ['README has no "## Deploy to AWS" section'];
  const problems: string[] = [];

  const at = (s: string) => readme.indexOf(s);
  if (
    !(at('### The aws target') < at('## Deploy to AWS') && at('## Deploy to AWS') < at('## Analytics (dbt)'))
  )
    problems.push('the section is not between "### The aws target" and "## Analytics (dbt)"');

  // Every value the user must supply: each variable without a default.
  for (const [name, v] of Object.entries(dev.variable))
    if (!('default' in v) && !text.includes(`\`${name}\``))
      problems.push(`required variable ${name} is not named`);

  // From terraform init/apply to the pipeline command, in that order.
  const pipeline = text
    .split('\n')
    .findIndex(
      (l) => /^orchestrator\b.*\bpipeline\b/.test(l) && /--target aws\b/.test(l) && /--year 2023\b/.test(l),
    );
  if (pipeline < 0) problems.push('no `orchestrator … pipeline … --target aws … --year 2023` command line');
  const lineOf = (s: string) => text.split('\n').findIndex((l) => l.includes(s));
  for (const cmd of ['terraform init', 'terraform apply'])
    if (lineOf(cmd) < 0) problems.push(`no \`${cmd}\``);
    else if (pipeline >= 0 && lineOf(cmd) > pipeline) problems.push(`\`${cmd}\` comes after the pipeline`);
  if (!/applied against real\s+AWS/.test(text))
    problems.push('does not say it was not applied against real AWS');
  for (const doc of ['docs/deploy-aws.md', 'docs/runbook-access.md'])
    if (!text.includes(`](${doc})`)) problems.push(`does not link ${doc}`);

  // Outputs it reads: `terraform output [-raw|-json] <name>` and the `output` → `aws.key` list.
  const read = [...text.matchAll(/terraform output (?:-raw |-json )?([\w-]+)/g)].map((m) => m[1]!);
  const mapped = [...text.matchAll(/`([\w-]+)` →\s+`(aws\.[\w.]+)`/g)].map((m) => [m[1]!, m[2]!] as const);
  if (read.length === 0) problems.push('reads no Terraform output');
  for (const name of [...read, ...mapped.map(([o]) => o)])
    if (!(name in dev.output)) problems.push(`output ${name} does not exist in envs/dev`);
  // envs/dev describes each config output by its key ("aws.bucket"): the mapping must agree, and be complete.
  for (const [name, key] of mapped) {
    const described = String(dev.output[name]?.['description'] ?? '').split(' ')[0];
    if (name in dev.output && described !== key) problems.push(`output ${name} is ${described}, not ${key}`);
  }
  for (const [name, o] of Object.entries(dev.output)) {
    const key = String(o['description']).split(' ')[0]!;
    if (key.startsWith('aws.') && !mapped.some(([n, k]) => n === name && k === key))
      problems.push(`output ${name} (${key}) is not mapped to its key`);
  }
  return problems;
}

interface Stack {
  dev: TfConfig;
  devLocals: Record<string, unknown>;
  ec2: TfConfig;
  iam: TfConfig;
  s3Lake: TfConfig;
  all: Map<string, TfConfig>;
}

/** Problems of docs/runbook-access.md against what the modules configure. */
function runbookProblems(doc: string, t: Stack): string[] {
  const problems: string[] = [];
  const need = (s: string, why: string) => {
    if (!doc.includes(s)) problems.push(`runbook does not mention ${s} (${why})`);
  };

  // IMDSv2, as the host's metadata_options set it.
  const host = resource(t.ec2, 'aws_instance', 'host');
  const meta = blocks(host, 'metadata_options')[0] ?? {};
  if (meta['http_tokens'] !== 'required') problems.push(`ec2: http_tokens is ${String(meta['http_tokens'])}`);
  need('IMDSv2', 'http_tokens');
  for (const k of ['http_endpoint', 'http_tokens', 'instance_metadata_tags'])
    need(`${k} = "${String(meta[k])}"`, 'ec2 metadata_options');
  const hop = /^\$\{var\.(\w+)\}$/.exec(String(meta['http_put_response_hop_limit']))?.[1];
  if (hop === undefined) problems.push('ec2: hop limit is not a variable');
  else {
    need(hop, 'hop limit variable');
    need(`default \`${String(t.ec2.variable[hop]?.['default'])}\``, `${hop} default`);
  }

  // No public IP, no key pair, no inbound rule, encrypted root volume.
  if (host['associate_public_ip_address'] !== false) problems.push('ec2: the host may get a public IP');
  need('associate_public_ip_address = false', 'no public IP');
  if ('key_name' in host) problems.push('ec2: the host has a key pair');
  need('no\n  `key_name`', 'no key pair');
  const ingress = Object.values(t.ec2.resource['aws_security_group'] ?? {}).some(
    (sg) => blocks(sg, 'ingress').length > 0,
  );
  if (ingress || 'aws_vpc_security_group_ingress_rule' in t.ec2.resource)
    problems.push('ec2: the host has an inbound rule');
  need('**no ingress rule**', 'security group');
  const root = blocks(host, 'root_block_device')[0] ?? {};
  if (root['encrypted'] !== true) problems.push('ec2: root volume not encrypted');
  need('encrypted = true', 'root volume');

  // The instance profile carries the orchestrator role; names as envs/dev builds them.
  const profile = resource(t.ec2, 'aws_iam_instance_profile', 'this');
  if (
    host['iam_instance_profile'] !== hclRef('aws_iam_instance_profile.this.name') ||
    profile['role'] !== hclRef('var.role_name')
  )
    problems.push('ec2: the host does not carry the instance profile of var.role_name');
  if (t.dev.module['ec2']?.['role_name'] !== hclRef('module.iam.orchestrator_role_name'))
    problems.push('envs/dev: the host role is not the orchestrator role');
  need('aws_iam_instance_profile', 'instance profile');
  const prefix = withDefaults(String(t.devLocals['name']), t.dev);
  const named = (template: unknown, v: string) =>
    String(template)
      .replace(`\${var.${v}}`, prefix)
      .replace(/\$\{.*\}/, '?');
  need(
    named(resource(t.iam, 'aws_iam_role', 'orchestrator')['name'], 'name_prefix'),
    'orchestrator role name',
  );
  need(named(resource(t.iam, 'aws_iam_role', 'job')['name'], 'name_prefix'), 'job role name');
  need(named(profile['name'], 'name'), 'instance profile name');

  // SSM Session Manager: the agent's policy, the command and the output that names the host.
  if (t.iam.variable['enable_ssm_agent']?.['default'] !== true)
    problems.push('iam: the SSM agent is off by default');
  need('enable_ssm_agent = true', 'iam default');
  need(String(resource(t.iam, 'aws_iam_role_policy', 'orchestrator_ssm')['name']), 'SSM policy name');
  need('aws ssm start-session', 'how people get in');
  if (!('host_instance_id' in t.dev.output)) problems.push('envs/dev: no host_instance_id output');
  need('terraform output -raw host_instance_id', 'session target');

  // No access keys anywhere in terraform/.
  for (const [dir, cfg] of t.all)
    for (const type of ['aws_iam_user', 'aws_iam_access_key', 'aws_iam_user_login_profile'])
      if (type in cfg.resource) problems.push(`${dir}: creates ${type}`);
  need('aws_iam_access_key', 'the no-keys rule and its check');

  // Lake key rotation, as s3_lake configures it.
  const key = resource(t.s3Lake, 'aws_kms_key', 'lake');
  if (key['enable_key_rotation'] !== true) problems.push('s3_lake: the lake key does not rotate');
  need('enable_key_rotation = true', 'lake key');
  need(String(key['deletion_window_in_days']).replace(/^\$\{(.*)\}$/, '$1'), 'lake key deletion window');

  // Scoping: every bucket-policy statement of s3_lake named.
  const policy = t.s3Lake.data['aws_iam_policy_document']?.['bucket'] ?? {};
  const dynamic = blocks(policy, 'dynamic').flatMap((d) => blocks(d, 'statement'));
  const sids = [...blocks(policy, 'statement'), ...dynamic.flatMap((d) => blocks(d, 'content'))].map((s) =>
    String(s['sid']),
  );
  if (sids.length === 0) problems.push('s3_lake: no bucket policy statements found');
  for (const sid of sids) need(`\`${sid}\``, 'bucket policy');
  return problems;
}

const stack = {} as Stack;
beforeAll(async () => {
  stack.dev = await tf('envs/dev');
  const main = await parseHcl('main.tf', readFileSync(join(TF_ROOT, 'envs/dev/main.tf'), 'utf8'));
  stack.devLocals = Object.assign({}, ...(main['locals'] as Record<string, unknown>[]));
  stack.ec2 = await tf('modules/ec2');
  stack.iam = await tf('modules/iam');
  stack.s3Lake = await tf('modules/s3_lake');
  stack.all = new Map();
  for (const dir of tfDirs()) stack.all.set(dir, await tf(dir));
});

describe('README "Deploy to AWS"', () => {
  it('names every required variable and reads only outputs that exist, up to the aws pipeline', () => {
    expect(deploySectionProblems(README, stack.dev)).toEqual([]);
    // It really read the Terraform: bucket_name is the one required variable today.
    expect(Object.keys(stack.dev.variable).filter((v) => !('default' in stack.dev.variable[v]!))).toEqual([
      'bucket_name',
    ]);
  });

  it('reports a missing required variable, a misspelt output and a missing pipeline command', () => {
    const dev: TfConfig = {
      ...stack.dev,
      variable: { ...stack.dev.variable, account_id: { type: 'string', description: 'x' } },
    };
    const text = section(README, 'Deploy to AWS')!;
    const broken = text
      .replace('terraform output -raw host_instance_id', 'terraform output -raw host_id')
      .replace(
        'orchestrator --target aws pipeline --year 2023',
        'orchestrator --target aws pipeline --year 2024',
      );
    expect(broken).not.toBe(text);
    const readme = README.replace(text, broken);
    expect(deploySectionProblems(readme, dev)).toEqual([
      'required variable account_id is not named',
      'no `orchestrator … pipeline … --target aws … --year 2023` command line',
      'output host_id does not exist in envs/dev',
    ]);
  });
});

describe('docs/runbook-access.md vs modules/ec2, iam, s3_lake', () => {
  it('exists and states the SSM, IMDSv2, instance-profile, key and scoping facts the modules configure', () => {
    expect(existsSync(RUNBOOK_PATH)).toBe(true);
    expect(runbookProblems(readFileSync(RUNBOOK_PATH, 'utf8'), stack)).toEqual([]);
  });

  it('fails when the host allows IMDSv1 or a key pair', async () => {
    const files = readTfFiles(join(TF_ROOT, 'modules/ec2'));
    const main = files['main.tf']!.replace(
      'http_tokens                 = "required"',
      'http_tokens = "optional"',
    ).replace(
      'associate_public_ip_address = false',
      'associate_public_ip_address = false\n  key_name = "ops"',
    );
    const ec2 = await parseTf({ ...files, 'main.tf': main });
    expect(runbookProblems(readFileSync(RUNBOOK_PATH, 'utf8'), { ...stack, ec2 })).toEqual([
      'ec2: http_tokens is optional',
      'runbook does not mention http_tokens = "optional" (ec2 metadata_options)',
      'ec2: the host has a key pair',
    ]);
  });
});
