/**
 * The commander program. Global options are resolved into a CommandContext lazily (after commander
 * has parsed them), each command zod-parses its own options on its first line, and every failure
 * comes back to `run` as a typed error, which picks the exit code.
 */
import { Command, CommanderError, Option } from 'commander';
import { loadConfig } from '../config/load.js';
import { OrchestratorError, toOrchestratorError } from '../domain/errors.js';
import { redact, redactString } from '../domain/redact.js';
import { loadTargetAdapters, objectStore, registerRunTables } from '../wiring.js';
import { registerContract } from './commands/contract.js';
import { registerDbt } from './commands/dbt.js';
import { registerDoctor } from './commands/doctor.js';
import { registerIngest } from './commands/ingest.js';
import { registerPipeline } from './commands/pipeline.js';
import { registerReport } from './commands/report.js';
import { registerRuns } from './commands/runs.js';
import { registerSample } from './commands/sample.js';
import { registerSubmit } from './commands/submit.js';
import { registerUpload } from './commands/upload.js';
import { registerValidate } from './commands/validate.js';
import type { CliIo, CommandContext } from './context.js';
import { RunJournal } from './journal.js';
import { createLogger } from './logger.js';
import { CliReporter } from './reporter.js';
import { VERSION } from './version.js';

interface GlobalOptions {
  target?: string;
  config?: string;
  lake?: string;
  json?: boolean;
  logLevel?: string;
}

export function buildProgram(io: CliIo, signal: AbortSignal, journal = new RunJournal()): Command {
  const program = new Command('orchestrator')
    .description('CMS Open Payments from the publisher to tested analytics, on a local lake or AWS.')
    .version(VERSION, '--version', 'print the version')
    .addOption(
      new Option('--target <target>', 'where to run: local (default) or aws').choices(['local', 'aws']),
    )
    .option(
      '--config <file>',
      'config file (default: orchestrator.config.yaml|yml|json in the working directory)',
    )
    .option('--lake <dir>', 'local lake folder (default .lake)')
    .option('--json', 'machine-readable JSON on stdout')
    .addOption(
      new Option('--log-level <level>', 'log level').choices([
        'trace',
        'debug',
        'info',
        'warn',
        'error',
        'fatal',
        'silent',
      ]),
    )
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => undefined, // rendered by run() as a coded error
    });

  let cached: CommandContext | undefined;
  const context = async (): Promise<CommandContext> => {
    if (cached) return cached;
    const g = program.opts<GlobalOptions>();
    const flags: Record<string, unknown> = {
      target: g.target,
      logLevel: g.logLevel,
      ...(g.lake ? { lake: { root: g.lake } } : {}),
    };
    const { config, file } = loadConfig({
      cwd: io.cwd,
      env: io.env,
      configFile: g.config ?? io.env['ORCHESTRATOR_CONFIG'],
      flags,
    });
    await loadTargetAdapters(config.target);
    const logger = createLogger({
      level: config.logLevel,
      pretty: Boolean(io.stderr.isTTY),
      destination: io.stderr,
    });
    const reporter = new CliReporter(logger, {
      tty: Boolean(io.stderr.isTTY),
      stream: io.stderr as NodeJS.WriteStream,
      journal,
    });
    const ctx: CommandContext = {
      config,
      configFile: file,
      json: Boolean(g.json),
      logger,
      reporter,
      io,
      signal,
      journal,
    };
    journal.attach(
      () => objectStore(ctx),
      (runs) => registerRunTables(ctx, runs),
    );
    cached = ctx;
    return cached;
  };

  // The journal names the command that ran (`submit`, `runs show`, …) in each run folder's command.json.
  program.hook('preAction', (_root, action) => {
    const parent = action.parent && action.parent !== program ? `${action.parent.name()} ` : '';
    journal.name(`${parent}${action.name()}`);
  });
  registerDoctor(program, context);
  registerSample(program, context);
  registerContract(program, context);
  registerIngest(program, context);
  registerUpload(program, context);
  registerSubmit(program, context);
  registerValidate(program, context);
  registerPipeline(program, context);
  registerRuns(program, context);
  registerReport(program, context);
  registerDbt(program, context);
  return program;
}

function fromCommander(e: CommanderError): OrchestratorError | undefined {
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
    return undefined;
  const message = e.message.replace(/^error: /, '');
  return new OrchestratorError('USAGE', message.charAt(0).toUpperCase() + message.slice(1), {
    suggestion: 'Run `orchestrator --help` (or `orchestrator <command> --help`) for usage.',
  });
}

function renderError(io: CliIo, json: boolean, err: OrchestratorError): void {
  if (json) {
    io.stdout.write(`${JSON.stringify({ error: redact(err.toJSON()) }, null, 2)}\n`);
    return;
  }
  const lines = [`error [${err.code}]: ${err.message}`];
  if (err.suggestion) lines.push(`  hint: ${err.suggestion}`);
  if (err.code === 'INTERNAL' && err.cause instanceof Error && err.cause.stack) lines.push(err.cause.stack);
  io.stderr.write(`${redactString(lines.join('\n'))}\n`);
}

/** Runs the CLI and returns the exit code; main() is the one place that exits the process. */
export async function run(
  argv: string[],
  io: CliIo,
  signal: AbortSignal = new AbortController().signal,
): Promise<number> {
  const journal = new RunJournal(commandLine(argv));
  const program = buildProgram(io, signal, journal);
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync(argv);
    journal.finish({ command: commandLine(argv), exitCode: 0 });
    return 0;
  } catch (e) {
    const err =
      e instanceof CommanderError
        ? fromCommander(e)
        : toOrchestratorError(
            // After Ctrl-C, whatever failed failed because of it — unless the error already tells
            // how the interruption ended (a remote run cancelled, a job stopped).
            signal.aborted &&
              !(e instanceof OrchestratorError && ['interrupted', 'cancelled'].includes(e.category))
              ? new OrchestratorError('INTERRUPTED', 'Interrupted; stopped cleanly.')
              : e,
          );
    if (!err) return 0;
    renderError(io, Boolean(program.opts<GlobalOptions>().json), err);
    journal.finish({ command: commandLine(argv), exitCode: err.exitCode, error: err.toJSON() });
    return err.exitCode;
  } finally {
    // The run folders get their events and summary whatever happened; a failure to write them is
    // reported but never changes the command's own outcome.
    await journal.flush().catch((e: unknown) => {
      io.stderr.write(`warning: could not write the run journal: ${(e as Error).message}\n`);
    });
  }
}

/** The command as typed, after `node main.js` (values of secrets never appear on a command line here). */
function commandLine(argv: string[]): string {
  return ['orchestrator', ...argv.slice(2)].join(' ');
}
