import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../adapters/local/fs-object-store.js';
import { lake } from '../domain/lake.js';
import { RecordingReporter } from '../ports/reporter.js';
import { type Lease, PartitionLocks } from './locks.js';

const KEY = lake.lock('general', 2023);
const TARGET = [{ table: 'general', programYear: 2023 }];

function setup(ttlMs = 60_000) {
  const store = new FsObjectStore(mkdtempSync(join(tmpdir(), 'op-locks-')));
  const reporter = new RecordingReporter();
  return { store, reporter, locks: new PartitionLocks({ store, reporter, ttlMs }) };
}

const lease = (overrides: Partial<Lease>): string =>
  JSON.stringify({
    owner: 'other-run',
    command: 'submit transform',
    host: 'another-host',
    pid: 4242,
    acquiredAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ...overrides,
  });

describe('one writer per table and year', () => {
  it('holds the lease while the work runs and releases it after', async () => {
    const { store, locks } = setup();
    const seen = await locks.withLocks(TARGET, 'run-a', 'pipeline', async () =>
      JSON.parse(await store.getText(KEY)),
    );
    expect(seen).toMatchObject({ owner: 'run-a', command: 'pipeline', host: hostname(), pid: process.pid });
    expect(await store.head(KEY)).toBeUndefined();
  });

  it('refuses a second writer with LOCK_HELD naming the holder, and runs nothing', async () => {
    const { store, locks } = setup();
    await store.put(KEY, lease({}));
    let ran = false;
    const err = await locks
      .withLocks(TARGET, 'run-b', 'pipeline', async () => {
        ran = true;
      })
      .catch((e) => e);
    expect(err.code).toBe('LOCK_HELD');
    expect(err.exitCode).toBe(6);
    expect(err.message).toContain('held by run other-run (submit transform, pid 4242 on another-host)');
    expect(ran).toBe(false);
    expect(JSON.parse(await store.getText(KEY)).owner).toBe('other-run'); // untouched
  });

  it('takes over an expired lease, and one whose process on this machine is gone', async () => {
    for (const stale of [
      lease({ expiresAt: new Date(Date.now() - 1000).toISOString() }),
      lease({ host: hostname(), pid: 2 ** 22 + 12345 }), // no such pid
    ]) {
      const { store, locks, reporter } = setup();
      await store.put(KEY, stale);
      await locks.withLocks(TARGET, 'run-c', 'pipeline', async () => {
        expect(JSON.parse(await store.getText(KEY)).owner).toBe('run-c');
      });
      expect(reporter.codes()).toContain('lock.taken_over');
    }
  });

  it('releases on failure too, and only what it took when a later lock was held', async () => {
    const { store, locks } = setup();
    await expect(
      locks.withLocks(TARGET, 'run-d', 'pipeline', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.head(KEY)).toBeUndefined();

    await store.put(lake.lock('research', 2023), lease({}));
    const both = [...TARGET, { table: 'research', programYear: 2023 }];
    await expect(locks.withLocks(both, 'run-e', 'pipeline', async () => undefined)).rejects.toMatchObject({
      code: 'LOCK_HELD',
    });
    expect(await store.head(KEY)).toBeUndefined(); // general was taken first, then given back
  });

  it('renews the lease while a long run works', async () => {
    const { store, locks } = setup(3000);
    await locks.withLocks(TARGET, 'run-f', 'pipeline', async () => {
      const first = JSON.parse(await store.getText(KEY)) as Lease;
      await new Promise((r) => setTimeout(r, 1300));
      const later = JSON.parse(await store.getText(KEY)) as Lease;
      expect(later.acquiredAt).toBe(first.acquiredAt);
      expect(new Date(later.expiresAt).getTime()).toBeGreaterThan(new Date(first.expiresAt).getTime());
    });
  });
});
