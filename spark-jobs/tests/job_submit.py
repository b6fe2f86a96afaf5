"""Running a job the way the orchestrator does: the package zipped (Python and SQL files, like
orchestrator/src/adapters/local/job-package.ts), the entry script copied out of the source tree next
to it, and a real `spark-submit` from the project venv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Mapping, Optional

SPARK_JOBS = Path(__file__).resolve().parents[1]
PACKAGE = SPARK_JOBS / "openpayments_jobs"
PACKAGED = ("*.py", "*.sql")


def build_zip(dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w") as z:
        for pattern in PACKAGED:
            for path in sorted(PACKAGE.rglob(pattern)):
                if "__pycache__" not in path.parts:
                    z.write(path, path.relative_to(SPARK_JOBS).as_posix())
    return dest


def stage_job(dest: Path, entry: str) -> Path:
    """The zip and the entry script in ``dest`` (an artifact folder); returns the script's path.

    Running a copy keeps the source tree off the driver's sys.path: the package can only come from
    the zip, as on EMR."""
    dest.mkdir(parents=True, exist_ok=True)
    build_zip(dest / "openpayments_jobs.zip")
    script = dest / entry
    shutil.copyfile(PACKAGE / "jobs" / entry, script)
    return script


def spark_submit(
    *args: str,
    env: Optional[Mapping[str, str]] = None,
    master: str = "local[2]",
    cwd: Optional[Path] = None,
    timeout: int = 300,
) -> subprocess.CompletedProcess:
    """`spark-submit` with the test venv's Python on both sides; small shuffles for small data (the
    orchestrator passes its own spark.sql.shuffle.partitions the same way). ``cwd`` keeps anything
    Spark leaves in the working directory out of the repository."""
    bin_dir = Path(sys.executable).parent
    full_env = dict(os.environ, PATH=f"{bin_dir}:{os.environ.get('PATH', '')}", PYSPARK_PYTHON=sys.executable)
    full_env.update(env or {})
    return subprocess.run(
        [
            str(bin_dir / "spark-submit"), "--master", master,
            "--conf", "spark.ui.enabled=false",
            "--conf", "spark.sql.shuffle.partitions=2",
            "--conf", "spark.sql.session.timeZone=UTC",
            *args,
        ],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=None if cwd is None else str(cwd),
        timeout=timeout,
    )


def explain(proc: subprocess.CompletedProcess) -> str:
    """What a failed submit said: the job's own lines (codes, tracebacks) rather than Spark's log."""
    text = proc.stdout + proc.stderr  # spark-submit relays the driver's stderr on its stdout
    keep = [line for line in text.splitlines() if " INFO " not in line and " WARN " not in line]
    return f"exit {proc.returncode}:\n" + "\n".join(keep)[-6000:]
