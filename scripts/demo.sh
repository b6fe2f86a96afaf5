#!/usr/bin/env bash
# `npm run demo`: the pipeline on the embedded local target, with generated data for one program year.
# Everything it writes goes under .demo/ (override with DEMO_DIR).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh

demo="${DEMO_DIR:-$root/.demo}"
year="${DEMO_YEAR:-2023}"
rows="${DEMO_ROWS:-50000}"
lake="$demo/lake"
orchestrator=(node "$root/orchestrator/dist/cli/main.js" --lake "$lake")
step() { printf '\n== %s\n' "$*"; }

rm -rf "$demo" && mkdir -p "$demo"

step "1/7 doctor: is this machine ready for the local target?"
"${orchestrator[@]}" doctor

step "2/7 sample: a CMS-style archive for program year $year ($rows General rows, 1% defects) and the recipient profiles"
archive="$demo/PGYR${year}_P0630$((year + 1)).zip"
"${orchestrator[@]}" --log-level warn sample --dataset general --year "$year" --rows "$rows" --defects 0.01 --seed "$year" --out "$archive"
# The same seed and recipient pool as the payments: the profiles describe the same people.
profiles="$demo/OP_CVRD_RCPNT_PRFL_SPLMTL_P0630$((year + 1)).csv"
"${orchestrator[@]}" --log-level warn sample --dataset profiles --year "$year" --rows 3000 --seed "$year" --out "$profiles"
"${orchestrator[@]}" --log-level warn ingest --dataset profiles --year "$year" --source "$profiles" --publication "$((year + 1))-06-30"

step "3/7 pipeline: ingest → upload → Spark transform (local) → publish → register in the DuckDB catalog → validate → dbt build"
"${orchestrator[@]}" --log-level warn pipeline --year "$year" --source "$archive"

step "4/7 rerun: every step sees its inputs unchanged and does nothing"
"${orchestrator[@]}" --log-level warn pipeline --year "$year" --source "$archive"

step "5/7 Spark SQL job: payments by manufacturer × nature of payment"
"${orchestrator[@]}" --log-level warn submit yearly_summary --year "$year"

step "check: curated and quarantined rows against the generator's sidecar, through the catalog"
node --input-type=module - "$archive.sidecar.json" "$lake" "$year" <<'JS'
import { DuckDBInstance } from '@duckdb/node-api';
const [sidecarPath, lake, year] = process.argv.slice(2);
const { readFileSync } = await import('node:fs');
const sidecar = JSON.parse(readFileSync(sidecarPath, 'utf8'));
const general = sidecar.entries.find((e) => e.dataset === 'general');
const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
const db = await DuckDBInstance.create(`${lake}/metadata/catalog/lake.duckdb`, { access_mode: 'READ_ONLY' });
const c = await db.connect();
const one = async (q) => (await c.runAndReadAll(q)).getRowObjectsJS()[0];
const metrics = JSON.parse(readFileSync(`${lake}/metadata/transform/open_payments/general/program_year=${year}.json`, 'utf8')).metrics;
const { n } = await one(`SELECT count(*)::INT AS n FROM open_payments.general WHERE program_year = ${year}`);
console.log(`General ${year}: ${general.rows} rows generated; ${n} curated, ${metrics.rowsRejected} quarantined (the sidecar says ${sum(general.expected.quarantined)}), ${metrics.removed} removed by the removed/deleted file.`);
const top = (await c.runAndReadAll(
  `SELECT nature_of_payment_or_transfer_of_value AS nature, count(*)::INT AS payments, round(sum(total_amount_of_payment_usdollars), 2)::VARCHAR AS total
   FROM open_payments.general WHERE program_year = ${year} GROUP BY 1 ORDER BY sum(total_amount_of_payment_usdollars) DESC LIMIT 3`,
)).getRowObjectsJS();
console.table(top);
c.closeSync();
db.closeSync();
if (metrics.rowsRejected !== sum(general.expected.quarantined) || n + metrics.rowsRejected + metrics.removed !== general.rows) {
  console.error('MISMATCH: the transform and the generator disagree');
  process.exit(10);
}
JS

step "6/7 the dbt marts (analytics.duckdb): payments by type, and the companies paying the most"
node --input-type=module - "$lake" "$year" <<'JS'
import { DuckDBInstance } from '@duckdb/node-api';
const [lake, year] = process.argv.slice(2);
const db = await DuckDBInstance.create(`${lake}/metadata/catalog/analytics.duckdb`, { access_mode: 'READ_ONLY' });
const c = await db.connect();
const rows = async (q) => (await c.runAndReadAll(q)).getRowObjectsJS();
console.table(await rows(`SELECT payment_type, count(*)::INT AS payments, sum(amount_usd)::VARCHAR AS total_usd FROM fct_payments GROUP BY 1 ORDER BY 1`));
console.table(await rows(`SELECT company_name, sum(payment_count)::INT AS payments, sum(total_amount_usd)::VARCHAR AS total_usd
  FROM payments_by_year_company_nature WHERE program_year = ${year} GROUP BY 1 ORDER BY sum(total_amount_usd) DESC LIMIT 3`));
const [dims] = await rows(`SELECT (SELECT count(*) FROM dim_recipients)::INT AS recipients, (SELECT count(*) FROM dim_companies)::INT AS companies`);
console.log(`dim_recipients: ${dims.recipients} recipients; dim_companies: ${dims.companies} companies`);
c.closeSync();
db.closeSync();
JS

step "7/7 run history and the HTML report"
"${orchestrator[@]}" runs list --limit 8
"${orchestrator[@]}" report --out "$demo/report.html"

cat <<TXT

Done. What the demo produced:
  $archive                  CMS-style year archive (general, research, ownership, removed/deleted, README)
  $archive.sidecar.json     exact counts of every injected defect
  $lake/raw/…               original bytes of each file of the year, write-once
  $lake/staging/…           gzip chunks of whole records; rejected rows under staging/rejected/
  $lake/curated/…           typed Parquet per dataset and program year (and the yearly_summary table)
  $lake/metadata/catalog/lake.duckdb   DuckDB catalog: open_payments.<dataset> views, _partitions
  $lake/metadata/runs/…     manifests, inputs, metrics, validation, events and summary of every run
  $lake/metadata/catalog/analytics.duckdb   the dbt marts: fct_payments, dim_recipients, dim_companies, payments_by_year_company_nature
  $demo/report.html         the run report (open it in a browser)
TXT
