// `npm run bench -- <name> [--rows N]`: runs bench/<name>.mjs (measured + baseline in one run) and
// appends a dated row to bench/RESULTS.md.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.mjs';

const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(join(ROOT, 'bench'))
  .filter((f) => f.endsWith('.mjs') && !['run.mjs', 'harness.mjs', 'rss-preload.mjs'].includes(f))
  .map((f) => f.replace(/\.mjs$/, ''));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name> [--rows N]\navailable: ${available.join(', ')}`);
  process.exit(2);
}
const opts = {};
for (let i = 0; i < rest.length; i += 2) if (rest[i] === '--rows') opts.rows = Number(rest[i + 1]);
const bench = await import(join(ROOT, 'bench', `${name}.mjs`));
console.error(`bench ${name}: ${bench.description}`);
const result = await bench.run(opts);
console.log(JSON.stringify(result, null, 2));
console.error('appended to bench/RESULTS.md');
