/**
 * Output is a port: use cases emit typed events and progress to an injected reporter and never write
 * to the console. The CLI maps events to pino (pretty on a TTY, JSON otherwise) and progress to a bar
 * on a TTY or periodic events elsewhere; tests use a recording reporter.
 */
export type EventLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ReportEvent {
  level: EventLevel;
  /** Stable, dotted code, e.g. `sample.done`; scripts may match on it. */
  code: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface Progress {
  /** Advance by n units (rows, bytes). */
  tick(n: number): void;
  done(): void;
}

export interface Reporter {
  event(e: ReportEvent): void;
  progress(label: string, opts: { total?: number; unit: string }): Progress;
}

/** Keeps every event in memory; for tests and for building run summaries. */
export class RecordingReporter implements Reporter {
  readonly events: ReportEvent[] = [];
  readonly progressTicks = new Map<string, number>();

  event(e: ReportEvent): void {
    this.events.push(e);
  }

  progress(label: string): Progress {
    this.progressTicks.set(label, 0);
    return {
      tick: (n) => this.progressTicks.set(label, (this.progressTicks.get(label) ?? 0) + n),
      done: () => undefined,
    };
  }

  codes(): string[] {
    return this.events.map((e) => e.code);
  }
}
