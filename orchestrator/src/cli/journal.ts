/**
 * What a command leaves in each run folder it created, besides the use cases' own files: the run's
 * log events (`events.ndjson`, redacted, info and above), how the command ended (`command.json`), and a
 * normalised `summary.json` (what
 * `runs list`, the catalog's `_runs` table and the report read). Written once at the end, whatever
 * the outcome, so a failed or interrupted run tells its story too.
 */
import { summarizeRun } from '../app/runs.js';
import { lake } from '../domain/lake.js';
import { redact } from '../domain/redact.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { ReportEvent } from '../ports/reporter.js';

const MAX_EVENTS = 20_000;

export class RunJournal {
  private readonly runs = new Set<string>();
  private readonly events: string[] = [];
  private dropped = 0;
  private outcome: Record<string, unknown> | undefined;
  private commandName: string | undefined;
  private target: { store: () => ObjectStore; after?: () => Promise<void> } | undefined;

  /** Marks a run id as this command's: its folder gets the journal at the end. */
  track(runId: string): string {
    this.runs.add(runId);
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

  /** Where to write (the command's lake), and what to refresh afterwards (the local catalog's views). */
  attach(store: () => ObjectStore, after?: () => Promise<void>): void {
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
    if (!this.target || this.runs.size === 0) return;
    const store = this.target.store();
    const outcome = this.outcome ? `${JSON.stringify(redact(this.outcome), null, 2)}\n` : undefined;
    const tail = this.dropped
      ? [
          JSON.stringify({
            level: 'warn',
            code: 'journal.truncated',
            message: `${this.dropped} more events not kept`,
          }),
        ]
      : [];
    const ndjson = `${[...this.events, ...tail].join('\n')}\n`;
    for (const runId of this.runs) {
      await store.put(lake.runFile(runId, 'events.ndjson'), ndjson);
      if (outcome) await store.put(lake.runFile(runId, 'command.json'), outcome);
      const summary = await summarizeRun(store, runId);
      if (summary)
        await store.put(lake.runFile(runId, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    }
    await this.target.after?.();
  }
}
