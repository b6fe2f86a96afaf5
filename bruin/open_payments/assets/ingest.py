"""@bruin
name: open_payments.ingest
type: python
description: Discover (or take) the year's files, download and audit them, land raw + staging chunks.
@bruin"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # orchestrator_step.py, next to pipeline.yml
from orchestrator_step import run, variables  # noqa: E402

v = variables()
run("ingest", "--dataset", v["dataset"], "--year", str(v["year"]), "--source", v["source"])
