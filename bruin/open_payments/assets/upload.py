"""@bruin
name: open_payments.upload
type: python
description: Move what ingest landed to the target lake (skips what is there; raw is write-once).
depends:
  - open_payments.ingest
@bruin"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # orchestrator_step.py, next to pipeline.yml
from orchestrator_step import run, variables  # noqa: E402

v = variables()
run("upload", "--dataset", v["dataset"], "--year", str(v["year"]))
