"""Local integration tier: the `profile_raw` job run by a real `spark-submit` from the project venv,
with the package shipped as a zip, exactly as the demo (and later the local runner) does it."""

from __future__ import annotations

import json

from job_submit import PACKAGE, build_zip, spark_submit


def test_profile_raw_counts_records_not_lines(make_sample, contract_path, tmp_path):
    csv_path, sidecar = make_sample("general", 2023, rows=1500, defects=0.05, seed=21)
    entry = sidecar["entries"][0]
    out = tmp_path / "profile.json"
    job = PACKAGE / "jobs" / "profile_raw.py"
    proc = spark_submit(
        "--py-files", str(build_zip(tmp_path / "jobs.zip")), str(job),
        "--contract", str(contract_path), "--dataset", "general", "--input", str(csv_path), "--out", str(out),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    profile = json.loads(out.read_text())
    assert profile["era"] == entry["era"] == "general_91"
    assert profile["records"] == 1500
    assert profile["empty"]["record_id"] == entry["expected"]["quarantined"].get("MISSING_RECORD_ID", 0)
    assert profile["empty"]["total_amount_of_payment_usdollars"] == 0
    with open(csv_path, encoding="utf-8") as f:
        assert sum(1 for _ in f) > 1501, "the sample has embedded newlines, so lines outnumber records"


def test_profile_raw_refuses_an_unknown_header(contract_path, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Record_ID,Program_Year,Favourite_Color\n1,2023,blue\n")
    proc = spark_submit(
        "--py-files", str(build_zip(tmp_path / "jobs.zip")), str(PACKAGE / "jobs" / "profile_raw.py"),
        "--contract", str(contract_path), "--dataset", "general", "--input", str(bad), "--out", str(tmp_path / "p.json"),
    )
    assert proc.returncode == 4
    # spark-submit relays the Python driver's stdout and stderr on its own stdout.
    assert "closest general era" in proc.stdout
    assert not (tmp_path / "p.json").exists()
