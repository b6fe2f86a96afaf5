import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { IngestSource } from '../../app/ingest/ingest.js';
import { DATASET_IDS } from '../../domain/contract/types.js';
import { OrchestratorError } from '../../domain/errors.js';

import { ingestUseCase, withWriterLocks } from '../../wiring.js';
import type { CommandContext } from '../context.js';
import { newRun, render } from '../context.js';
import { checkDataset, checkYear, parseOptions } from '../options.js';

const Options = z.object({
  dataset: z.enum([...DATASET_IDS, 'all']),
  year: z.string(),
  source: z.string().min(1).default('cms'),
  publication: z.iso.date('publication must be YYYY-MM-DD').optional(),
  chunkMb: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'chunk-mb must be a positive number')
    .transform(Number)
    .pipe(z.number().positive())
    .optional(),
  force: z.boolean().default(false),
});

/** `cms`, an http(s) URL, or a local path. */
export const isDirectory = (path: string) => existsSync(path) && statSync(path).isDirectory();

/**
 * The source of one program year: `cms`, a URL or a file as given; in a folder, the year's CMS archive
 * (`PGYR2023_P06302024.zip`, or the two-digit `PGYR23_…` of the early years; the newest publication
 * when several are there).
 */
export function sourceForYear(source: string, year: number): string {
  if (source === 'cms' || /^https?:\/\//i.test(source) || !isDirectory(source)) return source;
  const names = new RegExp(`^PGYR(${year}|${String(year).slice(2)})_.*\\.zip$`, 'i');
  const found = readdirSync(source)
    .filter((f) => names.test(f))
    .sort();
  if (found.length === 0) {
    throw new OrchestratorError('INVALID_OPTION', `No archive of program year ${year} in ${source}.`, {
      suggestion: `Put its CMS archive (PGYR${year}_P…zip) there, or leave the year out of --years.`,
      data: { year, folder: source },
    });
  }
  return join(source, found.at(-1)!);
}

export function parseSource(source: string): IngestSource {
  if (source === 'cms') return { kind: 'cms' };
  if (/^https?:\/\//i.test(source)) return { kind: 'url', url: source };
  return { kind: 'path', path: source };
}

export function registerIngest(program: Command, context: () => Promise<CommandContext>): void {
  program
    .command('ingest')
    .description(
      'Land a program year: discover or take the file, download (resumable), audit, write raw (write-once) and staging chunks.',
    )
    .option(
      '--dataset <name>',
      `one of ${DATASET_IDS.join(', ')}, or all (default: the whole-year archive from CMS; for a file, the dataset its name or header says)`,
      'all',
    )
    .requiredOption('--year <YYYY>', 'program year')
    .option(
      '--source <cms|PATH|URL|DIR>',
      'where the file comes from: the CMS catalog (default), a local CSV/zip, a URL, or a folder holding the PGYR<year> archive',
      'cms',
    )
    .option(
      '--publication <YYYY-MM-DD>',
      'CMS publication date, when neither the file name nor the file says it',
    )
    .option('--chunk-mb <n>', 'uncompressed size of a staging chunk in MB (default: ingest.chunkMb, 128)')
    .option('--force', 'ingest again even when this publication was already ingested')
    .action(async (raw: Record<string, unknown>) => {
      checkDataset(raw['dataset'], [...DATASET_IDS, 'all']);
      const year = checkYear(raw['year']);
      const opts = parseOptions(Options, raw, 'ingest');
      const ctx = await context();
      const runId = newRun(ctx);
      const chunkBytes = Math.round((opts.chunkMb ?? ctx.config.ingest.chunkMb) * 1024 * 1024);
      ctx.reporter.event({
        level: 'info',
        code: 'run.started',
        message: `ingest run ${runId}`,
        data: { runId, dataset: opts.dataset, year },
      });
      const lock = { year, tables: [opts.dataset], runId, command: 'ingest' };
      const result = await withWriterLocks(ctx, lock, () =>
        ingestUseCase(ctx, runId).run({
          dataset: opts.dataset,
          year,
          source: parseSource(sourceForYear(opts.source, year)),
          publication: opts.publication,
          force: opts.force,
          chunkBytes,
        }),
      );
      render(ctx, result, () => [
        result.status === 'unchanged'
          ? `Nothing to do: program year ${year} (${opts.dataset}) is already ingested from this publication (run ${result.runId}; --force redoes it).`
          : `Ingested program year ${year} (${opts.dataset}) in run ${result.runId}:`,
        ...result.files.map(
          (f) =>
            `  ${f.dataset.padEnd(15)} ${String(f.records).padStart(10)} records  publication ${f.publication}  ${f.status === 'unchanged' ? `unchanged (run ${f.landedBy})` : `${f.stagingKeys.length} chunk(s)`}\n    raw: ${f.rawKey}`,
        ),
        `Manifest: ${result.manifestKey}`,
      ]);
    });
}
