/**
 * Least privilege, checked from the Terraform source: the actions each IAM role of modules/iam is
 * granted, compared with the actions the code calls (orchestrator/src/adapters/aws/iam-actions.ts).
 *
 * Parseable style required of modules/iam (anything else is reported, never guessed at):
 * - permissions are `aws_iam_role_policy` resources: `role = aws_iam_role.<r>.id`,
 *   `policy = data.aws_iam_policy_document.<d>.json`;
 * - statements list their `actions` as literal strings (no wildcards, no `not_actions`);
 * - no managed policies on the roles (`aws_iam_role_policy_attachment`, `managed_policy_arns`):
 *   their actions are not in the source;
 * - an Allow statement may grant an action the code never calls only if its `sid` starts with
 *   "Justified" and a comment line `# <sid>: <reason>` in the module says why.
 */
import { type Body, blocks, parseTf, type TfFiles } from './hcl.js';

export const JUSTIFIED_PREFIX = 'Justified';

export interface Grant {
  action: string;
  sid: string | undefined;
  document: string;
}

export type FindingKind =
  | 'missing' // the code calls it, the role lacks it
  | 'unjustified' // granted, never called, no Justified sid
  | 'undocumented' // Justified sid without its `# <sid>: reason` comment
  | 'wildcard' // an action pattern: cannot be compared, and is never least privilege
  | 'unparseable' // a policy in a style the check cannot read
  | 'unknown-role'; // a role with no list of code actions to compare with

export interface Finding {
  role: string;
  kind: FindingKind;
  detail: string;
}

const ROLE_REF = /^\$\{aws_iam_role\.([\w-]+)\.(id|name)\}$/;
const DOC_REF = /^\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}$/;

function statementsOf(doc: Body): Body[] {
  // A `dynamic "statement"` is granted whenever its for_each is non-empty: count it as granted.
  const dynamic = blocks(doc, 'dynamic').flatMap((d) =>
    blocks(d, 'statement').flatMap((s) => blocks(s, 'content')),
  );
  return [...blocks(doc, 'statement'), ...dynamic];
}

/** role resource name → what its inline policies allow; problems of style as findings. */
export function grantsByRole(
  resource: Record<string, Record<string, Body>>,
  data: Record<string, Record<string, Body>>,
): { grants: Map<string, Grant[]>; findings: Finding[] } {
  const grants = new Map<string, Grant[]>();
  const findings: Finding[] = [];
  const docs = data['aws_iam_policy_document'] ?? {};

  for (const [name, role] of Object.entries(resource['aws_iam_role'] ?? {})) {
    grants.set(name, []);
    for (const key of ['inline_policy', 'managed_policy_arns'])
      if (key in role)
        findings.push({ role: name, kind: 'unparseable', detail: `aws_iam_role.${name} sets ${key}` });
  }
  for (const type of ['aws_iam_role_policy_attachment', 'aws_iam_policy_attachment']) {
    for (const n of Object.keys(resource[type] ?? {}))
      findings.push({
        role: '?',
        kind: 'unparseable',
        detail: `${type}.${n}: managed policies are not allowed`,
      });
  }

  for (const [name, rp] of Object.entries(resource['aws_iam_role_policy'] ?? {})) {
    const role = ROLE_REF.exec(String(rp['role']))?.[1];
    const docName = DOC_REF.exec(String(rp['policy']))?.[1];
    const doc = docName === undefined ? undefined : docs[docName];
    if (role === undefined || !grants.has(role) || docName === undefined || doc === undefined) {
      findings.push({
        role: role ?? '?',
        kind: 'unparseable',
        detail: `aws_iam_role_policy.${name}: needs role = aws_iam_role.<r>.id and policy = data.aws_iam_policy_document.<d>.json`,
      });
      continue;
    }
    for (const st of statementsOf(doc)) {
      if ((st['effect'] ?? 'Allow') === 'Deny') continue;
      const sid = typeof st['sid'] === 'string' ? st['sid'] : undefined;
      const actions = st['actions'];
      if (
        'not_actions' in st ||
        !Array.isArray(actions) ||
        actions.some((a) => typeof a !== 'string' || a.includes('${'))
      ) {
        findings.push({
          role,
          kind: 'unparseable',
          detail: `${docName}/${sid ?? '(no sid)'}: actions must be a literal list of strings`,
        });
        continue;
      }
      for (const action of actions as string[]) grants.get(role)!.push({ action, sid, document: docName });
    }
  }
  return { grants, findings };
}

/** Compare one role's grants with what its code calls. `source` is the module's text (for comments). */
export function compareRole(
  role: string,
  grants: Grant[],
  needed: readonly string[],
  source: string,
): Finding[] {
  const findings: Finding[] = [];
  const granted = new Set(grants.map((g) => g.action));
  for (const a of needed) if (!granted.has(a)) findings.push({ role, kind: 'missing', detail: a });

  const need = new Set(needed);
  for (const g of grants) {
    const where = `${g.action} (${g.document}/${g.sid ?? 'no sid'})`;
    if (g.action.includes('*')) {
      findings.push({ role, kind: 'wildcard', detail: where });
    } else if (!need.has(g.action) && !g.sid?.startsWith(JUSTIFIED_PREFIX)) {
      findings.push({ role, kind: 'unjustified', detail: where });
    }
  }
  // Each Justified sid must come with its reason, once per sid.
  const justified = new Set(grants.flatMap((g) => (g.sid?.startsWith(JUSTIFIED_PREFIX) ? [g.sid] : [])));
  for (const sid of justified) {
    const reason = new RegExp(`^\\s*#\\s*${sid}:\\s*\\S`, 'm');
    if (!reason.test(source))
      findings.push({ role, kind: 'undocumented', detail: `${sid}: no "# ${sid}: <reason>" comment` });
  }
  return findings;
}

/**
 * The whole check over the .tf files of modules/iam: findings for every role, empty when the
 * policies grant exactly what the code calls plus justified extras. `needs` maps the Terraform role
 * resource name to the actions its code calls.
 */
export async function checkLeastPrivilege(
  files: TfFiles,
  needs: Record<string, readonly string[]>,
): Promise<{ findings: Finding[]; grants: Map<string, Grant[]> }> {
  const cfg = await parseTf(files);
  const { grants, findings } = grantsByRole(cfg.resource, cfg.data);
  const source = Object.values(files).join('\n');
  for (const [role, list] of grants) {
    const needed = needs[role];
    if (needed === undefined) {
      findings.push({
        role,
        kind: 'unknown-role',
        detail: `aws_iam_role.${role} has no list of code actions`,
      });
      continue;
    }
    findings.push(...compareRole(role, list, needed, source));
  }
  for (const role of Object.keys(needs))
    if (!grants.has(role))
      findings.push({ role, kind: 'missing', detail: `aws_iam_role.${role} does not exist` });
  return { findings, grants };
}
