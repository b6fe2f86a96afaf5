"""The jobs' edges: small files through Hadoop, inputs.json, field counts and record numbers as the
CSV reader gives them, header spelling, and SQL parameters."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
from pyspark.sql import functions as F

from openpayments_jobs import storage
from openpayments_jobs.contract import Contract
from openpayments_jobs.eras import UnknownHeaderError, curated_sources
from openpayments_jobs.inputs import InputsError, inputs_from_dict, loads_inputs
from openpayments_jobs.jobs.run_sql import ParameterError, packaged_sql, render_sql
from openpayments_jobs.read import read_raw_csv
from openpayments_jobs.transform import (
    CORRUPT_RECORD,
    RAW_RECORD,
    REJECT_REASON,
    ROW_NUMBER,
    Origin,
    TransformSpec,
    classify,
    judge_rows,
    map_to_curated,
    number_records,
)

# --- storage -----------------------------------------------------------------------------------


def test_small_files_round_trip_through_hadoop(spark, tmp_path: Path) -> None:
    target = tmp_path / "deep" / "metrics.json"
    for uri in (f"file://{target}", str(target)):
        storage.write_text(spark, uri, '{"é": 1}\n')
        assert storage.read_text(spark, uri) == '{"é": 1}\n'
        assert storage.exists(spark, uri)
    storage.write_text(spark, str(target), "replaced")
    assert target.read_text() == "replaced"
    assert storage.size(spark, str(target)) == len("replaced")
    # Only the file asked for: no temporary name left behind, no .crc side file.
    assert sorted(p.name for p in target.parent.iterdir()) == ["metrics.json"]
    assert storage.list_files(spark, str(target.parent)) == ["metrics.json"]
    assert storage.list_files(spark, str(tmp_path / "missing")) == []
    assert storage.delete(spark, str(target.parent)) and not target.parent.exists()
    assert not storage.exists(spark, str(target))


def test_reading_a_missing_file_fails(spark, tmp_path: Path) -> None:
    with pytest.raises(Exception, match="FileNotFound|does not exist"):
        storage.read_text(spark, str(tmp_path / "nope.json"))


# --- inputs.json -------------------------------------------------------------------------------

INPUTS: Dict[str, Any] = {
    "dataset": "general",
    "programYear": 2023,
    "files": [
        {
            "rawKey": "raw/a.csv",
            "publication": "2024-06-30",
            "ingestRunId": "run-1",
            "era": "general_91",
            "header": ["Record_ID"],
            "records": 5,
            "chunks": [
                {"uri": "file:///s/part-00000.csv.gz", "firstRow": 1, "records": 3, "bytes": 100},
                {"uri": "file:///s/part-00001.csv.gz", "firstRow": 4, "records": 2},
            ],
        }
    ],
}


def test_inputs_are_parsed() -> None:
    inputs = loads_inputs(json.dumps(INPUTS))
    (f,) = inputs.files
    assert (inputs.dataset, inputs.program_year, f.raw_key, f.era, f.header) == ("general", 2023, "raw/a.csv", "general_91", ("Record_ID",))
    assert [(c.first_row, c.records, c.bytes) for c in inputs.chunks] == [(1, 3, 100), (4, 2, None)]


def _broken(path: List[Any], value: Any) -> Dict[str, Any]:
    broken = copy.deepcopy(INPUTS)
    target = broken
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return broken


@pytest.mark.parametrize(
    "path,value,message",
    [
        (["files", 0, "chunks", 1, "firstRow"], 5, "firstRow is 5, expected 4"),
        (["files", 0, "chunks", 1, "uri"], "s3://other/s/part-00000.csv.gz", r"file names \['part-00000.csv.gz'\] repeat"),
        (["files", 0, "chunks", 1, "uri"], "file:///s/part 1.csv.gz", r"file names \['part 1.csv.gz'\] need characters"),
        (["files", 0, "records"], 6, "chunks hold 5 records, the file 6"),
        (["files", 0, "publication"], "30/06/2024", "not a YYYY-MM-DD"),
        (["files", 0, "header"], [], "header"),
        (["files", 0, "chunks"], [], "non-empty list"),
        (["files"], [], "non-empty list"),
        (["files", 0, "era"], KeyError, "missing 'era'"),
        (["programYear"], "2023", "integer"),
    ],
)
def test_inconsistent_inputs_are_refused(path, value, message) -> None:
    with pytest.raises(InputsError, match=message):
        inputs_from_dict(_broken(path, value))


def test_a_file_listed_twice_is_refused() -> None:
    twice = copy.deepcopy(INPUTS)
    twice["files"].append(copy.deepcopy(twice["files"][0]))
    with pytest.raises(InputsError, match="twice"):
        inputs_from_dict(twice)
    with pytest.raises(InputsError, match="JSON"):
        loads_inputs("{")


# --- field counts and record numbers -----------------------------------------------------------

REMOVED_HEADER = "Change_Type,Program_Year,Payment_Type,Record_ID"


def _chunk(path: Path, records: List[str]) -> str:
    """A staging chunk: gzip, the header first (ingest writes one in every part)."""
    path.write_bytes(gzip.compress(("\n".join([REMOVED_HEADER, *records]) + "\n").encode("utf-8")))
    return str(path)


def test_wrong_field_counts_are_rejected_with_the_record_text(spark, contract: Contract, tmp_path: Path) -> None:
    path = _chunk(
        tmp_path / "part-00000.csv.gz",
        [
            '"DELETED","2023","General Payment","1"',
            '"DELETED","2023","General Payment"',  # one field short
            '"REMOVED","2023","General Payment","3","EXTRA"',  # one field too many
            '"REMOVED","2023","General Payment, with ""quotes""\nand a newline","4"',
        ],
    )
    spec = TransformSpec.of(contract, "removed_deleted", 2023)
    era = contract.era("removed_deleted_4")
    header = REMOVED_HEADER.split(",")
    raw = number_records(read_raw_csv(spark, path, header, CORRUPT_RECORD), {"part-00000.csv.gz": 1})
    judged = judge_rows(map_to_curated(raw, spec, era, header, Origin("raw/r.csv", "2024-06-30", "i")), spec, era)
    rows = classify([judged], spec).orderBy(ROW_NUMBER).collect()
    assert [(r[ROW_NUMBER], r[REJECT_REASON]) for r in rows] == [(1, None), (2, "WRONG_FIELD_COUNT"), (3, "WRONG_FIELD_COUNT"), (4, None)]
    assert rows[1][RAW_RECORD] == '"DELETED","2023","General Payment"'
    assert rows[2][RAW_RECORD] == '"REMOVED","2023","General Payment","3","EXTRA"'
    assert rows[3]["payment_type"] == 'General Payment, with "quotes"\nand a newline'


def test_corrupt_record_column_may_not_shadow_a_header_column(spark, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="collides"):
        read_raw_csv(spark, str(tmp_path / "x.csv"), ["A", "_Corrupt_Record"], CORRUPT_RECORD)


def test_record_numbers_follow_the_chunks(spark, tmp_path: Path) -> None:
    """One scan of all chunks: the record's position in its chunk plus the firstRow of its chunk,
    found by the chunk's file name (the scan orders files by size, not by name)."""
    sizes = [3, 5, 2]
    paths, first_rows, n = [], [], 1
    for i, size in enumerate(sizes):
        records = [f'"DELETED","2023","General Payment","{n + k}"' for k in range(size)]
        paths.append(_chunk(tmp_path / f"part-{i:05d}.csv.gz", records))
        first_rows.append(n)
        n += size
    header = REMOVED_HEADER.split(",")
    scan = read_raw_csv(spark, paths, header, CORRUPT_RECORD)
    numbered = number_records(scan, {Path(p).name: first for p, first in zip(paths, first_rows)})
    got = sorted((int(r["Record_ID"]), r[ROW_NUMBER]) for r in numbered.collect())
    assert got == [(k, k) for k in range(1, n)]


def test_the_job_settings_give_each_chunk_file_its_own_partition(spark, tmp_path: Path) -> None:
    """Even read together, small chunk files are not packed into one partition (runtime.SPARK_CONF),
    so a position inside a partition is a position inside a file."""
    header = REMOVED_HEADER.split(",")
    paths = [_chunk(tmp_path / f"part-{i:05d}.csv.gz", [f'"DELETED","2023","General Payment","{i}"'] * 4) for i in range(3)]
    df = read_raw_csv(spark, paths, header, CORRUPT_RECORD)
    assert df.rdd.getNumPartitions() == 3
    per_partition = df.select(F.spark_partition_id().alias("p"), F.input_file_name().alias("f")).distinct().collect()
    assert len(per_partition) == 3 and len({r["p"] for r in per_partition}) == 3


# --- header spelling ---------------------------------------------------------------------------


def test_curated_sources_follow_the_files_spelling(contract: Contract) -> None:
    era = contract.era("removed_deleted_4")
    header = ["\ufeffchange_type", " PROGRAM_YEAR ", "Payment_Type", "Record_ID"]
    assert curated_sources(era, header) == {
        "change_type": "\ufeffchange_type",
        "program_year": " PROGRAM_YEAR ",
        "payment_type": "Payment_Type",
        "record_id": "Record_ID",
    }
    with pytest.raises(UnknownHeaderError):
        curated_sources(era, header[:3])


# --- SQL parameters ----------------------------------------------------------------------------


def test_sql_parameters_are_substituted_safely() -> None:
    template = "SELECT * FROM t WHERE program_year = ${year} AND ${column} > ${minimum}"
    assert render_sql(template, {"year": "2023", "column": "amount", "minimum": "-5"}) == (
        "SELECT * FROM t WHERE program_year = 2023 AND amount > -5"
    )
    with pytest.raises(ParameterError, match="do not appear"):
        render_sql("SELECT ${year}", {"year": "2023", "limit": "5"})
    with pytest.raises(ParameterError, match="needs parameter"):
        render_sql(template, {"year": "2023"})
    with pytest.raises(ParameterError, match="only whole numbers and identifiers"):
        render_sql(template, {"year": "2023", "column": "1=1 OR x", "minimum": "0"})
    with pytest.raises(ParameterError, match="only whole numbers and identifiers"):
        render_sql(template, {"year": "2023", "column": "amount", "minimum": "'0'"})


def test_the_yearly_summary_is_packaged() -> None:
    sql = packaged_sql("yearly_summary")
    assert sql is not None and "${year}" in sql and "general_payments" in sql
    assert packaged_sql("no_such_query") is None
