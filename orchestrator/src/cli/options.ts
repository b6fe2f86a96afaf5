/**
 * Shared option parsing for commands: the first line of an action zod-parses its options, and
 * problems become coded errors (the specific ones a user is most likely to hit get their own code).
 */
import type { z } from 'zod';
import { formatIssues } from '../config/load.js';
import { DATASET_IDS } from '../domain/contract/types.js';
import { OrchestratorError } from '../domain/errors.js';
import { FIRST_PROGRAM_YEAR, latestProgramYear } from '../domain/lake.js';

export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown, command: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const problems = formatIssues(r.error.issues, raw).map(
    (p) => `--${p.replace(/^([a-zA-Z]+)/, (k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))}`,
  );
  throw new OrchestratorError(
    'INVALID_OPTION',
    `Invalid options for ${command}:\n  ${problems.join('\n  ')}`,
    {
      suggestion: `Run \`orchestrator ${command} --help\` for the accepted values.`,
      data: { problems },
    },
  );
}

export function checkDataset(value: unknown, allowed: readonly string[] = DATASET_IDS): void {
  if (typeof value === 'string' && allowed.includes(value)) return;
  throw new OrchestratorError('UNKNOWN_DATASET', `Unknown dataset ${JSON.stringify(value)}.`, {
    suggestion: `Use one of: ${allowed.join(', ')}.`,
  });
}

export function checkYear(value: unknown, today = new Date()): number {
  const latest = latestProgramYear(today);
  const year = typeof value === 'string' && /^\d{4}$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isInteger(year) && year >= FIRST_PROGRAM_YEAR && year <= latest) return year;
  throw new OrchestratorError(
    'YEAR_OUT_OF_RANGE',
    `Program year ${JSON.stringify(value)} is outside ${FIRST_PROGRAM_YEAR}–${latest}.`,
    {
      suggestion: `Open Payments starts with program year ${FIRST_PROGRAM_YEAR}; pass --year between ${FIRST_PROGRAM_YEAR} and ${latest}.`,
    },
  );
}
