// `ingest` of a generated General CSV from the fake CMS server over loopback, at 250 MB and 1 GB.
// Baseline in the same run: `curl -o` + `sha256sum` of the same file from the same server.
// Reports the throughput ratio (baseline time / ingest time; goal ≥ 0.7) for the whole ingest and for
// its download phase alone, and the ingest's peak RSS at both sizes (goal ≤ 200 MB and flat). Each
// side is the median of 3 alternating rounds, each started after `sync`.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { appendResult, CLI, cachedSample, ROOT, timeNode } from './harness.mjs';

export const description =
  'orchestrator ingest (fake CMS over loopback) vs curl -o + sha256sum, at 250 MB and 1 GB';

const ROWS_PER_MB = 1765; // General 2021+ rows of the generator per MB of CSV

/** A cached General file of about `mb` MB. */
function generated(year, mb) {
  const rows = Math.round(mb * ROWS_PER_MB);
  return cachedSample(`general-${year}-${rows}.csv`, { year, rows, args: ['--seed', '1'] });
}

/** Rounds per size; the run reports the median of each side (this 2-core machine is noisy). */
const ROUNDS = 3;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Alternating rounds of baseline and ingest, each after `sync` (so neither pays for writing back the
 * other's gigabyte). Returns the medians, the ingest round with the median time, and the peak RSS.
 */
async function measure(server, file, work) {
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await measureOnce(server, file, work));
  const ingest = median(rounds.map((r) => r.ingestSeconds));
  const baseline = median(rounds.map((r) => r.baselineSeconds));
  const typical = rounds.find((r) => r.ingestSeconds === ingest);
  return {
    ...typical,
    baselineSeconds: baseline,
    ratio: Number((baseline / ingest).toFixed(2)),
    downloadRatio: Number((baseline / typical.downloadSeconds).toFixed(2)),
    peakRssMb: Math.max(...rounds.map((r) => r.peakRssMb)),
    ingestRounds: rounds.map((r) => r.ingestSeconds),
    baselineRounds: rounds.map((r) => r.baselineSeconds),
  };
}

async function measureOnce(server, file, work) {
  const url = server.downloadUrl(file);
  // Baseline: curl -o then sha256sum, timed together.
  const target = join(work, 'curl.out');
  // Asynchronous on purpose: the fake server runs in this process and must keep serving.
  const exec = promisify(execFile);
  await exec('sync');
  const t0 = process.hrtime.bigint();
  await exec('curl', ['-s', '-f', '-o', target, url]);
  const sha = (await exec('sha256sum', [target])).stdout.split(' ')[0];
  const baselineSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  rmSync(target, { force: true });

  const lake = join(work, `lake-${file.programYear}`);
  await exec('sync');
  const ingest = await timeNode(
    [
      CLI,
      '--lake',
      lake,
      '--log-level',
      'warn',
      'ingest',
      '--dataset',
      'general',
      '--year',
      String(file.programYear),
    ],
    {
      env: { ORCHESTRATOR_CMS__CATALOG_BASE_URL: server.url },
    },
  );
  const runs = join(lake, 'metadata', 'runs');
  const manifest = JSON.parse(readFileSync(join(runs, readdirSync(runs)[0], 'manifest.json'), 'utf8'));
  if (manifest.inputs[0].sha256 !== sha) throw new Error('ingest and sha256sum disagree on the file');
  const bytes = statSync(file.path).size;
  rmSync(lake, { recursive: true, force: true });
  return {
    mb: Math.round(bytes / 1024 / 1024),
    baselineSeconds: Number(baselineSeconds.toFixed(2)),
    ingestSeconds: Number(ingest.seconds.toFixed(2)),
    downloadSeconds: Number((manifest.timingsMs.download / 1000).toFixed(2)),
    timingsMs: manifest.timingsMs,
    ratio: Number((baselineSeconds / ingest.seconds).toFixed(2)),
    downloadRatio: Number((baselineSeconds / (manifest.timingsMs.download / 1000)).toFixed(2)),
    peakRssMb: Math.round(ingest.peakRssMb),
  };
}

export async function run() {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'bench/tsconfig.fake-cms.json')],
    { stdio: 'inherit' },
  );
  const { startFakeCms } = await import(
    join(ROOT, 'node_modules/.cache/bench-build/tests/fake-cms/server.js')
  );
  const small = {
    dataset: 'general',
    programYear: 2022,
    publicationDate: '2023-06-30',
    fileName: 'OP_DTL_GNRL_PGYR2022_P06302023.csv',
    path: generated(2022, 250),
  };
  const large = {
    dataset: 'general',
    programYear: 2023,
    publicationDate: '2024-06-30',
    fileName: 'OP_DTL_GNRL_PGYR2023_P06302024_06162024.csv',
    path: generated(2023, 1024),
  };
  const server = await startFakeCms({ files: [small, large] });
  const work = join(tmpdir(), `bench-ingest-${process.pid}`);
  mkdirSync(work, { recursive: true });
  try {
    const s = await measure(server, small, work);
    const l = await measure(server, large, work);
    const flat = l.peakRssMb <= 200 && s.peakRssMb <= 200 && l.peakRssMb - s.peakRssMb <= 30;
    const met = l.ratio >= 0.7 && flat;
    appendResult({
      bench: 'ingest-1g',
      machine: `${cpus().length} cpu, ${Math.round(totalmem() / 1024 ** 3)} GB`,
      measured: `ingest of ${l.mb} MB: median ${l.ingestSeconds} s of [${l.ingestRounds.join(', ')}] (download, audited and chunked as it arrives, ${l.downloadSeconds} s; land ${(l.timingsMs.land / 1000).toFixed(1)} s), peak RSS ${l.peakRssMb} MB; ${s.mb} MB: ${s.ingestSeconds} s, peak RSS ${s.peakRssMb} MB`,
      baseline: `curl -o + sha256sum: ${l.mb} MB median ${l.baselineSeconds} s of [${l.baselineRounds.join(', ')}]; ${s.mb} MB in ${s.baselineSeconds} s`,
      ratio: `whole ingest ${l.ratio}, download phase ${l.downloadRatio} (median baseline time / median ours; ${ROUNDS} alternating rounds)`,
      goal: 'ratio ≥ 0.7; peak RSS ≤ 200 MB, flat from 250 MB to 1 GB',
      verdict: met
        ? 'met'
        : `${l.ratio >= 0.7 ? 'ratio met' : 'ratio NOT met'}; ${flat ? 'RSS met' : 'RSS NOT met'}`,
    });
    return { small: s, large: l, goalMet: met };
  } finally {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}
