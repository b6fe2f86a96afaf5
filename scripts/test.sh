#!/usr/bin/env bash
# `npm test`: every test tier, after the idempotent bootstrap. Ends with one summary line
# ("tests: N passed, N failed") that adds up vitest and pytest.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh || exit $?
# Local AWS endpoints (versitygw for S3, moto for Glue/STS) for the aws-target tests: built and
# cached outside the repo, so only a cold machine pays (minutes, mostly `go install`).
bash scripts/aws-local.sh install || exit $?
# Headless Chromium (Debian's package) for the HTML report's browser test.
bash scripts/chromium.sh install || exit $?
# Terraform (go install) and checkov (its own venv) for the infrastructure tier: cached the same way.
bash scripts/terraform-tools.sh install || exit $?

results="$root/test-results"
rm -rf "$results" && mkdir -p "$results"
status=0

echo "== lint (biome)"
npx --no-install biome ci --colors=off --error-on-warnings . || status=1

echo "== typecheck (tsc, tests included)"
npx --no-install tsc -p tsconfig.json || status=1

echo "== vitest (unit + cli)"
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json" || status=1

echo "== pytest (spark-jobs + python tests)"
.venv/bin/python -m pytest -q --junitxml="$results/pytest.xml" spark-jobs/tests tests/python
rc=$?
# 5 = no tests collected: that is a failure here, a tier must never silently vanish.
[ $rc -eq 0 ] || status=1

echo "== airflow (DAG policy + real dags test runs, metadata in a throwaway PostgreSQL)"
bash scripts/airflow.sh test --junitxml="$results/airflow.xml" || status=1

echo "== infrastructure (terraform fmt -check, validate where offline allows, checkov)"
bash scripts/terraform-tools.sh check || status=1

node scripts/test-summary.mjs "$results/vitest.json" "$results/pytest.xml" "$results/airflow.xml" || status=1
exit $status
