/**
 * What a command leaves in each run folder it created, besides the use cases' own files: how the
 * command ended (`command.json`), the run's log events (`events.ndjson`, redacted, info and above),
 * and a normalised `summary.json` (what `runs list`, the catalog's `_runs` table and the report read).
 *
 * A run must tell its story even when its process dies without a word (SIGKILL, a crash, a reboot):
 * command.json is written as soon as the run starts (status `running`, with host and pid, so a reader
 * can tell a live run from a dead one), and the events are checkpointed while the command works.
 * The end rewrites all three with the outcome.
 *
 * The catalog's `_runs` rows are written at the end, which a killed command never reaches. So each run
 * also leaves an open-run marker (metadata/open-runs/) that its end removes; every later command's end
 * looks at the markers left, and writes the rows of the runs whose process is gone (`interrupted`,
 * or whatever their folder says if they got further), then removes those markers. A marker of a run
 * on another host stays until a command on that host (the only one that can tell) sweeps it.
 */
import { self } from '../app/liveness.js';
import { type RunSummary, summarizeRun } from '../app/runs.js';
import { lake } from '../domain/lake.js';
import { redact } from '../domain/redact.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { ReportEvent } from '../ports/reporter.js';

const MAX_EVENTS = 20_000;
/** How often new events reach the run folders while the command works (one PUT per run on S3). */
const CHECKPOINT_MS = 2_000;

export class RunJournal {
  /** Run id → what it is (`ingest`, `submit transform`; empty: the command itself). */
  private readonly runs = new Map<string, string>();
  private readonly events: string[] = [];
  private dropped = 0;
  private written = 0;
  private outcome: Record<string, unknown> | undefined;
  private commandName: string | undefined;
  private readonly startedAt = new Date().toISOString();
  private target: { store: () => ObjectStore; after?: (runs: RunSummary[]) => Promise<void> } | undefined;
  /** Background writes, one at a time and in order; flush() waits for them. */
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  /** `commandLine`: the command as typed (kept in each run's command.json). */
  constructor(private readonly commandLine?: string) {}

  /**
   * Marks a run id as this command's: its folder gets a `running` command.json now, events while the
   * command works, and the outcome at the end. `step` names what the run is when one command makes
   * several (a pipeline's ingest, transform, validate).
   */
  track(runId: string, step = ''): string {
    this.runs.set(runId, step);
    this.enqueue(async (store) => {
      await store.put(lake.runFile(runId, 'command.json'), this.commandRecord(runId));
      await store.put(
        lake.openRun(runId),
        `${JSON.stringify({ runId, startedAt: this.startedAt, ...self() })}\n`,
      );
    });
    if (!this.timer && this.target) {
      this.timer = setInterval(() => this.checkpoint(), CHECKPOINT_MS);
      this.timer.unref();
    }
    return runId;
  }

  record(e: ReportEvent): void {
    if (e.level === 'debug') return; // Spark's INFO chatter stays in the terminal log only
    if (this.events.length >= MAX_EVENTS) {
      this.dropped++;
      return;
    }
    const line = {
      time: new Date().toISOString(),
      level: e.level,
      code: e.code,
      message: e.message,
      ...(e.data ? { data: e.data } : {}),
    };
    this.events.push(JSON.stringify(redact(line)));
  }

  /** Where to write (the command's lake), and what to do with the runs' summaries afterwards (the catalog's run tables). */
  attach(store: () => ObjectStore, after?: (runs: RunSummary[]) => Promise<void>): void {
    this.target = { store, ...(after ? { after } : {}) };
  }

  /** The command being run (`submit`, `runs show`). */
  name(command: string): void {
    this.commandName = command;
  }

  /** How the command ended: kept as command.json in each run folder (the story of a run that stopped early). */
  finish(outcome: { command: string; exitCode: number; error?: Record<string, unknown> | undefined }): void {
    this.outcome = { name: this.commandName, ...outcome, finishedAt: new Date().toISOString() };
  }

  async flush(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    // A background write that failed must not stop the final one (which reports its own failure).
    await this.writing.catch(() => undefined);
    if (!this.target || this.runs.size === 0) return;
    const store = this.target.store();
    const ndjson = this.ndjson();
    const summaries: RunSummary[] = [];
    for (const runId of this.runs.keys()) {
      await store.put(lake.runFile(runId, 'events.ndjson'), ndjson);
      if (this.outcome) await store.put(lake.runFile(runId, 'command.json'), this.commandRecord(runId));
      const summary = await summarizeRun(store, runId);
      if (!summary) continue;
      await store.put(lake.runFile(runId, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
      summaries.push(summary);
    }
    const ended = await this.endedElsewhere(store);
    await this.target.after?.([...summaries, ...ended.map((e) => e.summary)]);
    // Only once the rows are written: a kill before this leaves the markers for the next command.
    for (const runId of this.runs.keys()) await store.delete(lake.openRun(runId));
    for (const e of ended) await store.delete(e.marker);
  }

  /**
   * Runs of earlier commands that will never write their own rows: their marker is still there but
   * their folder no longer reads `running` (the writer is gone, or it ended and died before removing
   * the marker). A marker whose run folder is gone is dropped.
   */
  private async endedElsewhere(store: ObjectStore): Promise<{ marker: string; summary: RunSummary }[]> {
    const out: { marker: string; summary: RunSummary }[] = [];
    for await (const o of store.list(lake.openRunsPrefix)) {
      const runId = /run_id=([^/]+)\.json$/.exec(o.key)?.[1];
      if (!runId || this.runs.has(runId)) continue;
      const summary = await summarizeRun(store, runId);
      if (!summary) await store.delete(o.key);
      else if (summary.status !== 'running') out.push({ marker: o.key, summary });
    }
    return out;
  }

  /** New events since the last checkpoint, to every run folder (also on a timer, and at a pipeline's steps). */
  checkpoint(): void {
    if (this.events.length === this.written) return;
    this.written = this.events.length;
    const ndjson = this.ndjson();
    const runIds = [...this.runs.keys()];
    this.enqueue(async (store) => {
      for (const runId of runIds) await store.put(lake.runFile(runId, 'events.ndjson'), ndjson);
    });
  }

  private enqueue(write: (store: ObjectStore) => Promise<unknown>): void {
    const target = this.target;
    if (!target) return;
    // Best effort while the command works: the final flush writes everything again and reports.
    this.writing = this.writing
      .then(() => write(target.store()))
      .then(
        () => undefined,
        () => undefined,
      );
  }

  private commandRecord(runId: string): string {
    const step = this.runs.get(runId) || undefined;
    // While running: who runs it (a reader tells a live run from a killed one); at the end: how it ended.
    const record = {
      name: this.commandName,
      ...(step ? { step } : {}),
      ...(this.commandLine ? { command: this.commandLine } : {}),
      ...(this.outcome ?? { status: 'running' }),
      startedAt: this.startedAt,
      ...self(),
    };
    return `${JSON.stringify(redact(record), null, 2)}\n`;
  }

  private ndjson(): string {
    const tail = this.dropped
      ? [
          JSON.stringify({
            level: 'warn',
            code: 'journal.truncated',
            message: `${this.dropped} more events not kept`,
          }),
        ]
      : [];
    return `${[...this.events, ...tail].join('\n')}\n`;
  }
}
