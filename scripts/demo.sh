#!/usr/bin/env bash
# `npm run demo`: the pipeline as far as it exists, on the embedded local target, with generated data
# for one program year. Everything it writes goes under .demo/ (override with DEMO_DIR).
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

step "1/5 doctor: is this machine ready for the local target?"
"${orchestrator[@]}" doctor

step "2/5 sample: a CMS-style archive for program year $year ($rows General rows, 1% defects)"
archive="$demo/PGYR${year}_P0630$((year + 1)).zip"
"${orchestrator[@]}" --log-level warn sample --dataset general --year "$year" --rows "$rows" --defects 0.01 --seed "$year" --out "$archive"

step "3/5 ingest: land the archive in the lake (audit, raw zone write-once, staging chunks)"
"${orchestrator[@]}" --log-level warn ingest --dataset all --year "$year" --source "$archive"

step "4/5 contract: export the dataset contract for Spark"
"${orchestrator[@]}" --log-level warn contract export --out "$demo/contract.json"

step "5/5 spark-submit (local): read the landed General file as Spark will, through the contract"
general="$(ls "$lake"/raw/open_payments/general/program_year="$year"/publication=*/OP_DTL_GNRL_*.csv)"
(cd spark-jobs && ../.venv/bin/python -m zipfile -c "$demo/jobs.zip" openpayments_jobs >/dev/null)
PATH="$root/.venv/bin:$PATH" PYSPARK_PYTHON="$root/.venv/bin/python" \
  .venv/bin/spark-submit --master 'local[*]' --conf spark.ui.enabled=false --py-files "$demo/jobs.zip" \
  spark-jobs/openpayments_jobs/jobs/profile_raw.py \
  --contract "$demo/contract.json" --dataset general --input "$general" --out "$demo/profile.json" 2>"$demo/spark.log" >/dev/null

node --input-type=module - "$archive.sidecar.json" "$demo/profile.json" <<'JS'
import { readFileSync } from 'node:fs';
const [sidecarPath, profilePath] = process.argv.slice(2);
const sidecar = JSON.parse(readFileSync(sidecarPath, 'utf8'));
const profile = JSON.parse(readFileSync(profilePath, 'utf8'));
const general = sidecar.entries.find((e) => e.dataset === 'general');
const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
console.log(`Spark read ${profile.records} records (era ${profile.era}); the generator wrote ${general.rows}.`);
console.log(`Rows the transform must quarantine: ${sum(general.expected.quarantined)}; flag: ${sum(general.expected.flagged)}; clean: ${general.expected.clean}.`);
if (profile.records !== general.rows) {
  console.error('MISMATCH: Spark and the generator disagree on the number of records');
  process.exit(10);
}
JS

cat <<TXT

Done. What the demo produced:
  $archive                  CMS-style year archive (general, research, ownership, removed/deleted, README)
  $archive.sidecar.json     exact counts of every injected defect
  $demo/contract.json       the dataset contract (versioned JSON for Spark, Glue, dbt)
  $demo/profile.json        what Spark read from the General file
  $lake/raw/…               original bytes of each file of the year, write-once
  $lake/staging/…           gzip chunks of whole records, ready for Spark
  $lake/metadata/runs/…     the ingest run's manifest and audits
Next stages (transform, catalog, validate, dbt) arrive with the open issues.
TXT
