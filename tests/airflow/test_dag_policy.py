"""Import and policy checks of the DAGs: they load without errors, and every task follows the house
rules (tags, retries with backoff, timeouts, failure callbacks, deadlines, validated params, no I/O
when the file is parsed). Plus the CLI wrapper's handling of the orchestrator's exit codes."""

from __future__ import annotations

import builtins
import importlib.util
import socket
import stat
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import DAGS

DAG_IDS = {"open_payments_ingestion", "open_payments_transform"}


def test_dags_import_without_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert DAG_IDS <= set(dagbag.dags)


@pytest.mark.parametrize("dag_id", sorted(DAG_IDS))
def test_every_task_retries_with_backoff_has_a_timeout_and_a_failure_callback(dagbag, dag_id: str) -> None:
    dag = dagbag.dags[dag_id]
    assert "open-payments" in dag.tags
    assert dag.deadline is not None
    for t in dag.tasks:
        assert t.retries >= 2, t.task_id
        assert t.retry_exponential_backoff, t.task_id
        assert t.max_retry_delay is not None and t.max_retry_delay <= timedelta(hours=1), t.task_id
        assert t.execution_timeout is not None, t.task_id
        assert t.on_failure_callback, t.task_id


@pytest.mark.parametrize("dag_id", sorted(DAG_IDS))
def test_params_refuse_an_impossible_year_and_an_unknown_dataset(dagbag, dag_id: str) -> None:
    from airflow.sdk.definitions.param import ParamValidationError

    params = dagbag.dags[dag_id].params
    assert params.get_param("year").resolve(2023) == 2023
    for bad in (1999, 2101, "2023x"):
        with pytest.raises(ParamValidationError):
            params.get_param("year").resolve(bad)
    with pytest.raises(ParamValidationError):
        params.get_param("dataset").resolve("payments")


def test_ingestion_runs_yearly_in_july_and_catches_up_from_the_configured_year(dagbag) -> None:
    dag = dagbag.dags["open_payments_ingestion"]
    assert dag.catchup is True
    assert dag.start_date == datetime(2019, 7, 1, tzinfo=timezone.utc)  # OP_BACKFILL_START_YEAR 2018 + 1
    assert dag.timetable.expression == "0 6 1 7 *"
    assert [t.task_id for t in dag.topological_sort()] == ["ingest", "upload"]


def test_transform_is_started_by_the_upload_asset_and_ends_with_validation_and_dbt(dagbag) -> None:
    dag = dagbag.dags["open_payments_transform"]
    upload = dagbag.dags["open_payments_ingestion"].get_task("upload")
    assert [o.name for o in upload.outlets] == ["open_payments/raw"]
    assert "open_payments/raw" in repr(dag.timetable.asset_condition)
    assert [t.task_id for t in dag.topological_sort()] == ["plan", "submit_transform", "validate", "dbt_build"]


@pytest.mark.parametrize("path", sorted(p for p in DAGS.glob("*.py")))
def test_parsing_a_dag_file_does_no_io(path: Path, monkeypatch) -> None:
    """The scheduler parses DAG files every few seconds: no processes, network or file writes then."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"{path.name} does I/O at import time: {args[:2]}")

    real_open = builtins.open

    def guarded_open(file, mode="r", *args, **kwargs):
        if any(m in mode for m in "wax+"):
            refuse(file, mode)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(builtins, "open", guarded_open)
    spec = importlib.util.spec_from_file_location(f"parse_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


def fake_cli(tmp_path: Path, exit_code: int, stdout: str) -> str:
    script = tmp_path / "fake-orchestrator"
    script.write_text(f"#!/bin/sh\necho '{{\"level\":\"info\",\"msg\":\"working\"}}' >&2\necho '{stdout}'\nexit {exit_code}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_the_cli_wrapper_returns_the_json_and_fails_fast_on_errors_no_retry_can_fix(tmp_path, monkeypatch) -> None:
    import op_common as op
    from airflow.sdk.exceptions import AirflowFailException

    monkeypatch.setenv("OP_ORCHESTRATOR", fake_cli(tmp_path, 0, '{"runId": "r-1", "status": "succeeded"}'))
    assert op.run_orchestrator("upload", "--year", "2023") == {"runId": "r-1", "status": "succeeded"}

    error = '{"error": {"code": "NOT_INGESTED", "message": "Nothing ingested", "suggestion": "Run ingest"}}'
    monkeypatch.setenv("OP_ORCHESTRATOR", fake_cli(tmp_path, 4, error))
    with pytest.raises(AirflowFailException, match=r"exit 4 \[NOT_INGESTED\]: Nothing ingested — hint: Run ingest"):
        op.run_orchestrator("submit", "transform", "--year", "2023")

    for exit_code, error_code in ((8, "DOWNLOAD_FAILED"), (6, "LOCK_HELD")):
        payload = f'{{"error": {{"code": "{error_code}", "message": "try later"}}}}'
        monkeypatch.setenv("OP_ORCHESTRATOR", fake_cli(tmp_path, exit_code, payload))
        with pytest.raises(op.OrchestratorFailed) as retryable:
            op.run_orchestrator("ingest", "--year", "2023")
        assert not isinstance(retryable.value, AirflowFailException), error_code


def test_the_program_year_comes_from_the_param_or_the_logical_date() -> None:
    import op_common as op
    from airflow.sdk.exceptions import AirflowFailException

    assert op.program_year({"year": 2021}, None) == 2021
    assert op.program_year({"year": None}, datetime(2024, 7, 1, tzinfo=timezone.utc)) == 2023
    with pytest.raises(AirflowFailException):
        op.program_year({"year": None}, None)
