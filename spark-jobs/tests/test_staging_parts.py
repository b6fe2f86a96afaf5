"""Staging parts written by `orchestrator ingest`, read back by real Spark.

The ingest writes each part as a multi-member gzip file (pieces compressed in parallel, then
concatenated). Spark must read such a part as one stream, with records holding quoted newlines intact:
this is what the transform will read.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
from pathlib import Path

from openpayments_jobs.read import read_raw_csv

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "orchestrator" / "dist" / "cli" / "main.js"


def _records(text: str) -> int:
    return sum(1 for _ in csv.reader(io.StringIO(text, newline="")))


def test_spark_reads_every_record_of_multi_member_gzip_parts(cli, make_sample, spark, tmp_path):
    source, _ = make_sample("general", 2023, 4000, defects=0.0, seed=11)
    lake = tmp_path / "lake"
    env = dict(os.environ, ORCHESTRATOR_INGEST__CHUNK_MB="1")  # several parts from a ~2 MB file
    subprocess.run(
        ["node", str(CLI), "--lake", str(lake), "--log-level", "warn", "--json", "ingest",
         "--dataset", "general", "--year", "2023", "--source", str(source)],
        cwd=str(REPO), env=env, check=True, capture_output=True, text=True, timeout=300,
    )
    parts = sorted(lake.glob("staging/open_payments/general/program_year=2023/*/part-*.csv.gz"))
    assert len(parts) >= 2, f"expected several parts, got {parts}"

    # Several members per part: the header is one, each compressed piece another.
    assert parts[0].read_bytes().count(b"\x1f\x8b\x08\x00") >= 2

    with open(source, encoding="utf-8", newline="") as f:
        expected = list(csv.reader(f))
    header, rows = expected[0], expected[1:]
    assert any("\n" in v for r in rows for v in r), "the sample holds quoted newlines"

    df = read_raw_csv(spark, [str(p) for p in parts], header)
    got = [tuple("" if v is None else v for v in r) for r in df.collect()]
    assert len(got) == len(rows) == 4000
    assert sorted(got) == sorted(tuple(r) for r in rows)

    # Each part starts with the header and holds the records its audit says.
    manifest = next(lake.glob("metadata/runs/*/manifest.json"))
    outputs = json.loads(manifest.read_text())["outputs"][0]
    assert outputs["records"] == 4000
    texts = [gzip.decompress(p.read_bytes()).decode("utf-8") for p in parts]
    assert all(t.startswith(",".join(header)) for t in texts)
    assert sum(_records(t) - 1 for t in texts) == 4000
