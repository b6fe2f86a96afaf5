"""What the Open Payments DAGs share: calling the orchestrator CLI, retry policy, callbacks.

The DAGs never import the project's code: every task runs the same `orchestrator` command a person
would, so local runs, CI and scheduled runs share one code path. Nothing here does I/O at import time.

Environment (set on the workers):
  OP_ORCHESTRATOR        the command that runs the CLI (default `orchestrator`, as `npm install -g`
                         puts it on PATH; e.g. `node /opt/open-payments/orchestrator/dist/cli/main.js`)
  OP_TARGET              `local` or `aws` (default: the orchestrator's own config)
  OP_BACKFILL_START_YEAR first program year the yearly schedule catches up from (default 2018)
  ORCHESTRATOR_*         the orchestrator's settings (lake, bucket, …), passed through unchanged
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
from datetime import timedelta
from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException

log = logging.getLogger(__name__)

#: The program years CMS publishes (the orchestrator checks the same range).
FIRST_PROGRAM_YEAR = 2013
LAST_PROGRAM_YEAR = 2030

DATASETS = ["all", "general", "research", "ownership", "removed_deleted", "profiles"]

#: Exit codes of the orchestrator (README "Exit codes") that no retry can fix: bad command line,
#: config, input data, or a refusal to overwrite. Retrying those only delays the alert.
PERMANENT_EXIT_CODES = {2: "usage", 3: "config", 4: "input", 6: "conflict", 11: "cancelled"}

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "data-engineering",
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
}


def year_param(description: str) -> Any:
    """The `year` param of the DAGs: empty, or a program year CMS publishes."""
    from airflow.sdk import Param

    return Param(None, type=["null", "integer"], minimum=FIRST_PROGRAM_YEAR, maximum=LAST_PROGRAM_YEAR, description=description)


def dataset_param(description: str) -> Any:
    from airflow.sdk import Param

    return Param("all", enum=DATASETS, description=description)


def backfill_start_year() -> int:
    return int(os.environ.get("OP_BACKFILL_START_YEAR", "2018"))


class OrchestratorFailed(AirflowException):
    """A failed orchestrator command: its error code, message and hint, as the CLI printed them."""


def run_orchestrator(*args: str) -> dict[str, Any]:
    """Runs `orchestrator --json <args>`, streams its log lines into the task log, returns its JSON.

    A failure raises with the CLI's error code and hint; failures no retry can fix
    (PERMANENT_EXIT_CODES) raise AirflowFailException so the task fails at once.
    """
    command = shlex.split(os.environ.get("OP_ORCHESTRATOR", "orchestrator"))
    target = os.environ.get("OP_TARGET")
    argv = [*command, *(["--target", target] if target else []), "--json", "--log-level", "info", *args]
    log.info("running: %s", shlex.join(argv))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None and proc.stdout is not None
    for line in proc.stderr:  # the CLI's structured log, one JSON object per line, as it runs
        log.info("orchestrator: %s", line.rstrip())
    out = proc.stdout.read()
    code = proc.wait()
    try:
        result = json.loads(out) if out.strip() else {}
    except json.JSONDecodeError:
        result = {"error": {"code": "UNPARSEABLE_OUTPUT", "message": out[-2000:]}}
    if code != 0:
        error = result.get("error", {})
        message = (
            f"orchestrator {' '.join(args)} failed with exit {code} "
            f"[{error.get('code', 'UNKNOWN')}]: {error.get('message', '')}"
            f"{' — hint: ' + error['suggestion'] if error.get('suggestion') else ''}"
        )
        # LOCK_HELD (exit 6) is the one conflict that passes: another run of the year holds the lease.
        if code in PERMANENT_EXIT_CODES and error.get("code") != "LOCK_HELD":
            raise AirflowFailException(message)
        raise OrchestratorFailed(message)
    run_id = result.get("runId")
    if run_id:
        log.info("orchestrator run id: %s (summary: metadata/runs/run_id=%s/)", run_id, run_id)
    return result


def program_year(params: dict[str, Any], logical_date: Any) -> int:
    """The year a run works on: the `year` param, else the year before the run's logical date (CMS
    publishes program year Y at the end of June of Y+1; the yearly run fires in July)."""
    year = params.get("year")
    if year is None:
        if logical_date is None:
            raise AirflowFailException("No program year: pass the `year` param (manual runs have no logical date).")
        year = logical_date.year - 1
    year = int(year)
    if not FIRST_PROGRAM_YEAR <= year <= LAST_PROGRAM_YEAR:
        raise AirflowFailException(f"Program year {year} is outside {FIRST_PROGRAM_YEAR}-{LAST_PROGRAM_YEAR}.")
    return year


def on_failure(context: dict[str, Any]) -> None:
    """Points whoever is on call at the run summaries and the rerun command."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    log.error(
        "Open Payments task %s of %s failed: %s. Run summaries: <lake>/metadata/runs/ (the task log names "
        "the orchestrator run id); every step is idempotent, so clearing the task reruns only what is missing.",
        getattr(ti, "task_id", "?"),
        getattr(dag_run, "run_id", "?"),
        context.get("exception"),
    )


def deadline(hours: int) -> Any:
    """A deadline alert `hours` after the run was queued, calling deadline_missed.

    OP_AIRFLOW_DEADLINES=off leaves it out: `airflow dags test` in Airflow 3.3.2 ends a successful run
    of a DAG with a deadline in a crash (apache/airflow#73428, fix pending in #73430), so the run
    tests turn it off; the scheduler path is not affected.
    """
    if os.environ.get("OP_AIRFLOW_DEADLINES", "on") == "off":
        return None
    from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference, SyncCallback

    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(hours=hours),
        callback=SyncCallback(deadline_missed),
    )


def deadline_missed(**kwargs: Any) -> None:
    """Deadline callback: the yearly run is late (alerting hooks such as Slack or email go here)."""
    log.error("Open Payments DAG run missed its deadline: %s", kwargs)
