"""Open Payments transform: Spark transform of a program year, validation, then the dbt marts.

submit transform → validate → dbt build, on the configured target (EMR Serverless in production, local Spark on
a laptop). Started by the `open_payments/raw` asset event of the ingestion DAG (its year and dataset
come with the event), or run alone with the `year` and `dataset` params.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import op_common as op
from airflow.sdk import Asset, dag, task

RAW_UPLOADED = Asset(name="open_payments/raw", uri="openpayments://lake/raw")


@dag(
    dag_id="open_payments_transform",
    schedule=[RAW_UPLOADED],
    start_date=datetime(2024, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={**op.DEFAULT_ARGS, "execution_timeout": timedelta(hours=4), "on_failure_callback": op.on_failure},
    tags=["open-payments", "transform"],
    params={
        "year": op.year_param("Program year; empty: the year of the triggering asset event."),
        "dataset": op.dataset_param("One dataset, or all that were ingested."),
    },
    deadline=op.deadline(hours=8),
    doc_md=__doc__,
)
def open_payments_transform() -> None:
    @task
    def plan(params: dict[str, Any] | None = None, triggering_asset_events: Any = None) -> dict[str, Any]:
        """Which year and dataset: the params of a manual run, else the asset event's extra."""
        params = dict(params or {})
        events = list((triggering_asset_events or {}).get(RAW_UPLOADED, [])) if triggering_asset_events else []
        if params.get("year") is None and events:
            extra = events[-1].extra or {}
            params.update(year=extra.get("year"), dataset=extra.get("dataset", "all"))
        year = op.program_year(params, None)
        return {"year": year, "dataset": params.get("dataset") or "all"}

    @task
    def submit_transform(work: dict[str, Any]) -> dict[str, Any]:
        dataset = [] if work["dataset"] == "all" else ["--dataset", work["dataset"]]
        result = op.run_orchestrator("submit", "transform", "--year", str(work["year"]), *dataset)
        return {**work, "runId": result.get("runId"), "status": result.get("status")}

    @task
    def validate(work: dict[str, Any]) -> dict[str, Any]:
        dataset = [] if work["dataset"] == "all" else ["--dataset", work["dataset"]]
        result = op.run_orchestrator("validate", "--year", str(work["year"]), *dataset)
        return {**work, "validationRunId": result.get("runId"), "ok": result.get("ok")}

    @task
    def dbt_build(work: dict[str, Any]) -> dict[str, Any]:
        """The marts over everything published; skipped (and said why) while a source table is empty."""
        result = op.run_orchestrator("dbt", "build", "--when-ready")
        return {**work, "dbt": result.get("status"), "missing": result.get("missing", [])}

    dbt_build(validate(submit_transform(plan())))


open_payments_transform()
