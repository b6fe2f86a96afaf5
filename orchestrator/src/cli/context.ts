/** What every command gets: the resolved config, a reporter, and where its output goes. */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { newRunId } from '../domain/run-id.js';
import type { Reporter } from '../ports/reporter.js';
import type { RunJournal } from './journal.js';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CommandContext {
  config: Config;
  configFile: string | undefined;
  json: boolean;
  logger: Logger;
  reporter: Reporter;
  io: CliIo;
  signal: AbortSignal;
  /** The command's runs and events, written to each run folder at the end. */
  journal: RunJournal;
}

/**
 * A new run id of this command (its folder gets command.json now, events as it goes, the outcome and
 * summary.json at the end). `step`: what the run is when one command makes several (`submit transform`).
 */
export function newRun(ctx: Pick<CommandContext, 'journal'>, step?: string): string {
  return ctx.journal.track(newRunId(), step);
}

/** Prints a command's result: JSON on --json, otherwise the human lines. */
export function render(ctx: CommandContext, result: unknown, human: () => string[]): void {
  ctx.io.stdout.write(ctx.json ? `${JSON.stringify(result, null, 2)}\n` : `${human().join('\n')}\n`);
}
