import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_ACTIONS, IMPLICIT_COMMANDS, JOB_ROLE_ACTIONS, orchestratorActions } from './iam-actions.js';

/** SDK commands and helpers the AWS adapters use, read from their source. */
function commandsUsed(): Set<string> {
  const used = new Set<string>();
  for (const f of readdirSync(import.meta.dirname).filter(
    (x) => x.endsWith('.ts') && !x.endsWith('.test.ts'),
  )) {
    const src = readFileSync(join(import.meta.dirname, f), 'utf8');
    for (const m of src.matchAll(/new (\w+Command)\(/g)) used.add(m[1]!);
    for (const [helper, commands] of Object.entries(IMPLICIT_COMMANDS))
      if (new RegExp(`\\b(new ${helper}\\(|${helper}\\()`).test(src)) for (const c of commands) used.add(c);
  }
  return used;
}

describe('IAM actions kept next to the AWS adapters', () => {
  it('names an action for every SDK command the adapters send, and no action for a command they do not', () => {
    const used = commandsUsed();
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((c) => !(c in COMMAND_ACTIONS))).toEqual([]);
    expect(Object.keys(COMMAND_ACTIONS).filter((c) => !used.has(c))).toEqual([]);
  });

  it('lists the orchestrator role’s actions sorted and without duplicates', () => {
    const actions = orchestratorActions();
    expect(actions).toEqual([...new Set(actions)].sort());
    expect(actions).toContain('glue:BatchCreatePartition');
    expect(actions).toContain('s3:PutObject');
  });

  it('is what docs/aws.md lists for each role', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../../../docs/aws.md'), 'utf8');
    const listed = (role: string) => {
      const m = new RegExp(`<!-- iam:${role} -->([\\s\\S]*?)<!-- /iam:${role} -->`).exec(doc);
      return [...(m?.[1] ?? '').matchAll(/`([\w-]+:\w+)`/g)].map((x) => x[1]);
    };
    expect(listed('orchestrator')).toEqual(orchestratorActions());
    expect(listed('job')).toEqual([...JOB_ROLE_ACTIONS]);
  });
});
