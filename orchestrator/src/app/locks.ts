/**
 * One writer per (table, program year): a lease object at metadata/locks/<table>-<year>.lock, created
 * with the store's conditional write (an exclusive hard link locally, `If-None-Match: *` on S3), so of
 * two runs that race for it exactly one wins. The lease names its holder (run id, command, host, pid)
 * and expires: the holder renews it while it works, and a lease left by a killed process is taken over
 * once it has expired — at once when the holder ran on this machine and its process is gone. Locks are released on every exit path the process lives through (success,
 * error, Ctrl-C); only a SIGKILL leaves a lease behind, until it expires.
 */
import { OrchestratorError } from '../domain/errors.js';
import { lake } from '../domain/lake.js';
import { ObjectExistsError, type ObjectStore } from '../ports/object-store.js';
import type { Reporter } from '../ports/reporter.js';
import { readRecord } from './lake-records.js';
import { self, writerGone } from './liveness.js';

export interface Lease {
  owner: string;
  command: string;
  host: string;
  pid: number;
  acquiredAt: string;
  expiresAt: string;
}

export interface LockTarget {
  table: string;
  /** Absent: the whole table (e.g. the dbt project's analytics database). */
  programYear?: number;
}

export interface LockOptions {
  store: ObjectStore;
  reporter: Reporter;
  /** How long a lease lasts without renewal. */
  ttlMs: number;
  now?: () => Date;
}

export class PartitionLocks {
  private readonly now: () => Date;

  constructor(private readonly opts: LockOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Takes every lock (in a stable order, so two runs never hold one each of the other's), runs `fn`,
   * and releases them whatever happens. A lock held by a live lease fails the whole call with
   * LOCK_HELD naming the holder, releasing what was already taken.
   */
  async withLocks<T>(
    targets: LockTarget[],
    owner: string,
    command: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    const keys = [...new Set(targets.map((t) => lake.lock(t.table, t.programYear)))].sort();
    const held: string[] = [];
    let renewal: NodeJS.Timeout | undefined;
    try {
      for (const key of keys) {
        await this.acquire(key, owner, command);
        held.push(key);
      }
      // Renew at a third of the lifetime: a slow store call or two cannot make the lease lapse.
      renewal = setInterval(
        () => {
          for (const key of held) void this.renew(key, owner, command).catch(() => undefined);
        },
        Math.max(1000, Math.floor(this.opts.ttlMs / 3)),
      );
      renewal.unref();
      return await fn();
    } finally {
      if (renewal) clearInterval(renewal);
      for (const key of held.reverse()) await this.release(key, owner);
    }
  }

  private lease(owner: string, command: string): Lease {
    const now = this.now();
    return {
      owner,
      command,
      ...self(),
      acquiredAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.opts.ttlMs).toISOString(),
    };
  }

  private async acquire(key: string, owner: string, command: string): Promise<void> {
    const { store, reporter } = this.opts;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await store.putIfAbsent(key, `${JSON.stringify(this.lease(owner, command), null, 2)}\n`);
        return;
      } catch (e) {
        if (!(e instanceof ObjectExistsError)) throw e;
      }
      const current = await readRecord<Lease>(store, key);
      if (!current) continue; // released between our write and our read: try again
      if (current.owner === owner) return; // ours already (a retried call)
      const expired = new Date(current.expiresAt).getTime() <= this.now().getTime();
      // A holder on this machine whose process is gone (SIGKILL, a crash) cannot renew: no need to wait.
      const dead = writerGone(current);
      if (!expired && !dead) {
        throw new OrchestratorError(
          'LOCK_HELD',
          `${key} is held by run ${current.owner} (${current.command}, pid ${current.pid} on ${current.host}) until ${current.expiresAt}; one writer per table and year.`,
          {
            suggestion: `Wait for that run to finish and rerun. If it is gone (killed), the lease expires at ${current.expiresAt} and the next run takes it over.`,
            data: { key, holder: current },
          },
        );
      }
      reporter.event({
        level: 'warn',
        code: 'lock.taken_over',
        message: `Taking over ${key}: the lease of run ${current.owner} (pid ${current.pid} on ${current.host}) ${dead ? 'belongs to a process that is gone' : `expired at ${current.expiresAt}`}.`,
        data: { key, previous: current },
      });
      // Delete, then race for it again with the conditional write: only one taker can win.
      await store.delete(key);
    }
    throw new OrchestratorError('LOCK_HELD', `Could not take ${key}: other runs keep taking it.`, {
      suggestion: 'Rerun once the other runs of this year are done.',
    });
  }

  private async renew(key: string, owner: string, command: string): Promise<void> {
    const current = await readRecord<Lease>(this.opts.store, key);
    if (current?.owner !== owner) return; // lost (expired and taken over): nothing to renew
    const lease = { ...this.lease(owner, command), acquiredAt: current.acquiredAt };
    await this.opts.store.put(key, `${JSON.stringify(lease, null, 2)}\n`);
  }

  private async release(key: string, owner: string): Promise<void> {
    const current = await readRecord<Lease>(this.opts.store, key).catch(() => undefined);
    if (current?.owner === owner) await this.opts.store.delete(key);
  }
}
