/** What every command gets: the resolved config, a reporter, and where its output goes. */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Reporter } from '../ports/reporter.js';

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
}

/** Prints a command's result: JSON on --json, otherwise the human lines. */
export function render(ctx: CommandContext, result: unknown, human: () => string[]): void {
  ctx.io.stdout.write(ctx.json ? `${JSON.stringify(result, null, 2)}\n` : `${human().join('\n')}\n`);
}
