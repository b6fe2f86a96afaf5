import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { CONTRACT } from '../../domain/contract/index.js';
import type { Contract } from '../../domain/contract/types.js';
import { DBT_SOURCES_PATH, renderDbtSources, SOURCE_NAME } from './sources.js';

const ROOT = resolve(import.meta.dirname, '../../../..');

interface SourcesDoc {
  sources: {
    name: string;
    tables: {
      name: string;
      data_tests: unknown[];
      columns: { name: string; data_type: string; data_tests?: unknown[] }[];
    }[];
  }[];
}

describe('dbt sources from the contract', () => {
  it('the committed sources file is exactly what the contract generates (run `orchestrator dbt sources` if not)', () => {
    const committed = readFileSync(join(ROOT, DBT_SOURCES_PATH), 'utf8');
    expect(committed).toBe(renderDbtSources(CONTRACT));
  });

  it('declares every dataset with every curated and lineage column, typed as the contract says', () => {
    const doc = YAML.parse(renderDbtSources(CONTRACT)) as SourcesDoc;
    const [source] = doc.sources;
    expect(source?.name).toBe(SOURCE_NAME);
    expect(source?.tables.map((t) => t.name)).toEqual(CONTRACT.datasets.map((d) => d.id));
    for (const d of CONTRACT.datasets) {
      const table = source?.tables.find((t) => t.name === d.id);
      const expected = [...d.curated, ...CONTRACT.lineage].map((c) => [c.name, c.type]);
      expect(table?.columns.map((c) => [c.name, c.data_type])).toEqual(expected);
      // Not-null exactly where the contract says a curated column is not nullable.
      const notNull = table?.columns.filter((c) => c.data_tests?.includes('not_null')).map((c) => c.name);
      expect(notNull).toEqual(d.curated.filter((c) => !c.nullable).map((c) => c.name));
    }
  });

  it('turns accepted-values rules into tests: hard rules fail the build, soft rules warn', () => {
    const doc = YAML.parse(renderDbtSources(CONTRACT)) as SourcesDoc;
    const tests = (table: string, column: string) =>
      doc.sources[0]?.tables.find((t) => t.name === table)?.columns.find((c) => c.name === column)
        ?.data_tests;
    expect(tests('removed_deleted', 'change_type')).toContainEqual({
      accepted_values: {
        name: 'source_removed_deleted__unknown_change_type',
        arguments: { values: ['DELETED', 'REMOVED'] },
        config: { severity: 'error' },
      },
    });
    expect(tests('general', 'nature_of_payment_or_transfer_of_value')).toContainEqual(
      expect.objectContaining({
        accepted_values: expect.objectContaining({ config: { severity: 'warn' } }),
      }),
    );
    // The contract's null-rate ceilings become the project's own generic test.
    expect(tests('general', 'recipient_state')).toEqual([
      { op_null_rate_at_most: { arguments: { max_rate: 0.02 }, config: { severity: 'warn' } } },
    ]);
    expect(tests('ownership', 'recipient_state')).toEqual([
      { op_null_rate_at_most: { arguments: { max_rate: 0.02 }, config: { severity: 'warn' } } },
    ]);
  });

  it('detects drift: a contract with one more column renders a different file', () => {
    const changed: Contract = structuredClone(CONTRACT);
    changed.datasets[0]?.curated.push({
      name: 'new_column',
      type: 'string',
      nullable: true,
      description: 'Added by CMS.',
    });
    expect(renderDbtSources(changed)).not.toBe(renderDbtSources(CONTRACT));
    expect(renderDbtSources(changed)).toContain('- name: new_column');
  });
});
