"""Both DAGs really run (`airflow dags test`, Airflow's metadata in the PostgreSQL that
scripts/airflow.sh started) on the local target: a generated General file is ingested and uploaded,
then transformed by Spark and validated. The curated rows are read back with DuckDB and matched with
the run summaries the tasks named; a year that was never ingested fails at once, without retries."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import duckdb
import pytest
from conftest import CLI, ROOT

YEAR = 2023
ROWS = 1500


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("airflow-run")
    return {
        **os.environ,
        "OP_ORCHESTRATOR": f"node {CLI}",
        "ORCHESTRATOR_LAKE": str(work / "lake"),
        "ORCHESTRATOR_SPARK__MASTER": "local[2]",
        "ORCHESTRATOR_SPARK__SHUFFLE_PARTITIONS": "2",
        "OP_WORK": str(work),
        # apache/airflow#73428: `dags test` crashes after a successful run of a DAG with a deadline.
        "OP_AIRFLOW_DEADLINES": "off",
    }


@pytest.fixture(scope="module")
def migrated(env, airflow_bin) -> None:
    r = subprocess.run([airflow_bin, "db", "migrate"], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


def dags_test(airflow_bin: str, env: dict[str, str], dag_id: str, conf: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [airflow_bin, "dags", "test", dag_id, "--conf", json.dumps(conf)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )


def run_ids(output: str) -> list[str]:
    return re.findall(r"orchestrator run id: (\S+)", output)


def test_ingestion_then_transform_on_the_local_target(env, migrated, airflow_bin) -> None:
    lake = Path(env["ORCHESTRATOR_LAKE"])
    csv = Path(env["OP_WORK"]) / "OP_DTL_GNRL_PGYR2023_P06302024_06162024.csv"
    sample = subprocess.run(
        ["node", str(CLI), "--log-level", "silent", "sample", "--dataset", "general", "--year", str(YEAR),
         "--rows", str(ROWS), "--defects", "0.05", "--out", str(csv)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert sample.returncode == 0, sample.stderr

    ingestion = dags_test(airflow_bin, env, "open_payments_ingestion", {"year": YEAR, "dataset": "general", "source": str(csv)})
    output = ingestion.stdout + ingestion.stderr
    assert ingestion.returncode == 0, output[-5000:]
    assert re.search(r"ingest.*state=success|Marking task as SUCCESS.*ingest|task_id=ingest.*success", output, re.I | re.S)
    ingest_run = run_ids(output)[0]
    assert (lake / "metadata" / "runs" / f"run_id={ingest_run}").is_dir()
    raw = list((lake / "raw" / "open_payments" / "general" / f"program_year={YEAR}").rglob("*.csv"))
    assert [p.name for p in raw] == [csv.name]

    transform = dags_test(airflow_bin, env, "open_payments_transform", {"year": YEAR, "dataset": "general"})
    output = transform.stdout + transform.stderr
    assert transform.returncode == 0, output[-5000:]
    submit_run, validation_run = run_ids(output)[:2]

    manifest = json.loads((lake / "metadata" / "runs" / f"run_id={submit_run}" / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    metrics = manifest["tables"][0]["metrics"]
    assert metrics["rowsIn"] == ROWS
    curated = lake / "curated" / "open_payments" / "general" / f"program_year={YEAR}" / "*.parquet"
    rows = duckdb.sql(f"SELECT count(*) FROM read_parquet('{curated}')").fetchone()[0]
    assert rows == metrics["rowsOut"]
    assert rows + metrics["rowsRejected"] + metrics["removed"] == ROWS

    validation = json.loads((lake / "metadata" / "runs" / f"run_id={validation_run}" / "validation.json").read_text())
    assert validation["ok"] is True
    assert {c["check"] for c in validation["checks"]} >= {"raw.sha256", "curated.reconciled", "curated.amount"}
    # Only General was loaded: the dbt task skips (profiles and the others have no data) and says why.
    assert "dbt build skipped" in output
    assert "profiles" in output


def test_a_year_never_ingested_fails_at_once_with_the_cli_error(env, migrated, airflow_bin) -> None:
    r = dags_test(airflow_bin, env, "open_payments_transform", {"year": 2016, "dataset": "general"})
    output = r.stdout + r.stderr
    assert "[NOT_INGESTED]" in output
    assert "orchestrator ingest --dataset general --year 2016" in output
    # AirflowFailException: no retry was scheduled for an error no retry can fix.
    assert "up_for_retry" not in output.lower()
    assert "submit_transform" in output


def test_a_two_year_backfill_through_airflow_then_a_rerun_changes_nothing(env, migrated, airflow_bin, tmp_path) -> None:
    """The yearly schedule's runs of July 2022 and July 2023 load program years 2021 and 2022 from a
    folder of CMS archives; the transform DAG publishes both. Running it all again publishes nothing."""
    env = {**env, "ORCHESTRATOR_LAKE": str(tmp_path / "lake")}
    lake = Path(env["ORCHESTRATOR_LAKE"])
    archives = tmp_path / "archives"
    for year in (2021, 2022):
        out = archives / f"PGYR{year}_P0630{year + 1}.zip"
        archives.mkdir(exist_ok=True)
        r = subprocess.run(
            ["node", str(CLI), "--log-level", "silent", "sample", "--dataset", "general", "--year", str(year),
             "--rows", "300", "--out", str(out)],
            capture_output=True, text=True, cwd=ROOT,
        )
        assert r.returncode == 0, r.stderr

    def curated() -> dict[str, int]:
        root = lake / "curated" / "open_payments" / "general"
        return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*.parquet")}

    def run_years() -> list[str]:
        statuses = []
        for logical_date, year in (("2022-07-01", 2021), ("2023-07-01", 2022)):
            ingestion = subprocess.run(
                [airflow_bin, "dags", "test", "open_payments_ingestion", logical_date, "--conf",
                 json.dumps({"dataset": "general", "source": str(archives)})],
                env=env, capture_output=True, text=True, timeout=1200,
            )
            assert ingestion.returncode == 0, (ingestion.stdout + ingestion.stderr)[-5000:]
            transform = dags_test(airflow_bin, env, "open_payments_transform", {"year": year, "dataset": "general"})
            output = transform.stdout + transform.stderr
            assert transform.returncode == 0, output[-5000:]
            manifest = json.loads((lake / "metadata" / "runs" / f"run_id={run_ids(output)[0]}" / "manifest.json").read_text())
            assert manifest["programYear"] == year
            statuses.append(manifest["status"])
        return statuses

    assert run_years() == ["succeeded", "succeeded"]
    first = curated()
    assert sorted({k.split("/")[0] for k in first}) == ["program_year=2021", "program_year=2022"]
    assert run_years() == ["unchanged", "unchanged"]
    assert curated() == first
