/** `orchestrator contract export`: the versioned contract JSON that Spark, Glue and dbt read. */

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRACT, CONTRACT_VERSION } from '../../orchestrator/src/domain/contract/index.js';
import { DATASET_IDS } from '../../orchestrator/src/domain/contract/types.js';
import { EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { CLI, runCli, tempDir } from '../helpers.js';
import { listDir } from './util.js';

const shQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Runs a shell pipeline (clean ORCHESTRATOR_* environment, like runCli). */
function shell(script: string, cwd: string) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ORCHESTRATOR_')));
  return spawnSync('sh', ['-c', script], { cwd, env, encoding: 'utf8' });
}

interface Exported {
  $schema: string;
  contractVersion: string;
  lineage: { name: string }[];
  datasets: {
    id: string;
    curated: { name: string; type: string }[];
    rules: { code: string }[];
    eras: {
      id: string;
      dataset: string;
      columns: { source: string; curated?: string; dropReason?: string }[];
    }[];
  }[];
}

describe('contract export', () => {
  it('--out f.json: exit 0, the file parses, version and datasets are those of the contract', () => {
    const cwd = tempDir();
    const r = runCli(['contract', 'export', '--out', 'nested/dir/f.json'], { cwd });
    const out = join(cwd, 'nested/dir/f.json');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`Wrote contract v${CONTRACT_VERSION} to ${out}`);
    for (const id of DATASET_IDS)
      expect(r.stdout).toMatch(new RegExp(`^ {2}${id} +\\d+ curated columns, \\d+ rules, eras: `, 'm'));
    const logs = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { code: string; out?: string });
    expect(logs.find((l) => l.code === 'contract.exported')?.out).toBe(out);

    const json = JSON.parse(readFileSync(out, 'utf8')) as Exported;
    expect(json.$schema).toBe('open-payments-contract');
    expect(json.contractVersion).toBe(CONTRACT_VERSION);
    expect(json.datasets.map((d) => d.id)).toEqual([...DATASET_IDS]);
    expect(json.datasets).toHaveLength(5);
    expect(json.lineage.length).toBeGreaterThan(0);
    for (const d of json.datasets) {
      expect(d.eras.length, d.id).toBeGreaterThan(0);
      expect(d.curated.length, d.id).toBeGreaterThan(0);
      expect(d.rules.length, d.id).toBeGreaterThan(0);
      const curated = new Set(d.curated.map((c) => c.name));
      for (const era of d.eras) {
        expect(era.dataset).toBe(d.id);
        expect(era.columns.length, era.id).toBeGreaterThan(0);
        // Every source column is either mapped to a curated column of the dataset, or dropped with a reason.
        for (const c of era.columns) {
          expect((c.curated === undefined) !== (c.dropReason === undefined), `${era.id}.${c.source}`).toBe(
            true,
          );
          if (c.curated) expect(curated.has(c.curated), `${era.id}.${c.source} → ${c.curated}`).toBe(true);
        }
        const source = CONTRACT.datasets.find((x) => x.id === d.id)!.eras.find((e) => e.id === era.id)!;
        expect(era.columns.map((c) => c.source)).toEqual(source.columns.map((c) => c.source));
      }
    }
    expect(listDir(join(cwd, 'nested/dir'))).toEqual(['f.json']);
  });

  it('without --out prints exactly the same JSON on stdout (redirected to a file), and nothing else', () => {
    const cwd = tempDir();
    expect(runCli(['--log-level', 'silent', 'contract', 'export', '--out', 'f.json'], { cwd }).code).toBe(0);
    // stdout redirected to a file, as `orchestrator contract export > contract.json` (see the pipe bug below).
    const r = shell(`${shQuote(process.execPath)} ${shQuote(CLI)} contract export > stdout.json`, cwd);
    expect(r.status, r.stderr).toBe(0);
    const printed = readFileSync(join(cwd, 'stdout.json'), 'utf8');
    expect(printed).toBe(readFileSync(join(cwd, 'f.json'), 'utf8'));
    expect((JSON.parse(printed) as Exported).contractVersion).toBe(CONTRACT_VERSION);
    expect(listDir(cwd)).toEqual(['f.json', 'stdout.json']);
  });

  // Regression: stdout drains before exit, so a slow pipe reader gets the whole document.
  it('without --out, piping stdout to a slow reader still delivers the whole JSON', () => {
    const cwd = tempDir();
    expect(runCli(['--log-level', 'silent', 'contract', 'export', '--out', 'f.json'], { cwd }).code).toBe(0);
    const r = shell(
      `${shQuote(process.execPath)} ${shQuote(CLI)} contract export | (sleep 1; cat > piped.json)`,
      cwd,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(cwd, 'piped.json'), 'utf8').length).toBe(
      readFileSync(join(cwd, 'f.json'), 'utf8').length,
    );
  });

  it('--json --out prints a summary: out, version and one line per dataset', () => {
    const cwd = tempDir();
    const r = runCli(['--json', '--log-level', 'silent', 'contract', 'export', '--out', 'f.json'], { cwd });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      out: string;
      version: string;
      datasets: { id: string; eras: string[]; curatedColumns: number; rules: number }[];
    };
    expect(out.out).toBe(join(cwd, 'f.json'));
    expect(out.version).toBe(CONTRACT_VERSION);
    expect(out.datasets.map((d) => d.id)).toEqual([...DATASET_IDS]);
    for (const d of out.datasets)
      expect(d.eras).toEqual(CONTRACT.datasets.find((x) => x.id === d.id)!.eras.map((e) => e.id));
  });

  it('replaces an existing file atomically, leaving no temp file', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'f.json'), '{"old": true}');
    const r = runCli(['--log-level', 'silent', 'contract', 'export', '--out', 'f.json'], { cwd });
    expect(r.code).toBe(0);
    expect((JSON.parse(readFileSync(join(cwd, 'f.json'), 'utf8')) as Exported).contractVersion).toBe(
      CONTRACT_VERSION,
    );
    expect(listDir(cwd)).toEqual(['f.json']);
  });

  it('an --out that is a folder → OUTPUT_NOT_WRITABLE, exit 7, no temp file left', () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'd.json'));
    const r = runCli(['contract', 'export', '--out', 'd.json'], { cwd });
    expect(r.code).toBe(EXIT_CODES.io.code);
    expect(r.stderr).toMatch(/^error \[OUTPUT_NOT_WRITABLE\]: Cannot write /);
    expect(listDir(cwd)).toEqual(['d.json']);
    expect(listDir(join(cwd, 'd.json'))).toEqual([]);
  });

  // Regression: a failed cleanup must not mask the original OUTPUT_NOT_WRITABLE error.
  it('an --out under a regular file → OUTPUT_NOT_WRITABLE, exit 7', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'plain'), 'keep me');
    const r = runCli(['contract', 'export', '--out', 'plain/f.json'], { cwd });
    expect(r.stderr).toMatch(/^error \[OUTPUT_NOT_WRITABLE\]: Cannot write /);
    expect(r.code).toBe(EXIT_CODES.io.code);
  });

  it('an --out under a regular file fails without touching anything (exit code aside)', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'plain'), 'keep me');
    const r = runCli(['contract', 'export', '--out', 'plain/f.json'], { cwd });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(listDir(cwd)).toEqual(['plain']);
    expect(readFileSync(join(cwd, 'plain'), 'utf8')).toBe('keep me');
  });

  it('an empty --out is an invalid option', () => {
    const r = runCli(['contract', 'export', '--out', '']);
    expect(r.code).toBe(EXIT_CODES.usage.code);
    expect(r.stderr).toContain('error [INVALID_OPTION]: Invalid options for contract export:');
    expect(r.stderr).toContain('--out: ');
  });
});
