"""@bruin
name: open_payments.transform
type: python
description: Spark transform of the year into typed curated Parquet, reconciled, published and registered.
depends:
  - open_payments.upload
@bruin"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # orchestrator_step.py, next to pipeline.yml
from orchestrator_step import run, variables  # noqa: E402

v = variables()
dataset = [] if v["dataset"] == "all" else ["--dataset", v["dataset"]]
run("submit", "transform", "--year", str(v["year"]), *dataset)
