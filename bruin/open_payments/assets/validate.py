"""@bruin
name: open_payments.validate
type: python
description: orchestrator validate — raw against its audit, reconciliation, nulls, amounts, removed records.
depends:
  - open_payments.transform
@bruin"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # orchestrator_step.py, next to pipeline.yml
from orchestrator_step import run, variables  # noqa: E402

v = variables()
dataset = [] if v["dataset"] == "all" else ["--dataset", v["dataset"]]
run("validate", "--year", str(v["year"]), *dataset)
