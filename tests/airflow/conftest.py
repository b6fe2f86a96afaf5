"""Shared set-up of the Airflow tests (run by `bash scripts/airflow.sh test`, which starts the
PostgreSQL metadata database and points AIRFLOW__DATABASE__SQL_ALCHEMY_CONN at it)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "airflow" / "dags"
CLI = ROOT / "orchestrator" / "dist" / "cli" / "main.js"

# The DAG files import their shared module the way Airflow does: the dags folder is on sys.path.
sys.path.insert(0, str(DAGS))
# The backfill start the policy test expects (the DAG reads it when the file is parsed).
os.environ["OP_BACKFILL_START_YEAR"] = "2018"


@pytest.fixture(scope="session")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(DAGS))


@pytest.fixture(scope="session")
def airflow_bin() -> str:
    venv = os.environ.get("OP_AIRFLOW_VENV") or str(Path(sys.executable).parent.parent)
    return str(Path(venv) / "bin" / "airflow")
