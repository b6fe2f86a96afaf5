/** pino on stderr: pretty on a TTY, JSON lines otherwise; every record passes through redaction. */
import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { redact, redactString } from '../domain/redact.js';

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  /** Where records go; stderr by default (stdout is reserved for command results). */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const destination = opts.destination ?? process.stderr;
  // pino-pretty is loaded only for a terminal: batch runs should not pay for it in memory.
  const stream = opts.pretty
    ? (createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty)({
        destination,
        sync: true,
        colorize: true,
        ignore: 'pid,hostname',
        translateTime: 'HH:MM:ss',
      })
    : destination;
  return pino(
    {
      level: opts.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redact(obj) as Record<string, unknown>,
      },
      hooks: {
        // Messages are redacted too: a URL with a presigned signature can end up in one.
        logMethod(args, method) {
          const redacted = args.map((a) => (typeof a === 'string' ? redactString(a) : a)) as Parameters<
            typeof method
          >;
          method.apply(this, redacted);
        },
      },
    },
    stream as pino.DestinationStream,
  );
}
