import type { Command } from 'commander';
import { z } from 'zod';
import { upload } from '../../app/upload.js';
import { DATASET_IDS } from '../../domain/contract/types.js';
import { newRunId } from '../../domain/run-id.js';
import { landingStore, objectStore, withWriterLocks } from '../../wiring.js';
import type { CommandContext } from '../context.js';
import { render } from '../context.js';
import { checkDataset, checkYear, parseOptions } from '../options.js';

const Options = z.object({ dataset: z.enum([...DATASET_IDS, 'all']).default('all'), year: z.string() });

export function registerUpload(program: Command, context: () => Promise<CommandContext>): void {
  program
    .command('upload')
    .description(
      'Move what ingest landed (raw, staging, manifests) into the target lake; objects already there with the same bytes are skipped.',
    )
    .requiredOption('--year <YYYY>', 'program year')
    .option('--dataset <name>', `one of ${DATASET_IDS.join(', ')}, or all`, 'all')
    .action(async (raw: Record<string, unknown>) => {
      checkDataset(raw['dataset'], [...DATASET_IDS, 'all']);
      const year = checkYear(raw['year']);
      const opts = parseOptions(Options, raw, 'upload');
      const ctx = await context();
      const lock = { year, tables: [opts.dataset], runId: newRunId(), command: 'upload' };
      const result = await withWriterLocks(ctx, lock, () =>
        upload(
          { year, dataset: opts.dataset },
          { from: landingStore(ctx), to: objectStore(ctx), reporter: ctx.reporter, signal: ctx.signal },
        ),
      );
      render(ctx, result, () =>
        result.status === 'nothing-to-move'
          ? [`Nothing to move: on the local target, ingest lands directly in the lake (${result.to}).`]
          : [
              `Uploaded ${result.uploaded.length} object(s) (${result.bytes} bytes) to ${result.to}; ${result.skipped.length} already there.`,
            ],
      );
    });
}
