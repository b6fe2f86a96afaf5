import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { exportContract } from '../../app/contract-export.js';
import { OrchestratorError } from '../../domain/errors.js';
import type { CommandContext } from '../context.js';
import { render } from '../context.js';
import { parseOptions } from '../options.js';

const Options = z.object({ out: z.string().min(1).optional() });

export function registerContract(program: Command, context: () => Promise<CommandContext>): void {
  const contract = program
    .command('contract')
    .description('The dataset contract (layouts, curated schema, DQ rules).');
  contract
    .command('export')
    .description('Write the contract as versioned JSON (for Spark, Glue and dbt); to stdout without --out.')
    .option('--out <file>', 'file to write (replaced atomically if it exists)')
    .action(async (raw: unknown) => {
      const opts = parseOptions(Options, raw, 'contract export');
      const ctx = await context();
      const exported = exportContract();
      if (!opts.out) {
        ctx.io.stdout.write(exported.json);
        return;
      }
      const out = resolve(ctx.io.cwd, opts.out);
      const tmp = `${out}.tmp-${process.pid}`;
      try {
        await mkdir(dirname(out), { recursive: true });
        await writeFile(tmp, exported.json);
        await rename(tmp, out);
      } catch (e) {
        await rm(tmp, { force: true }).catch(() => undefined); // keep the original error
        throw new OrchestratorError('OUTPUT_NOT_WRITABLE', `Cannot write ${out}: ${(e as Error).message}.`, {
          cause: e,
          suggestion: 'Choose an --out path in a writable folder.',
        });
      }
      ctx.reporter.event({
        level: 'info',
        code: 'contract.exported',
        message: `contract v${exported.version} written`,
        data: { out },
      });
      render(ctx, { out, version: exported.version, datasets: exported.datasets }, () => [
        `Wrote contract v${exported.version} to ${out}`,
        ...exported.datasets.map(
          (d) =>
            `  ${d.id.padEnd(16)} ${d.curatedColumns} curated columns, ${d.rules} rules, eras: ${d.eras.join(', ')}`,
        ),
      ]);
    });
}
