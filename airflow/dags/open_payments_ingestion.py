"""Open Payments ingestion: land a program year's files in the lake, then upload them to the target.

ingest → upload. The yearly schedule fires on July 1 (CMS publishes program year Y at the end of June
of Y+1) and catches up from OP_BACKFILL_START_YEAR, so a fresh deployment backfills every year; a
manual run takes `year` (and `dataset`, `source`) as params. A finished upload emits the
`open_payments/raw` asset event with the year and dataset, which starts `open_payments_transform`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import op_common as op
from airflow.sdk import Asset, Param, dag, task

RAW_UPLOADED = Asset(name="open_payments/raw", uri="openpayments://lake/raw")


@dag(
    dag_id="open_payments_ingestion",
    schedule="0 6 1 7 *",
    start_date=datetime(op.backfill_start_year() + 1, 7, 1, tzinfo=timezone.utc),
    catchup=True,
    max_active_runs=2,
    default_args={**op.DEFAULT_ARGS, "execution_timeout": timedelta(hours=3), "on_failure_callback": op.on_failure},
    tags=["open-payments", "ingestion"],
    params={
        "year": op.year_param("Program year; empty: the year before the run's logical date."),
        "dataset": op.dataset_param("One dataset, or all (the year archive)."),
        "source": Param("cms", type="string", minLength=1, description="cms, or a path/URL of a file already published."),
    },
    deadline=op.deadline(hours=6),
    doc_md=__doc__,
)
def open_payments_ingestion() -> None:
    @task
    def ingest(params: dict[str, Any] | None = None, logical_date: Any = None) -> dict[str, Any]:
        params = params or {}
        year = op.program_year(params, logical_date)
        result = op.run_orchestrator(
            "ingest", "--dataset", params["dataset"], "--year", str(year), "--source", params["source"]
        )
        return {"year": year, "dataset": params["dataset"], "runId": result.get("runId"), "status": result.get("status")}

    @task(outlets=[RAW_UPLOADED])
    def upload(ingested: dict[str, Any], outlet_events: Any = None) -> dict[str, Any]:
        result = op.run_orchestrator("upload", "--dataset", ingested["dataset"], "--year", str(ingested["year"]))
        # The transform DAG reads which year and dataset arrived from the event.
        outlet_events[RAW_UPLOADED].extra = {"year": ingested["year"], "dataset": ingested["dataset"]}
        return {**ingested, "upload": result.get("status")}

    upload(ingest())


open_payments_ingestion()
