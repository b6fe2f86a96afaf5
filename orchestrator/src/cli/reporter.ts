/**
 * The CLI's Reporter: events become log records; progress is a bar on a TTY and periodic
 * `progress` events elsewhere (CI logs, Airflow), so long work is never silent.
 */

import type { Logger } from 'pino';
import type { Progress, ReportEvent, Reporter } from '../ports/reporter.js';
import type { RunJournal } from './journal.js';

export interface CliReporterOptions {
  tty: boolean;
  /** Seconds between progress events when not on a TTY. */
  progressEverySeconds?: number;
  stream?: NodeJS.WriteStream;
  /** Keeps the events for the run folders (events.ndjson). */
  journal?: RunJournal;
}

function human(n: number, unit: string): string {
  if (unit === 'bytes') {
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let v = n;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
  }
  return `${n.toLocaleString('en-US')} ${unit}`;
}

export class CliReporter implements Reporter {
  constructor(
    private readonly logger: Logger,
    private readonly opts: CliReporterOptions,
  ) {}

  event(e: ReportEvent): void {
    this.logger[e.level]({ code: e.code, ...e.data }, e.message);
    this.opts.journal?.record(e);
  }

  progress(label: string, p: { total?: number; unit: string }): Progress {
    const started = Date.now();
    let done = 0;
    let last = 0;
    const stream = this.opts.stream ?? process.stderr;
    const every = (this.opts.progressEverySeconds ?? 5) * 1000;
    const line = () => {
      const secs = Math.max((Date.now() - started) / 1000, 0.001);
      const rate = `${human(Math.round(done / secs), p.unit)}/s`;
      if (p.total) {
        const pct = Math.min(100, (done / p.total) * 100);
        const width = 24;
        const fill = Math.round((pct / 100) * width);
        return `${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${pct.toFixed(0)}% ${human(done, p.unit)} ${rate}`;
      }
      return `${label} ${human(done, p.unit)} ${rate}`;
    };
    return {
      tick: (n) => {
        done += n;
        const now = Date.now();
        if (this.opts.tty) {
          if (now - last > 100) {
            stream.write(`\r${line()}\x1b[K`);
            last = now;
          }
        } else if (now - last > every) {
          if (last !== 0)
            this.logger.info({ code: 'progress', label, done, total: p.total, unit: p.unit }, line());
          last = now;
        }
      },
      done: () => {
        if (this.opts.tty) stream.write(`\r${line()}\x1b[K\n`);
        else this.logger.info({ code: 'progress.done', label, done, total: p.total, unit: p.unit }, line());
      },
    };
  }
}
