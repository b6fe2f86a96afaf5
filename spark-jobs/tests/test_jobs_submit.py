"""The transform and run_sql jobs through a real `spark-submit`, on chunks landed by the real
`orchestrator ingest`, exactly as the orchestrator runs them (package zip + entry script, URIs).

One lake for the module: general (4,000 rows cut into 1 MB chunks), removed_deleted and profiles
are ingested once; the runs build on each other (removed_deleted, then general twice, then a run that
fails before commit, then the SQL job on the result)."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from job_submit import explain, stage_job, spark_submit

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "orchestrator" / "dist" / "cli" / "main.js"

YEAR = 2023
SEED = 31
GENERAL_ROWS = 4000
#: The samples' publication (removed_deleted and profiles files carry no publication date of their own).
PUBLICATION = "2024-06-30"


# --- lake set-up ---------------------------------------------------------------------------------


def uri(path: Path) -> str:
    """A file URI as Hadoop takes it: not percent-encoded (Path.as_uri() would turn '=' into %3D,
    which Hadoop reads literally)."""
    return f"file://{path}"


def ingest(lake: Path, dataset: str, source: Path) -> Dict[str, Any]:
    """Lands ``source`` with the real CLI (1 MB chunks) and returns the inputs.json the orchestrator
    would write for it, built from the ingest record and the run's audit."""
    env = dict(os.environ, ORCHESTRATOR_INGEST__CHUNK_MB="1")
    subprocess.run(
        ["node", str(CLI), "--lake", str(lake), "--log-level", "warn", "ingest",
         "--dataset", dataset, "--year", str(YEAR), "--source", str(source), "--publication", PUBLICATION],
        cwd=str(REPO), env=env, check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (record_path,) = lake.glob(f"metadata/ingest/open_payments/{dataset}/program_year={YEAR}/publication=*.json")
    record = json.loads(record_path.read_text())
    run_dir = lake / "metadata" / "runs" / f"run_id={record['runId']}"
    (audit,) = [a for a in json.loads((run_dir / "audits.json").read_text()) if a["sha256"] == record["sha256"]]
    (landed,) = json.loads((run_dir / "manifest.json").read_text())["files"]
    chunks, first = [], 1
    for c in audit["chunks"]:
        chunks.append({"uri": uri(lake / c["file"]), "firstRow": first, "records": c["records"], "bytes": c["bytes"]})
        first += c["records"]
    return {
        "dataset": dataset,
        "programYear": YEAR,
        "files": [
            {
                "rawKey": record["rawKey"],
                "publication": landed["publication"],
                "ingestRunId": record["runId"],
                "era": record["era"],
                "header": audit["header"],
                "records": record["records"],
                "chunks": chunks,
            }
        ],
        "_audit": audit,  # not part of the interface: what the tests compare with
    }


class Lake:
    def __init__(self, root: Path, contract_path: Path) -> None:
        self.root = root
        self.contract_uri = uri(contract_path)
        self.curated = root / "staging" / "curated"
        self.rejected = root / "staging" / "rejected" / "open_payments"
        self.artifacts = root / "artifacts"
        self.inputs: Dict[str, Dict[str, Any]] = {}
        self.samples: Dict[str, Tuple[Path, Dict[str, Any]]] = {}

    def inputs_uri(self, dataset: str, **changes: Any) -> str:
        inputs = {k: v for k, v in self.inputs[dataset].items() if not k.startswith("_")}
        inputs["files"] = [dict(inputs["files"][0], **changes)]
        path = self.root / "metadata" / f"inputs-{dataset}-{hashlib.sha1(repr(changes).encode()).hexdigest()[:8]}.json"
        path.write_text(json.dumps(inputs, indent=2))
        return uri(path)

    def transform(self, dataset: str, run_id: str, removed: bool = False, env: Optional[Dict[str, str]] = None,
                  inputs_uri: Optional[str] = None, extra: Tuple[str, ...] = ()) -> Tuple[subprocess.CompletedProcess, Path]:  # fmt: skip
        metrics = self.root / "metadata" / "runs" / f"run_id={run_id}" / f"metrics-{dataset}.json"
        args = [
            "--dataset", dataset, "--year", str(YEAR), "--run-id", run_id,
            "--inputs", inputs_uri or self.inputs_uri(dataset), "--contract", self.contract_uri,
            "--curated-root", uri(self.curated), "--rejected-root", uri(self.rejected),
            "--metrics", uri(metrics), "--target-file-mb", "1", *extra,
        ]  # fmt: skip
        if removed:
            args += ["--removed-root", uri(self.curated / "removed_deleted")]
        script = stage_job(self.artifacts, "transform.py")
        proc = spark_submit("--py-files", str(self.artifacts / "openpayments_jobs.zip"), str(script), *args, env=env, cwd=self.root)
        return proc, metrics


def output(proc: subprocess.CompletedProcess) -> str:
    # spark-submit relays the Python driver's stdout and stderr on its own stdout.
    return proc.stdout + proc.stderr


def snapshot(folder: Path) -> Dict[str, str]:
    """Every file under ``folder`` (relative path -> sha256)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def data_files(folder: Path) -> List[Path]:
    return sorted(folder.glob("part-*.parquet"))


@pytest.fixture(scope="module")
def lake(tmp_path_factory, make_sample, contract_path) -> Lake:
    lake = Lake(tmp_path_factory.mktemp("lake"), contract_path)
    lake.samples["general"] = make_sample("general", YEAR, GENERAL_ROWS, defects=0.1, seed=SEED)
    lake.samples["removed_deleted"] = make_sample("removed_deleted", YEAR, 300, seed=SEED)
    lake.samples["profiles"] = make_sample("profiles", YEAR, 600, defects=0.1, seed=SEED)
    for dataset, (path, _) in lake.samples.items():
        lake.inputs[dataset] = ingest(lake.root, dataset, path)
    assert len(lake.inputs["general"]["files"][0]["chunks"]) >= 2, "the general sample should land in several chunks"
    return lake


@pytest.fixture(scope="module")
def fake_2022(lake: Lake, spark) -> Dict[str, str]:
    """Another year's curated general partition, which no 2023 run may touch."""
    folder = lake.curated / "general" / "program_year=2022"
    spark.createDataFrame([("fake-2022",)], "record_id string").write.parquet(str(folder))
    return snapshot(folder)


@pytest.fixture(scope="module")
def removed_run(lake: Lake):
    proc, metrics = lake.transform("removed_deleted", "R0")
    assert proc.returncode == 0, explain(proc)
    return json.loads(metrics.read_text())


@pytest.fixture(scope="module")
def first_run(lake: Lake, fake_2022):
    proc, metrics = lake.transform("general", "R1")
    assert proc.returncode == 0, explain(proc)
    return json.loads(metrics.read_text()), snapshot(lake.curated / "general" / f"program_year={YEAR}")


@pytest.fixture(scope="module")
def second_run(lake: Lake, first_run, removed_run):
    proc, metrics = lake.transform("general", "R2", removed=True)
    assert proc.returncode == 0, explain(proc)
    return json.loads(metrics.read_text()), snapshot(lake.curated / "general" / f"program_year={YEAR}")


# --- transform -----------------------------------------------------------------------------------


def _assert_matches_sidecar(m: Dict[str, Any], sidecar: Dict[str, Any], with_amounts: bool = True) -> None:
    (entry,) = sidecar["entries"]
    assert {k: v for k, v in m["rejectedByReason"].items() if v} == entry["expected"]["quarantined"]
    assert {k: v for k, v in m["flagged"].items() if v} == entry["expected"]["flagged"]
    assert m["rowsIn"] == entry["rows"] == m["rowsOut"] + m["rowsRejected"] + m["removed"]
    if with_amounts:
        assert Decimal(m["amounts"]["curated"]) == Decimal(entry["amountCents"]["curated"]) / 100
        assert Decimal(m["amounts"]["rejected"]) == Decimal(entry["amountCents"]["quarantined"]) / 100


def test_metrics_of_a_multi_chunk_run(lake: Lake, first_run, contract) -> None:
    m, _ = first_run
    inputs = lake.inputs["general"]
    raw_key = inputs["files"][0]["rawKey"]
    assert (m["job"], m["dataset"], m["programYear"], m["runId"]) == ("transform", "general", YEAR, "R1")
    assert m["contractVersion"] == contract.contract_version
    assert m["rowsInByFile"] == {raw_key: GENERAL_ROWS}
    assert m["erasByFile"] == {raw_key: "general_91"}
    assert m["removed"] == 0
    _assert_matches_sidecar(m, lake.samples["general"][1])
    partition = lake.curated / "general" / f"program_year={YEAR}"
    assert m["outputs"] == {
        "curated": uri(partition),
        "rejected": uri(lake.rejected / "general" / f"program_year={YEAR}" / "run_id=R1"),
    }
    # --target-file-mb 1: about one file per MB of CSV read.
    csv_bytes = sum(c["bytes"] for c in inputs["files"][0]["chunks"])
    assert m["curatedFiles"] == len(data_files(partition)) == math.ceil(csv_bytes / (1024 * 1024)) >= 2


def test_curated_rows_carry_their_record_position_in_the_source_file(lake: Lake, first_run, spark) -> None:
    m, _ = first_run
    curated = spark.read.parquet(str(lake.curated / "general" / f"program_year={YEAR}"))
    rows = curated.select("_row_number", "record_id", "contextual_information", "_source_file", "_era").collect()
    assert len(rows) == m["rowsOut"]
    with open(lake.samples["general"][0], encoding="utf-8", newline="") as f:
        records = list(csv.reader(f))
    header = records[0]
    record_id, context = header.index("Record_ID"), header.index("Contextual_Information")
    for r in rows:
        assert r["record_id"] == records[r["_row_number"]][record_id]
        assert r["contextual_information"] == (records[r["_row_number"]][context] or None)
    first_chunk = lake.inputs["general"]["files"][0]["chunks"][0]["records"]
    assert max(r["_row_number"] for r in rows) > first_chunk, "rows of later chunks are numbered after the first"
    assert {(r["_source_file"], r["_era"]) for r in rows} == {(lake.inputs["general"]["files"][0]["rawKey"], "general_91")}


def test_rejected_rows_are_written_under_the_run(lake: Lake, first_run, spark) -> None:
    m, _ = first_run
    folder = lake.rejected / "general" / f"program_year={YEAR}" / "run_id=R1"
    rejected = spark.read.parquet(str(folder))
    assert rejected.count() == m["rowsRejected"]
    by_reason = {r[0]: r[1] for r in rejected.groupBy("_reject_reason").count().collect()}
    assert by_reason == {k: v for k, v in m["rejectedByReason"].items() if v}
    wrong = rejected.where("_reject_reason = 'WRONG_FIELD_COUNT'").select("_row_number", "_raw_record").collect()
    audit = lake.inputs["general"]["_audit"]["wrongFieldCount"]
    # The ingest audit counted the same records, at the same positions (it lists the first ones).
    assert len(wrong) == audit["records"]
    assert set(audit["examples"]) <= {r["_row_number"] for r in wrong}
    assert all(r["_raw_record"] for r in wrong)


def test_removed_deleted_job_matches_its_sidecar(lake: Lake, removed_run, spark) -> None:
    _assert_matches_sidecar(removed_run, lake.samples["removed_deleted"][1], with_amounts=False)
    curated = spark.read.parquet(str(lake.curated / "removed_deleted" / f"program_year={YEAR}"))
    assert curated.count() == removed_run["rowsOut"] > 0


def test_second_run_replaces_only_its_year_and_excludes_removed_records(lake: Lake, first_run, second_run, fake_2022, spark) -> None:
    first, first_files = first_run
    second, second_files = second_run
    assert second["removed"] > 0
    assert second["rowsOut"] + second["removed"] == first["rowsOut"]
    assert second["rejectedByReason"] == first["rejectedByReason"]
    assert Decimal(second["amounts"]["curated"]) + Decimal(second["amounts"]["removed"]) == Decimal(first["amounts"]["curated"])
    assert snapshot(lake.curated / "general" / "program_year=2022") == fake_2022
    assert set(second_files).isdisjoint(first_files), "the 2023 partition was rewritten, not appended to"
    table = spark.read.option("mergeSchema", "true").parquet(str(lake.curated / "general"))
    assert table.where(f"program_year = {YEAR}").count() == second["rowsOut"]
    assert table.where("program_year = 2022").count() == 1
    assert not list((lake.curated / "general").glob(".spark-staging*"))


def test_a_run_failing_before_commit_leaves_the_partition_as_it_was(lake: Lake, second_run) -> None:
    _, before = second_run
    proc, metrics = lake.transform("general", "R3", removed=True, env={"OP_TRANSFORM_INJECT_FAILURE": "before-commit"})
    assert proc.returncode == 1, explain(proc)
    assert "TRANSFORM_FAILED: " in output(proc)
    assert "injected failure before commit" in output(proc)
    assert snapshot(lake.curated / "general" / f"program_year={YEAR}") == before
    assert not list((lake.curated / "general").glob(".spark-staging*")), "the aborted job cleaned up"
    assert not metrics.exists()


def test_profiles_job_fills_the_program_year(lake: Lake, spark) -> None:
    proc, metrics_path = lake.transform("profiles", "R4")
    assert proc.returncode == 0, explain(proc)
    m = json.loads(metrics_path.read_text())
    _assert_matches_sidecar(m, lake.samples["profiles"][1], with_amounts=False)
    assert m["amounts"] == {"curated": "0.00", "rejected": "0.00", "removed": "0.00"}
    table = spark.read.parquet(str(lake.curated / "profiles"))
    assert {r[0]: r[1] for r in table.groupBy("program_year").count().collect()} == {YEAR: m["rowsOut"]}


def test_unusable_inputs_exit_3_with_a_one_line_reason(lake: Lake) -> None:
    proc, metrics = lake.transform("general", "R5", inputs_uri=lake.inputs_uri("general", era="general_75"))
    assert proc.returncode == 3, explain(proc)
    assert "TRANSFORM_INPUT: " in output(proc) and "general_91" in output(proc)
    assert not metrics.exists()


def test_bad_arguments_exit_2(lake: Lake) -> None:
    proc, _ = lake.transform("general", "R6", extra=("--target-file-mb", "zero"))
    assert proc.returncode == 2, explain(proc)


# --- run_sql -------------------------------------------------------------------------------------


def run_sql(lake: Lake, out: Path, metrics: Path, *params: str) -> subprocess.CompletedProcess:
    script = stage_job(lake.artifacts, "run_sql.py")
    args = ["--sql", "yearly_summary", "--year", str(YEAR), "--curated-root", uri(lake.curated),
            "--out", uri(out), "--metrics", uri(metrics)]  # fmt: skip
    for p in params:
        args += ["--param", p]
    return spark_submit("--py-files", str(lake.artifacts / "openpayments_jobs.zip"), str(script), *args, cwd=lake.root)


def test_yearly_summary_sql_job(lake: Lake, second_run, spark, tmp_path) -> None:
    out, metrics_path = lake.root / "staging" / "curated" / "yearly_summary", tmp_path / "metrics.json"
    other_year = out / "program_year=2022"
    spark.createDataFrame([("fake",)], "manufacturer_id string").write.parquet(str(other_year))
    kept = snapshot(other_year)

    proc = run_sql(lake, out, metrics_path)
    assert proc.returncode == 0, explain(proc)
    m = json.loads(metrics_path.read_text())
    summary = spark.read.parquet(str(out / f"program_year={YEAR}"))
    curated = spark.read.parquet(str(lake.curated / "general" / f"program_year={YEAR}"))
    groups = curated.groupBy(
        "applicable_manufacturer_or_applicable_gpo_making_payment_id", "nature_of_payment_or_transfer_of_value"
    ).count()
    assert (m["job"], m["sql"], m["programYear"]) == ("run_sql", "yearly_summary", YEAR)
    assert m["rowsOut"] == summary.count() == groups.count() > 0
    totals = summary.selectExpr("sum(payments)", "sum(total_amount_usd)").first()
    assert totals[0] == curated.count() == second_run[0]["rowsOut"]
    assert Decimal(totals[1]) == Decimal(second_run[0]["amounts"]["curated"])
    # One name per manufacturer id, even where CMS spelled it several ways.
    assert summary.groupBy("manufacturer_id", "nature_of_payment").count().where("count > 1").count() == 0
    # The median of a small group is one of its payments, between the smallest and the largest.
    row = summary.orderBy("payments").first()
    amounts = sorted(
        r[0] for r in curated.where(
            (curated["applicable_manufacturer_or_applicable_gpo_making_payment_id"] == row["manufacturer_id"])
            & (curated["nature_of_payment_or_transfer_of_value"] == row["nature_of_payment"])
        ).select("total_amount_of_payment_usdollars").collect()
    )  # fmt: skip
    assert row["median_amount_usd"] in amounts
    assert snapshot(other_year) == kept


def test_sql_parameters_are_checked(lake: Lake, tmp_path) -> None:
    unknown = run_sql(lake, tmp_path / "out", tmp_path / "m.json", "limit=10")
    assert unknown.returncode == 3, explain(unknown)
    assert "RUN_SQL_INPUT: " in output(unknown) and "limit" in output(unknown)
    injected = run_sql(lake, tmp_path / "out", tmp_path / "m.json", "year2=1; DROP TABLE x")
    assert injected.returncode == 2, explain(injected)
    assert not (tmp_path / "m.json").exists()

