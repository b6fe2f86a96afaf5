/**
 * The IAM policies of terraform/modules/iam against the AWS calls the code makes: an action the code
 * needs but a role lacks fails, an action a role has that the code never calls fails unless justified.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JOB_ROLE_ACTIONS, orchestratorActions } from '../../orchestrator/src/adapters/aws/iam-actions.js';
import { blocks, parseTf, readTfFiles, TF_ROOT, type TfFiles } from './hcl.js';
import { checkLeastPrivilege } from './least-privilege.js';

const IAM_DIR = join(TF_ROOT, 'modules/iam');
// Terraform resource name of each role → the actions its code calls.
const NEEDS = { job: JOB_ROLE_ACTIONS, orchestrator: orchestratorActions() };

/** A copy of the module's files with one edit applied to the file that contains `from`. */
function edited(files: TfFiles, from: string | RegExp, to: string): TfFiles {
  const out = { ...files };
  const name = Object.keys(out).find((f) =>
    typeof from === 'string' ? out[f]!.includes(from) : from.test(out[f]!),
  );
  if (name === undefined) throw new Error(`no file of modules/iam contains ${from}`);
  const next = out[name]!.replace(from, to);
  if (next === out[name]) throw new Error(`edit of ${name} changed nothing`);
  out[name] = next;
  return out;
}

describe('least privilege: terraform/modules/iam vs the code', () => {
  const files = readTfFiles(IAM_DIR);

  it('grants each role exactly what its code calls, plus justified extras', async () => {
    const { findings, grants } = await checkLeastPrivilege(files, NEEDS);
    expect(findings).toEqual([]);
    // The comparison really saw the policies: every needed action is among the grants.
    const granted = (role: string) => new Set(grants.get(role)!.map((g) => g.action));
    expect([...granted('orchestrator')]).toEqual(expect.arrayContaining(orchestratorActions()));
    expect([...granted('job')]).toEqual(expect.arrayContaining([...JOB_ROLE_ACTIONS]));
    // The only extras are the documented ones.
    const extras = (role: string) =>
      grants
        .get(role)!
        .filter((g) => !NEEDS[role as keyof typeof NEEDS].includes(g.action))
        .map((g) => g.sid);
    expect(new Set(extras('job'))).toEqual(new Set(['JustifiedLakeKmsKey']));
    expect(new Set(extras('orchestrator'))).toEqual(
      new Set(['JustifiedLakeKmsKey', 'JustifiedSsmAgentInstance', 'JustifiedSsmAgentChannels']),
    );
  });

  it('fails when one needed action is removed from the Terraform', async () => {
    const without = edited(files, /^\s*"emr-serverless:GetJobRun",\n/m, '');
    const { findings } = await checkLeastPrivilege(without, NEEDS);
    expect(findings).toEqual([{ role: 'orchestrator', kind: 'missing', detail: 'emr-serverless:GetJobRun' }]);
  });

  it('fails when the job role loses a needed S3 action', async () => {
    // WriteJobOutputs is the job role's only PutObject grant.
    const without = edited(files, /(sid {5}= "WriteJobOutputs"\n\s*actions = \[)"s3:PutObject", /, '$1');
    const { findings } = await checkLeastPrivilege(without, NEEDS);
    expect(findings).toEqual([{ role: 'job', kind: 'missing', detail: 's3:PutObject' }]);
  });

  it('fails on a granted action the code never calls, unless its statement is justified', async () => {
    const extra = edited(files, '"glue:GetTables",', '"glue:GetTables",\n      "glue:DeleteTable",');
    const { findings } = await checkLeastPrivilege(extra, NEEDS);
    expect(findings).toEqual([
      {
        role: 'orchestrator',
        kind: 'unjustified',
        detail: 'glue:DeleteTable (orchestrator_glue/ManageTablesAndPartitions)',
      },
    ]);
  });

  it('fails on wildcard actions', async () => {
    const wild = edited(files, '"glue:GetTables",', '"glue:Get*",');
    const { findings } = await checkLeastPrivilege(wild, NEEDS);
    expect(findings.map((f) => f.kind)).toContain('wildcard');
    expect(findings).toContainEqual({ role: 'orchestrator', kind: 'missing', detail: 'glue:GetTables' });
  });

  it('requires the reason comment of a Justified statement', async () => {
    const silent = edited(files, /^# JustifiedSsmAgentChannels:.*$/m, '# (reason removed)');
    const { findings } = await checkLeastPrivilege(silent, NEEDS);
    expect(findings).toEqual([
      {
        role: 'orchestrator',
        kind: 'undocumented',
        detail: 'JustifiedSsmAgentChannels: no "# JustifiedSsmAgentChannels: <reason>" comment',
      },
    ]);
  });

  it('refuses policies it cannot read: managed policy attachments and computed action lists', async () => {
    const managed = {
      ...files,
      'extra.tf': `resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.orchestrator.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
`,
    };
    const a = await checkLeastPrivilege(managed, NEEDS);
    expect(a.findings).toEqual([
      {
        role: '?',
        kind: 'unparseable',
        detail: 'aws_iam_role_policy_attachment.admin: managed policies are not allowed',
      },
    ]);

    const computed = edited(
      files,
      /(sid = "ManageTablesAndPartitions"\n\s*actions = \[)/,
      '$1var.extra_action, ',
    );
    const b = await checkLeastPrivilege(computed, NEEDS);
    expect(b.findings).toContainEqual({
      role: 'orchestrator',
      kind: 'unparseable',
      detail: 'orchestrator_glue/ManageTablesAndPartitions: actions must be a literal list of strings',
    });
  });

  it('flags a role without a list of code actions', async () => {
    const { findings } = await checkLeastPrivilege(files, { orchestrator: orchestratorActions() });
    expect(findings).toEqual([
      { role: 'job', kind: 'unknown-role', detail: 'aws_iam_role.job has no list of code actions' },
    ]);
  });

  describe('scopes', () => {
    // A Terraform reference as hcl2json renders it inside a string: ref('var.x') is "${var.x}".
    const ref = (expr: string) => '$' + '{' + expr + '}';

    /** sid → statement body of every policy document of modules/iam. */
    async function statements() {
      const cfg = await parseTf(files);
      const out = new Map<string, Record<string, unknown>>();
      for (const [doc, body] of Object.entries(cfg.data['aws_iam_policy_document'] ?? {}))
        for (const st of blocks(body, 'statement')) out.set(String(st['sid'] ?? `${doc}/?`), st);
      return out;
    }

    it('passes only the job role, and only to EMR Serverless', async () => {
      const st = (await statements()).get('PassTheJobRoleToEmrServerless');
      expect(st?.['actions']).toEqual(['iam:PassRole']);
      expect(st?.['resources']).toEqual([ref('aws_iam_role.job.arn')]);
      expect(st?.['condition']).toEqual([
        { test: 'StringEquals', variable: 'iam:PassedToService', values: ['emr-serverless.amazonaws.com'] },
      ]);
    });

    it('uses "*" as a resource only where the actions have no resource scope', async () => {
      const star = [...(await statements())]
        .filter(([, st]) => Array.isArray(st['resources']) && st['resources'].includes('*'))
        .map(([sid]) => sid);
      expect(star).toEqual(['JustifiedSsmAgentChannels']);
    });

    it('scopes EMR Serverless calls to the application and its job runs', async () => {
      const st = (await statements()).get('RunJobsOnTheApplication');
      expect(st?.['resources']).toEqual([
        ref('var.emr_application_arn'),
        `${ref('var.emr_application_arn')}/jobruns/*`,
      ]);
    });
  });
});
