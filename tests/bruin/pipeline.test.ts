/**
 * bruin/ cannot run here: the Go module proxy refuses github.com/bruin-data/bruin (403, see
 * scripts/bruin.sh), so the Bruin CLI cannot be built. What can be checked is checked: the files parse,
 * every dependency names an asset, the steps run in the pipeline's order, each Python asset calls an
 * orchestrator command that exists, and the column checks name real curated columns of the contract
 * with Bruin's built-in check names.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONTRACT } from '../../orchestrator/src/domain/contract/index.js';
import { ROOT, runCli } from '../helpers.js';

const PIPELINE = join(ROOT, 'bruin/open_payments');
const BUILT_IN_CHECKS = new Set([
  'not_null',
  'unique',
  'positive',
  'non_negative',
  'negative',
  'accepted_values',
  'min',
  'max',
  'pattern',
]);

interface Asset {
  file: string;
  name: string;
  type: string;
  depends?: string[];
  columns?: { name: string; checks?: { name: string }[] }[];
  body: string;
}

function assets(): Asset[] {
  return readdirSync(join(PIPELINE, 'assets')).map((file) => {
    const text = readFileSync(join(PIPELINE, 'assets', file), 'utf8');
    const m = file.endsWith('.py')
      ? /^"""@bruin\n([\s\S]*?)@bruin"""/.exec(text)
      : /^\/\* @bruin\n([\s\S]*?)@bruin \*\//.exec(text);
    if (!m) throw new Error(`${file} has no @bruin header`);
    return { file, ...(parse(m[1]!) as Omit<Asset, 'file' | 'body'>), body: text.slice(m[0].length) };
  });
}

describe('bruin/open_payments', () => {
  it('parses, and every dependency is an asset of the pipeline', () => {
    const pipeline = parse(readFileSync(join(PIPELINE, 'pipeline.yml'), 'utf8'));
    expect(pipeline.name).toBe('open_payments');
    expect(pipeline.default_connections.duckdb).toBe(
      parse(readFileSync(join(ROOT, 'bruin/.bruin.yml'), 'utf8')).environments.local.connections.duckdb[0]
        .name,
    );
    const all = assets();
    const names = new Set(all.map((a) => a.name));
    expect(names.size).toBe(all.length);
    for (const a of all)
      for (const d of a.depends ?? []) expect(names, `${a.file} depends on ${d}`).toContain(d);
  });

  it('runs ingest → upload → transform → validate, then checks the curated tables', () => {
    const byName = new Map(assets().map((a) => [a.name, a]));
    const chain = [
      'open_payments.ingest',
      'open_payments.upload',
      'open_payments.transform',
      'open_payments.validate',
    ];
    chain.slice(1).forEach((name, i) => {
      expect(byName.get(name)?.depends).toEqual([chain[i]]);
    });
    const checks = [...byName.values()].filter((a) => a.type === 'duckdb.sql');
    expect(checks.length).toBeGreaterThan(0);
    for (const a of checks) expect(a.depends).toEqual(['open_payments.validate']);
  });

  it('calls orchestrator commands that exist', () => {
    for (const a of assets().filter((x) => x.type === 'python')) {
      const command = /run\("([a-z]+)"(?:, "([a-z_]+)")?/.exec(a.body);
      expect(command, a.file).not.toBeNull();
      const args = command![1] === 'submit' ? ['submit', '--help'] : [command![1]!, '--help'];
      const r = runCli(args);
      expect(r.code, `${a.file}: orchestrator ${args.join(' ')}`).toBe(0);
    }
  });

  it('checks real curated columns with Bruin built-in checks', () => {
    for (const a of assets().filter((x) => x.type === 'duckdb.sql')) {
      const dataset = /curated\/open_payments\/([a-z_]+)\//.exec(a.body)?.[1];
      const spec = CONTRACT.datasets.find((d) => d.id === dataset);
      expect(spec, a.file).toBeDefined();
      const columns = new Set(spec!.curated.map((c) => c.name));
      for (const c of a.columns ?? []) {
        expect(columns, `${a.file}: ${c.name}`).toContain(c.name);
        for (const check of c.checks ?? [])
          expect(BUILT_IN_CHECKS, `${a.file}: ${check.name}`).toContain(check.name);
      }
    }
  });
});
