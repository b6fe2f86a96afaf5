import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { writeFileAtomic } from '../../adapters/local/files.js';
import { exportContract } from '../../app/contract-export.js';
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
      await writeFileAtomic(out, exported.json);
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
