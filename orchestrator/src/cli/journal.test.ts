import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../adapters/local/fs-object-store.js';
import type { RunSummary } from '../app/runs.js';
import { lake } from '../domain/lake.js';
import { RunJournal } from './journal.js';

/** A pid that existed and is gone: a process that ran and exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

/** Leaves what a command killed mid-run leaves: a `running` command.json and its open-run marker. */
async function killedRun(store: FsObjectStore, runId: string, writer: { host: string; pid: number }) {
  const record = { name: 'pipeline', status: 'running', startedAt: '2026-11-27T01:00:00Z', ...writer };
  await store.put(lake.runFile(runId, 'command.json'), JSON.stringify(record));
  await store.put(lake.openRun(runId), JSON.stringify({ runId, ...writer }));
}

describe('RunJournal', () => {
  it("a command's end writes the rows of runs killed before it, and removes their markers and its own", async () => {
    const root = mkdtempSync(join(tmpdir(), 'op-journal-'));
    const store = new FsObjectStore(root);
    const killed = '20261127T010000Z-dead01';
    const elsewhere = '20261127T010001Z-e15e01';
    await killedRun(store, killed, { host: hostname(), pid: deadPid() });
    // On another host nobody here can tell whether it still runs: left alone.
    await killedRun(store, elsewhere, { host: 'another-host', pid: 1 });

    const rows: RunSummary[] = [];
    const journal = new RunJournal('orchestrator pipeline --year 2023');
    journal.attach(
      () => store,
      async (runs) => void rows.push(...runs),
    );
    journal.name('validate');
    const own = journal.track('20261127T020000Z-11ee01');
    expect(existsSync(join(root, lake.openRun(killed)))).toBe(true);
    journal.finish({ command: 'validate', exitCode: 0 });
    await journal.flush();

    expect(rows.map((r) => [r.runId, r.status])).toEqual([
      [own, 'succeeded'],
      [killed, 'interrupted'],
    ]);
    expect(existsSync(join(root, lake.openRun(own)))).toBe(false);
    expect(existsSync(join(root, lake.openRun(killed)))).toBe(false);
    expect(existsSync(join(root, lake.openRun(elsewhere)))).toBe(true);

    // The next command finds nothing more to sweep.
    const next: RunSummary[] = [];
    const again = new RunJournal();
    again.attach(
      () => store,
      async (runs) => void next.push(...runs),
    );
    again.track('20261127T030000Z-22ee02');
    again.finish({ command: 'validate', exitCode: 0 });
    await again.flush();
    expect(next.map((r) => r.runId)).toEqual(['20261127T030000Z-22ee02']);
  });
});
