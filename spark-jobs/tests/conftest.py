"""Shared fixtures: a local SparkSession, the orchestrator CLI, the exported contract and samples.

The contract and the synthetic CSVs come from the real TypeScript CLI (never from copies checked in
here), so these tests break when the two languages drift apart. If the CLI is not built yet, it is
built once with ``npx tsc -b orchestrator``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple

import pytest

SPARK_JOBS = Path(__file__).resolve().parents[1]
REPO = SPARK_JOBS.parent
CLI = REPO / "orchestrator" / "dist" / "cli" / "main.js"

# The package under test is imported from the source tree (it is shipped to Spark as a zip, never
# installed), whatever directory pytest was started from.
if str(SPARK_JOBS) not in sys.path:
    sys.path.insert(0, str(SPARK_JOBS))

# Python workers must run the interpreter of the tests, not whatever `python3` is on PATH.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


def _run(cmd: list, cwd: Path, what: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=str(cwd), capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise AssertionError(
            f"{what} failed (exit {proc.returncode}): {' '.join(map(str, cmd))}\n"
            f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
        )
    return proc


@pytest.fixture(scope="session")
def cli() -> Callable[..., subprocess.CompletedProcess]:
    """Runs `orchestrator ARGS...` (node), building the CLI first if needed; fails on non-zero exit."""
    node = shutil.which("node")
    assert node, "node is not on PATH: the orchestrator CLI is needed to export the contract and samples"
    if not CLI.exists():
        npx = shutil.which("npx")
        assert npx, "npx is not on PATH: cannot build the orchestrator CLI"
        _run([npx, "--no-install", "tsc", "-b", "orchestrator"], REPO, "building the orchestrator CLI")
        assert CLI.exists(), f"tsc -b orchestrator did not produce {CLI}"

    def run(*args: Any) -> subprocess.CompletedProcess:
        return _run([node, str(CLI), *map(str, args)], REPO, "orchestrator " + " ".join(map(str, args[:2])))

    return run


@pytest.fixture(scope="session")
def contract_path(cli, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("contract") / "contract.json"
    cli("contract", "export", "--out", out)
    assert out.exists(), "contract export wrote no file"
    return out


@pytest.fixture(scope="session")
def contract(contract_path):
    from openpayments_jobs.contract import load_contract

    return load_contract(contract_path)


Sample = Tuple[Path, Dict[str, Any]]


@pytest.fixture(scope="session")
def make_sample(cli, tmp_path_factory) -> Callable[..., Sample]:
    """Generates (once per argument set) a synthetic CMS CSV; returns (path, parsed sidecar)."""
    cache: Dict[tuple, Sample] = {}

    def make(
        dataset: str,
        year: int,
        rows: int,
        era: Optional[str] = None,
        defects: Optional[float] = None,
        seed: Optional[int] = None,
    ) -> Sample:
        key = (dataset, year, rows, era, defects, seed)
        if key not in cache:
            name = "_".join(str(k) for k in key if k is not None)
            out = tmp_path_factory.mktemp("sample") / f"{name}.csv"
            args = ["sample", "--dataset", dataset, "--year", year, "--rows", rows, "--out", out]
            if era is not None:
                args += ["--era", era]
            if defects is not None:
                args += ["--defects", defects]
            if seed is not None:
                args += ["--seed", seed]
            cli(*args)
            sidecar = json.loads(Path(f"{out}.sidecar.json").read_text(encoding="utf-8"))
            cache[key] = (out, sidecar)
        return cache[key]

    return make


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """A small local SparkSession shared by the whole run, with the settings every job runs with."""
    from pyspark.sql import SparkSession

    from openpayments_jobs.runtime import SPARK_CONF

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    builder = SparkSession.builder
    for key, value in SPARK_CONF.items():
        builder = builder.config(key, value)
    session = (
        builder.master("local[2]")
        .appName("openpayments-jobs-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
