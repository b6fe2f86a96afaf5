// `sample` of 1M General rows: rows/s, MB/s and peak RSS (goal ≤ 150 MB: the generator must stream).
// Baseline in the same run: a plain Node stream copy of the very file the sample wrote, i.e. the
// disk and stream floor any CSV writer pays; the ratio says how much generating costs on top of it.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { appendResult, CLI, timeNode } from './harness.mjs';

export const description =
  'orchestrator sample --dataset general --rows 1000000 vs a stream copy of its output';

export async function run({ rows = 1_000_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sample-'));
  try {
    const out = join(dir, 'general.csv');
    const sample = await timeNode([
      CLI,
      '--log-level',
      'warn',
      'sample',
      '--dataset',
      'general',
      '--year',
      '2023',
      '--rows',
      String(rows),
      '--defects',
      '0.01',
      '--seed',
      '1',
      '--out',
      out,
    ]);
    const bytes = statSync(out).size;
    const copyScript = `import{createReadStream,createWriteStream}from'node:fs';import{pipeline}from'node:stream/promises';await pipeline(createReadStream(${JSON.stringify(out)}),createWriteStream(${JSON.stringify(join(dir, 'copy.csv'))}));`;
    const copy = await timeNode(['--input-type=module', '-e', copyScript]);
    const mb = bytes / 1024 / 1024;
    const result = {
      rows,
      mb: Number(mb.toFixed(1)),
      seconds: Number(sample.seconds.toFixed(2)),
      rowsPerSecond: Math.round(rows / sample.seconds),
      mbPerSecond: Number((mb / sample.seconds).toFixed(1)),
      peakRssMb: Math.round(sample.peakRssMb),
      baselineSeconds: Number(copy.seconds.toFixed(2)),
      baselineMbPerSecond: Number((mb / copy.seconds).toFixed(1)),
      baselinePeakRssMb: Math.round(copy.peakRssMb),
      ratio: Number((sample.seconds / copy.seconds).toFixed(1)),
    };
    const ok = result.peakRssMb <= 150;
    appendResult({
      bench: 'sample-1m',
      machine: `${cpus().length} cpu, ${Math.round(totalmem() / 1024 ** 3)} GB`,
      measured: `${rows.toLocaleString('en-US')} rows, ${result.mb} MB in ${result.seconds} s: ${result.rowsPerSecond.toLocaleString('en-US')} rows/s, ${result.mbPerSecond} MB/s, peak RSS ${result.peakRssMb} MB`,
      baseline: `stream copy of the same file: ${result.baselineSeconds} s, ${result.baselineMbPerSecond} MB/s, peak RSS ${result.baselinePeakRssMb} MB`,
      ratio: `${result.ratio}× the copy's time`,
      goal: 'peak RSS ≤ 150 MB',
      verdict: ok ? 'met' : 'NOT met',
    });
    return { ...result, goalMet: ok };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
