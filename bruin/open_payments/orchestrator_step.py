"""Runs one orchestrator CLI step for the Bruin assets in assets/ (not an asset itself).

Bruin passes the pipeline variables as JSON in BRUIN_VARS; OP_ORCHESTRATOR names the CLI command
(default `orchestrator` on PATH), as for the Airflow DAGs.
"""

import json
import os
import shlex
import subprocess
import sys


def run(*args: str) -> dict:
    bruin_vars = json.loads(os.environ.get("BRUIN_VARS", "{}"))
    command = shlex.split(os.environ.get("OP_ORCHESTRATOR", "orchestrator"))
    argv = [*command, "--lake", str(bruin_vars.get("lake", ".lake")), "--json", *args]
    print("running:", shlex.join(argv), flush=True)
    proc = subprocess.run(argv, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        print(proc.stdout, file=sys.stderr)
        raise SystemExit(proc.returncode)
    result = json.loads(proc.stdout or "{}")
    print("orchestrator run id:", result.get("runId"), flush=True)
    return result


def variables() -> dict:
    return json.loads(os.environ.get("BRUIN_VARS", "{}"))
