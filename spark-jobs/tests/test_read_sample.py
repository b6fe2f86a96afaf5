"""Raw CSV reading on real Spark, against synthetic CMS files from `orchestrator sample`."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Dict, List

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from openpayments_jobs.contract import Contract
from openpayments_jobs.eras import detect_era
from openpayments_jobs.read import RAW_CSV_OPTIONS, raw_schema, read_header, read_raw_csv

AMOUNT = "Total_Amount_of_Payment_USDollars"
CONTEXT = "Contextual_Information"

# (dataset, year, rows, era, defects, seed): the brief's samples, small enough for a quick run.
SAMPLES = {
    "general_2023_defects": ("general", 2023, 2000, None, 0.02, 3),
    "general_65_2014": ("general", 2014, 300, "general_65", None, None),
    "research_2022": ("research", 2022, 300, None, None, None),
    "ownership_2021": ("ownership", 2021, 300, None, None, None),
    "profiles_2023": ("profiles", 2023, 300, None, None, None),
    "removed_deleted_2023": ("removed_deleted", 2023, 300, None, None, None),
}


def _entry(sidecar: Dict[str, Any]) -> Dict[str, Any]:
    assert len(sidecar["entries"]) == 1, "a .csv sample has one entry"
    return sidecar["entries"][0]


def _python_records(path: Path, width: int) -> List[tuple]:
    """The file's records per Python's csv module, shaped like Spark's PERMISSIVE read (empty ->
    null, short records padded with nulls, extra fields dropped)."""
    with open(path, "r", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))[1:]
    return [tuple((v if v != "" else None) for v in (r + [""] * width)[:width]) for r in rows]


@pytest.fixture(scope="module")
def load(make_sample, spark):
    """name -> {path, sidecar, header, df}: each sample generated and read (and cached) once."""
    cache: Dict[str, Dict[str, Any]] = {}

    def get(name: str) -> Dict[str, Any]:
        if name not in cache:
            dataset, year, rows, era, defects, seed = SAMPLES[name]
            path, sidecar = make_sample(dataset, year, rows, era=era, defects=defects, seed=seed)
            header = read_header(path)
            df = read_raw_csv(spark, path, header).cache()
            cache[name] = {"path": path, "sidecar": sidecar, "entry": _entry(sidecar), "header": header, "df": df}
        return cache[name]

    yield get
    for loaded in cache.values():
        loaded["df"].unpersist()


ALL = sorted(SAMPLES)
#: Samples whose layout has the column; asserted below so a layout change fails loudly, not skips.
WITH_CONTEXT = ["general_2023_defects", "general_65_2014"]
WITH_AMOUNT = ["general_2023_defects", "general_65_2014", "research_2022"]


@pytest.mark.parametrize("name", ALL)
def test_era_detected_from_header_equals_sidecar(load, name: str, contract: Contract) -> None:
    sample = load(name)
    entry = sample["entry"]
    era = detect_era(contract, sample["header"])
    assert era.id == entry["era"]
    assert era.dataset == entry["dataset"] == SAMPLES[name][0]
    assert detect_era(contract, sample["header"], dataset=entry["dataset"]).id == entry["era"]
    assert sample["header"] == list(era.source_names), "samples are written in the published column order"
    if SAMPLES[name][3] is not None:
        assert era.id == SAMPLES[name][3]


@pytest.mark.parametrize("name", ALL)
def test_counts_records_not_lines(load, name: str) -> None:
    sample = load(name)
    path, df, rows = sample["path"], sample["df"], sample["sidecar"]["rows"]
    assert rows == SAMPLES[name][2] == sample["entry"]["rows"]
    assert df.count() == rows
    newlines = path.read_bytes().count(b"\n")
    embedded = sum(v.count("\n") for r in _python_records(path, len(sample["header"])) for v in r if v)
    # Every record ends with one LF; the others are inside quoted fields.
    assert newlines == rows + 1 + embedded
    if name in WITH_CONTEXT:
        assert newlines > rows + 1, "this sample has multi-line records: lines must outnumber records"


@pytest.mark.parametrize("name", ALL)
def test_all_columns_are_nullable_strings(load, name: str) -> None:
    sample = load(name)
    df = sample["df"]
    assert df.columns == sample["header"]
    assert all(isinstance(f.dataType, StringType) and f.nullable for f in df.schema.fields)


@pytest.mark.parametrize("name", ALL)
def test_every_value_matches_pythons_csv_module(load, name: str) -> None:
    sample = load(name)
    expected = _python_records(sample["path"], len(sample["header"]))
    got = [tuple(r) for r in sample["df"].collect()]  # one small file, one partition: file order
    assert len(got) == len(expected)
    diffs = [(i, a, b) for i, (a, b) in enumerate(zip(got, expected)) if a != b]
    assert not diffs, f"{len(diffs)} records differ, first: {diffs[0]}"


@pytest.mark.parametrize("name", WITH_CONTEXT)
def test_multiline_context_survives(load, name: str) -> None:
    sample = load(name)
    assert CONTEXT in sample["header"]
    values = [r[0] for r in sample["df"].filter(F.col(CONTEXT).contains("\n")).select(CONTEXT).collect()]
    assert values, f"no {CONTEXT} value with an embedded newline survived"
    assert len(values) == sample["entry"]["features"]["embeddedNewline"]
    assert all("\n" in v.strip() for v in values), "the newline is inside the value, not at an edge"


@pytest.mark.parametrize("name", WITH_AMOUNT)
def test_negative_amounts_match_expected_quarantine(load, name: str) -> None:
    sample = load(name)
    assert AMOUNT in sample["header"]
    negatives = sample["df"].filter(F.col(AMOUNT).startswith("-")).count()
    assert negatives == sample["entry"]["expected"]["quarantined"].get("NEGATIVE_AMOUNT", 0)


def test_defective_sample_really_has_defects(load) -> None:
    entry = load("general_2023_defects")["entry"]
    assert entry["expected"]["quarantined"].get("NEGATIVE_AMOUNT", 0) > 0, "seed 3 should inject negative amounts"
    assert entry["expected"]["quarantined"].get("WRONG_FIELD_COUNT", 0) > 0
    assert entry["features"]["embeddedNewline"] > 0


# --- small handwritten files ------------------------------------------------------------------


def test_quoted_newline_comma_and_doubled_quote(spark, tmp_path: Path) -> None:
    path = tmp_path / "tiny.csv"
    path.write_bytes(
        b"\xef\xbb\xbfRecord_ID, Contextual_Information ,Total_Amount_of_Payment_USDollars\n"
        b'1,"Dinner, then\ntalk",12.50\n'
        b'2,"He said ""hi""",-3.00\n'
        b'3,"CRLF\r\ninside",\n'
        b'4,"",0\n'
        b"5,short\n"
        b"6,long,1,EXTRA\n"
    )
    header = read_header(path)
    assert header == ["Record_ID", " Contextual_Information ", "Total_Amount_of_Payment_USDollars"]
    actual = read_raw_csv(spark, path, header)
    schema = StructType(
        [
            StructField("Record_ID", StringType(), True),
            StructField("Contextual_Information", StringType(), True),
            StructField("Total_Amount_of_Payment_USDollars", StringType(), True),
        ]
    )
    expected = spark.createDataFrame(
        [
            ("1", "Dinner, then\ntalk", "12.50"),
            ("2", 'He said "hi"', "-3.00"),
            ("3", "CRLF\r\ninside", None),
            ("4", None, "0"),  # a quoted empty string reads as null, like an empty field
            ("5", "short", None),  # too few fields: PERMISSIVE pads with null
            ("6", "long", "1"),  # too many: PERMISSIVE drops the extra
        ],
        schema,
    )
    assert_df_equality(actual, expected, ignore_row_order=True)


def test_header_read_by_name_not_position(spark, tmp_path: Path, contract: Contract) -> None:
    """A file whose columns are in another order still lands each value under its own name."""
    era = contract.era("removed_deleted_4")
    names = list(reversed(era.source_names))
    path = tmp_path / "reordered.csv"
    path.write_text(",".join(names) + "\n" + ",".join(f"v_{n}" for n in names) + "\n", encoding="utf-8")
    header = read_header(path)
    assert detect_era(contract, header).id == era.id
    row = read_raw_csv(spark, [path], header).collect()[0].asDict()
    assert row == {n: f"v_{n}" for n in era.source_names}


def test_raw_schema_rejects_duplicates_and_blanks() -> None:
    assert raw_schema(["\ufeffA", " B "]).fieldNames() == ["A", "B"]
    with pytest.raises(ValueError, match="duplicate"):
        raw_schema(["A", "a"])
    with pytest.raises(ValueError, match="empty column"):
        raw_schema(["A", " "])
    with pytest.raises(ValueError):
        raw_schema([])


def test_read_header_of_empty_file_fails(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty file"):
        read_header(empty)


def test_raw_options_are_the_documented_ones() -> None:
    assert RAW_CSV_OPTIONS["header"] == "true"
    assert RAW_CSV_OPTIONS["multiLine"] == "true"
    assert RAW_CSV_OPTIONS["quote"] == '"' and RAW_CSV_OPTIONS["escape"] == '"'
    assert RAW_CSV_OPTIONS["mode"] == "PERMISSIVE"
