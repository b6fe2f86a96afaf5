import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { renderReport } from '../../app/report.js';
import { listRuns } from '../../app/runs.js';
import { OrchestratorError } from '../../domain/errors.js';
import { objectStore } from '../../wiring.js';
import type { CommandContext } from '../context.js';
import { render } from '../context.js';
import { parseOptions } from '../options.js';

const Options = z.object({
  out: z.string().min(1).default('report.html'),
  force: z.boolean().default(false),
});

export function registerReport(program: Command, context: () => Promise<CommandContext>): void {
  program
    .command('report')
    .description(
      'Write one self-contained HTML file: run history, rows per year and reason, durations, cost, charts.',
    )
    .option('--out <file>', 'where to write it', 'report.html')
    .option('--force', 'replace an existing file')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(Options, raw, 'report');
      const ctx = await context();
      const out = resolve(ctx.io.cwd, opts.out);
      if (existsSync(out) && !opts.force) {
        throw new OrchestratorError('OUTPUT_EXISTS', `${out} exists.`, {
          suggestion: 'Pass --force to replace it, or another --out.',
        });
      }
      const store = objectStore(ctx);
      const runs = await listRuns(store);
      await writeFile(
        out,
        renderReport({ generatedAt: new Date().toISOString(), lake: store.location, runs }),
      );
      render(ctx, { out, runs: runs.length }, () => [`Report of ${runs.length} runs written to ${out}`]);
    });
}
