import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { defaultEraId, resolveEra } from '../../app/sample/generate.js';
import { writeSample } from '../../app/sample/write.js';
import { CONTRACT } from '../../domain/contract/index.js';
import { DATASET_IDS, type DatasetId } from '../../domain/contract/types.js';
import { defaultPublicationDate } from '../../domain/publication.js';
import type { CommandContext } from '../context.js';
import { render } from '../context.js';
import { checkDataset, checkYear, parseOptions } from '../options.js';

const int = (what: string) =>
  z
    .string()
    .regex(/^-?\d+$/, `${what} must be a whole number`)
    .transform(Number);

const Options = z.object({
  dataset: z.enum(DATASET_IDS),
  year: z.string(),
  rows: int('rows').pipe(z.number().int().min(0, 'rows must be 0 or more').max(1_000_000_000)),
  era: z.string().optional(),
  defects: z
    .string()
    .regex(/^\d*\.?\d+$/, 'defects must be a rate between 0 and 1')
    .transform(Number)
    .pipe(z.number().min(0).max(1, 'defects must be a rate between 0 and 1')),
  seed: int('seed'),
  out: z.string().regex(/\.(csv|zip)$/i, 'out must end in .csv or .zip'),
  publication: z.iso.date('publication must be YYYY-MM-DD').optional(),
  recipients: int('recipients').pipe(z.number().int().min(1)),
  manufacturers: int('manufacturers').pipe(z.number().int().min(1)),
  force: z.boolean().default(false),
});

export function registerSample(program: Command, context: () => Promise<CommandContext>): void {
  program
    .command('sample')
    .description(
      'Generate synthetic Open Payments data (streamed, deterministic per seed) with a sidecar of injected defects.',
    )
    .requiredOption('--dataset <name>', `one of ${DATASET_IDS.join(', ')}`)
    .requiredOption('--year <YYYY>', 'program year')
    .requiredOption('--rows <n>', 'number of records (General rows for a .zip archive)')
    .requiredOption('--out <file>', 'output .csv, or .zip for a CMS-style year archive')
    .option('--era <id>', 'header layout (default: the layout the year was published in)')
    .option('--defects <rate>', 'share of rows with one injected data-quality trap (0–1)', '0')
    .option('--seed <n>', 'random seed', '1')
    .option('--publication <YYYY-MM-DD>', 'publication date (default: June 30 of the next year)')
    .option('--recipients <n>', 'size of the recipient pool', '5000')
    .option('--manufacturers <n>', 'size of the manufacturer pool', '300')
    .option('--force', 'replace an existing output file')
    .action(async (raw: Record<string, unknown>) => {
      checkDataset(raw['dataset']);
      const year = checkYear(raw['year']);
      const opts = parseOptions(Options, raw, 'sample');
      const ctx = await context();
      const dataset = opts.dataset as DatasetId;
      const eraId = opts.era ?? defaultEraId(dataset, year);
      resolveEra(CONTRACT, dataset, eraId);
      const out = resolve(ctx.io.cwd, opts.out);
      const result = await writeSample(
        CONTRACT,
        {
          dataset,
          programYear: year,
          rows: opts.rows,
          eraId,
          defectRate: opts.defects,
          seed: opts.seed,
          publicationDate: opts.publication ?? defaultPublicationDate(year),
          recipients: opts.recipients,
          manufacturers: opts.manufacturers,
          out,
          force: opts.force,
        },
        ctx.reporter,
        ctx.signal,
      );
      ctx.reporter.event({
        level: 'info',
        code: 'sample.written',
        message: `sample written to ${out}`,
        data: { rows: result.rows, bytes: result.bytes },
      });
      render(ctx, result, () => [
        `Wrote ${result.rows.toLocaleString('en-US')} rows (${(result.bytes / 1024 / 1024).toFixed(1)} MB) to ${result.out}`,
        ...result.entries.map((e) => {
          const hard = Object.values(e.expected.quarantined).reduce((a, b) => a + b, 0);
          const soft = Object.values(e.expected.flagged).reduce((a, b) => a + b, 0);
          return `  ${e.file}: ${e.rows} rows, era ${e.era}, ${hard} to quarantine, ${soft} to flag`;
        }),
        `Defect counts: ${result.sidecar}`,
      ]);
    });
}
