"""Reading raw CMS CSV files.

CMS files are RFC 4180-ish: text fields are quoted, quotes inside are doubled, and quoted fields may
hold commas, CR and LF. So a record is not a line: Spark must read with ``multiLine`` and ``"`` as
both quote and escape. Every column is read as a string under an explicit schema built from the
file's own header (no inference, no positional surprises); typing is the transform's job, driven by
the contract.

Only this module knows about paths: transforms take and return DataFrames.
"""

from __future__ import annotations

import csv
import os
from typing import Dict, Iterable, List, Optional, Sequence, Union

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StringType, StructField, StructType

from .eras import js_trim, normalise_header_name

#: Options of every raw CSV read. PERMISSIVE keeps a record with too few fields (missing ones are
#: null) or too many (extras are dropped); the field-count rule needs the raw line to judge that.
RAW_CSV_OPTIONS: Dict[str, str] = {
    "header": "true",
    "multiLine": "true",
    "quote": '"',
    "escape": '"',
    "mode": "PERMISSIVE",
    "encoding": "UTF-8",
    # The header was already read and matched to an era by name (read_header + detect_era); the
    # schema is that header in file order, so Spark maps positionally and skips the header line.
    "enforceSchema": "true",
}

PathLike = Union[str, "os.PathLike[str]"]


def clean_column_name(name: str) -> str:
    """The column name as Spark should see it: a leading BOM removed and whitespace trimmed."""
    if name.startswith("\ufeff"):
        name = name[1:]
    return js_trim(name)


def raw_schema(columns: Sequence[str]) -> StructType:
    """An all-string, all-nullable schema with one field per header column, in header order."""
    names = [clean_column_name(c) for c in columns]
    if not names:
        raise ValueError("a raw CSV schema needs at least one column")
    empty = [i for i, n in enumerate(names) if not n]
    if empty:
        raise ValueError(f"header has empty column names at positions {empty}")
    seen: Dict[str, str] = {}
    for n in names:
        k = normalise_header_name(n)
        if k in seen:
            # Spark resolves names case-insensitively by default; a duplicate would be ambiguous.
            raise ValueError(f"header has duplicate columns: {seen[k]!r} and {n!r}")
        seen[k] = n
    return StructType([StructField(n, StringType(), True) for n in names])


def read_raw_csv(
    spark: SparkSession,
    paths: Union[PathLike, Iterable[PathLike]],
    columns: Sequence[str],
    corrupt_record_column: Optional[str] = None,
) -> DataFrame:
    """Reads CMS CSV file(s) as strings, one row per record (not per line).

    ``columns`` is the header of the file(s) in file order, e.g. from ``read_header``; every file of
    one call must share that header (same era, same order). Empty fields come back as null. Paths may
    be local paths or any URI Hadoop reads (``file://``, ``s3://``); ``.gz`` files are decompressed.

    With ``corrupt_record_column``, that extra column holds the record text when the record has more
    or fewer fields than the header, and null otherwise (Spark 3.5 PERMISSIVE flags both cases). Spark
    only checks the field count when the query reads that column (otherwise it prunes columns and
    cannot tell), so a caller that wants the check must keep the column in its plan.
    """
    if isinstance(paths, (str, os.PathLike)):
        path_list: List[str] = [os.fspath(paths)]
    else:
        path_list = [os.fspath(p) for p in paths]
    if not path_list:
        raise ValueError("read_raw_csv needs at least one path")
    schema = raw_schema(columns)
    options = dict(RAW_CSV_OPTIONS)
    if corrupt_record_column is not None:
        taken = {normalise_header_name(n) for n in schema.fieldNames()}
        if normalise_header_name(corrupt_record_column) in taken:
            raise ValueError(f"corrupt-record column {corrupt_record_column!r} collides with a header column")
        schema = schema.add(StructField(corrupt_record_column, StringType(), True))
        options["columnNameOfCorruptRecord"] = corrupt_record_column
    return spark.read.schema(schema).options(**options).csv(path_list)


def read_header(path: PathLike) -> List[str]:
    """The first CSV record of a local file, decoded as UTF-8 (a leading BOM is dropped).

    Uses the same quoting rules as the Spark read, so a quoted header name holding a comma or a
    newline stays one column.
    """
    with open(path, "r", encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=",", quotechar='"', doublequote=True, strict=False)
        for record in reader:
            return list(record)
    raise ValueError(f"{os.fspath(path)}: empty file, no header record")
