import type { Command } from 'commander';
import { z } from 'zod';
import type { ValidationResult } from '../../app/validate/validate.js';
import { DATASET_IDS, type DatasetId } from '../../domain/contract/types.js';

import { validateUseCase } from '../../wiring.js';
import type { CommandContext } from '../context.js';
import { newRun, render } from '../context.js';
import { checkDataset, checkYear, parseOptions } from '../options.js';

const Options = z.object({ year: z.string(), dataset: z.array(z.enum(DATASET_IDS)).optional() });

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',')];

const MARK = { pass: 'ok  ', skip: 'skip', fail: 'FAIL' } as const;

export function validationLines(result: ValidationResult): string[] {
  return result.checks.map(
    (c) => `  ${MARK[c.status]}  ${c.dataset.padEnd(15)} ${c.check.padEnd(21)} ${c.detail}`,
  );
}

export function registerValidate(program: Command, context: () => Promise<CommandContext>): void {
  program
    .command('validate')
    .description(
      'Check a program year: raw against its audit, staging counts, curated rows, nulls, amounts and removed records.',
    )
    .requiredOption('--year <YYYY>', 'program year')
    .option(
      '--dataset <name>',
      `only these datasets (repeatable or comma-separated): ${DATASET_IDS.join(', ')}`,
      collect,
    )
    .action(async (raw: Record<string, unknown>) => {
      for (const d of (raw['dataset'] as string[] | undefined) ?? []) checkDataset(d);
      const year = checkYear(raw['year']);
      const opts = parseOptions(Options, raw, 'validate');
      const ctx = await context();
      const result = await validateUseCase(ctx, newRun(ctx)).run({
        year,
        datasets: opts.dataset as DatasetId[] | undefined,
      });
      render(ctx, result, () => [
        `Validation of ${year} in run ${result.runId}: all checks passed.`,
        ...validationLines(result),
        `Results: ${result.resultKeys.at(-1)}`,
      ]);
    });
}
