"""The transform reproduces the generator's sidecar exactly, for every era of every dataset.

`orchestrator sample` injects at most one defect per row and records what the transform must do:
rows to quarantine per reason, rows to flag per code, and the exact amount sums of curated and
quarantined rows. Each era's sample goes through the transform functions (one file, one chunk)."""

from __future__ import annotations

import csv
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Dict, List

import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from openpayments_jobs.contract import Contract
from openpayments_jobs.eras import detect_era
from openpayments_jobs.read import read_header, read_raw_csv
from openpayments_jobs.transform import (
    CORRUPT_RECORD,
    CURATED,
    OUTCOME,
    REMOVED,
    ROW_NUMBER,
    Origin,
    TransformSpec,
    classify,
    curated_frame,
    judge_rows,
    map_to_curated,
    metrics_from_counts,
    number_records,
    outcome_counts,
)

#: Every era of the contract (test_every_contract_era_is_covered keeps this list honest).
ERAS = [
    "general_63", "general_63r", "general_65", "general_66", "general_75", "general_91",
    "research_164", "research_166", "research_172", "research_176", "research_252",
    "ownership_29", "ownership_30",
    "removed_deleted_4",
    "profiles_18", "profiles_27", "profiles_32",
]  # fmt: skip
ROWS = 500
DEFECTS = 0.1


def sample_year(contract: Contract, era_id: str) -> int:
    """A program year the era was published in (its last one)."""
    era = contract.era(era_id)
    return era.program_year_to if era.program_year_to is not None else 2023


def judged_csv(spark, spec: TransformSpec, path: Path, raw_key: str = "raw/sample.csv") -> DataFrame:
    """A whole sample file as one chunk, judged."""
    header = read_header(path)
    era = detect_era(spec.contract, header, spec.dataset.id)
    raw = number_records(read_raw_csv(spark, str(path), header, CORRUPT_RECORD), {path.name: 1})
    return judge_rows(map_to_curated(raw, spec, era, header, Origin(raw_key, "2024-06-30", "ingest-1")), spec, era)


def cents(value: str) -> Decimal:
    return Decimal(value) / 100


def nonzero(counts: Dict[str, int]) -> Dict[str, int]:
    return {k: v for k, v in counts.items() if v}


def test_every_contract_era_is_covered(contract: Contract) -> None:
    assert sorted(ERAS) == sorted(e.id for e in contract.iter_eras())


@pytest.mark.parametrize("era_id", ERAS)
def test_sample_of_each_era_matches_its_sidecar(spark, contract: Contract, make_sample, era_id: str) -> None:
    era = contract.era(era_id)
    year = sample_year(contract, era_id)
    path, sidecar = make_sample(era.dataset, year, ROWS, era=era_id, defects=DEFECTS, seed=zlib.crc32(era_id.encode()) % 1000)
    (entry,) = sidecar["entries"]
    spec = TransformSpec.of(contract, era.dataset, year)
    classified = classify([judged_csv(spark, spec, path)], spec).cache()
    try:
        m = metrics_from_counts(outcome_counts(classified, spec).collect(), spec, ["raw/sample.csv"])
        curated_rows = curated_frame(classified, spec).count()
    finally:
        classified.unpersist()

    expected = entry["expected"]
    assert entry["era"] == era_id
    assert nonzero(m["rejectedByReason"]) == expected["quarantined"]
    assert nonzero(m["flagged"]) == expected["flagged"]
    assert m["rowsIn"] == entry["rows"] == ROWS
    assert m["rowsOut"] == curated_rows == ROWS - sum(expected["quarantined"].values())
    assert m["rowsIn"] == m["rowsOut"] + m["rowsRejected"] + m["removed"]
    if spec.amount_column:
        assert Decimal(m["amounts"]["curated"]) == cents(entry["amountCents"]["curated"])
        assert Decimal(m["amounts"]["rejected"]) == cents(entry["amountCents"]["quarantined"])
    assert sum(expected["quarantined"].values()) > 0, "the sample should exercise hard rules"


def _python_records(path: Path) -> List[List[str]]:
    with open(path, "r", encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_curated_values_equal_the_source_text(spark, contract: Contract, make_sample) -> None:
    """Record by record (found by _row_number), curated text equals Python's csv reading of the file:
    quoted newlines, doubled quotes and commas survive."""
    path, sidecar = make_sample("general", 2023, ROWS, era="general_91", defects=DEFECTS, seed=zlib.crc32(b"general_91") % 1000)
    spec = TransformSpec.of(contract, "general", 2023)
    curated = curated_frame(classify([judged_csv(spark, spec, path)], spec), spec)
    records = _python_records(path)
    header = records[0]
    context = header.index("Contextual_Information")
    record_id = header.index("Record_ID")
    rows = curated.select(ROW_NUMBER, "record_id", "contextual_information").collect()
    assert len(rows) == sidecar["entries"][0]["rows"] - sum(sidecar["entries"][0]["expected"]["quarantined"].values())
    for r in rows:
        source = records[r[ROW_NUMBER]]
        assert r["record_id"] == source[record_id]
        assert r["contextual_information"] == (source[context].strip() or None)
    texts = [r["contextual_information"] for r in rows if r["contextual_information"]]
    assert any("\n" in t for t in texts) and any('"' in t for t in texts) and any("," in t for t in texts)


def test_removed_records_leave_curated_but_keep_every_count(spark, contract: Contract, make_sample) -> None:
    """A removed/deleted file of the same seed lists general record ids (every 7th row): those rows
    move from curated to removed, rejections do not change, and every amount is still accounted for."""
    year, seed = 2023, 12
    general_path, general_sidecar = make_sample("general", year, 700, defects=DEFECTS, seed=seed)
    removed_path, _ = make_sample("removed_deleted", year, 60, seed=seed)

    removed_spec = TransformSpec.of(contract, "removed_deleted", year)
    removed = curated_frame(classify([judged_csv(spark, removed_spec, removed_path)], removed_spec), removed_spec).cache()
    spec = TransformSpec.of(contract, "general", year)
    judged = judged_csv(spark, spec, general_path).cache()
    try:
        without = metrics_from_counts(outcome_counts(classify([judged], spec), spec).collect(), spec, ["raw/sample.csv"])
        classified = classify([judged], spec, removed)
        m = metrics_from_counts(outcome_counts(classified, spec).collect(), spec, ["raw/sample.csv"])
        removed_ids = {r[0] for r in removed.select("record_id").collect()}
        curated_before = {r[0] for r in classify([judged], spec).where(F.col(OUTCOME) == CURATED).select("record_id").collect()}
        flagged_removed = classified.where(F.col(OUTCOME) == REMOVED).select(F.explode("_dq_flags")).groupBy("col").count().collect()
    finally:
        judged.unpersist()
        removed.unpersist()

    entry = general_sidecar["entries"][0]
    assert m["removed"] == len(removed_ids & curated_before) > 0
    assert m["rowsOut"] + m["removed"] == without["rowsOut"]
    assert m["rejectedByReason"] == without["rejectedByReason"]
    assert nonzero(m["rejectedByReason"]) == entry["expected"]["quarantined"]
    flagged = dict(m["flagged"])
    for r in flagged_removed:
        flagged[r["col"]] += r["count"]
    assert nonzero(flagged) == entry["expected"]["flagged"]
    assert Decimal(m["amounts"]["curated"]) + Decimal(m["amounts"]["removed"]) == cents(entry["amountCents"]["curated"])
    assert Decimal(m["amounts"]["rejected"]) == cents(entry["amountCents"]["quarantined"])
    assert m["rowsIn"] == m["rowsOut"] + m["rowsRejected"] + m["removed"]

