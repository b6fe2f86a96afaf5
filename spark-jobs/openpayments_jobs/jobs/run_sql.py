"""Job `run_sql`: a parameterised Spark SQL file over curated tables -> one program-year partition of
a Parquet table, plus a small metrics JSON.

    spark-submit --py-files jobs.zip run_sql.py --sql yearly_summary --year 2023 \\
      --curated-root URI --out URI --metrics URI [--param name=value ...]

``--sql`` names a file shipped in the package (``openpayments_jobs/sql/<name>.sql``) or is the path or
URI of a ``.sql`` file. The curated tables are temporary views (``VIEWS``). ``${name}`` in the SQL is
replaced by a parameter: ``year`` comes from ``--year``, others from ``--param``. Values are only
whole numbers or identifiers, so a parameter can never smuggle SQL in; every placeholder needs a value
and every parameter must appear in the SQL (a typo fails instead of being ignored). The result must
have a ``program_year`` column equal to ``--year``: it replaces ``<out>/program_year=Y/`` only.

Exit codes: 0 done; 2 bad arguments (a parameter value that is neither a whole number nor an
identifier included); 3 unusable inputs (``RUN_SQL_INPUT: ...``: no such SQL, a placeholder without a
value or a parameter the SQL does not use, a missing curated table, a result of other years); 1 the
query failed (``RUN_SQL_FAILED: ...``).
"""

from __future__ import annotations

import argparse
import json
import pkgutil
import re
import sys
from typing import Any, Dict, List, Mapping, Optional, Tuple

from pyspark.sql import SparkSession

from openpayments_jobs import storage
from openpayments_jobs.runtime import JobInputError, count_data_files, first_line, replace_year_partition, run_job

#: Temporary view -> curated table (folder under --curated-root) it reads.
VIEWS: Mapping[str, str] = {"general_payments": "general"}

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_INTEGER = re.compile(r"^-?[0-9]+$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PACKAGED_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class ParameterError(ValueError):
    """A parameter is malformed, unknown to the SQL, or missing."""


def _check_value(name: str, value: str) -> None:
    if not (_INTEGER.match(value) or _IDENTIFIER.match(value)):
        raise ParameterError(f"parameter {name}={value!r}: only whole numbers and identifiers are allowed")


def _parameter(text: str) -> Tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not _IDENTIFIER.match(name):
        raise argparse.ArgumentTypeError(f"{text!r} is not name=value")
    if name == "year":
        raise argparse.ArgumentTypeError("year comes from --year")
    try:
        _check_value(name, value)
    except ParameterError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return name, value


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="run_sql", description=__doc__.splitlines()[0])
    p.add_argument("--sql", required=True, help="packaged SQL name (yearly_summary) or path/URI of a .sql file")
    p.add_argument("--year", required=True, type=int, help="program year (the ${year} parameter)")
    p.add_argument("--curated-root", required=True, help="URI of the curated tables' parent folder")
    p.add_argument("--out", required=True, help="URI of the output table (partitioned by program_year)")
    p.add_argument("--metrics", required=True, help="URI of the metrics JSON (written last)")
    p.add_argument("--param", action="append", type=_parameter, default=[], help="name=value (repeatable)")
    return p.parse_args(argv)


def render_sql(template: str, params: Mapping[str, str]) -> str:
    """Replaces each ``${name}`` with its value; values must be whole numbers or identifiers."""
    used = set(_PLACEHOLDER.findall(template))
    unknown = sorted(set(params) - used - {"year"})
    if unknown:
        raise ParameterError(f"parameter(s) {', '.join(unknown)} do not appear in the SQL")
    missing = sorted(used - set(params))
    if missing:
        raise ParameterError(f"the SQL needs parameter(s) {', '.join(missing)}")
    for name, value in params.items():
        _check_value(name, value)
    return _PLACEHOLDER.sub(lambda m: params[m.group(1)], template)


def packaged_sql(name: str) -> Optional[str]:
    """A SQL file shipped in the package, read through the package loader (works from the zip)."""
    try:
        data = pkgutil.get_data("openpayments_jobs", f"sql/{name}.sql")
    except OSError:
        return None
    return None if data is None else data.decode("utf-8")


def load_sql(spark: SparkSession, sql: str) -> str:
    if _PACKAGED_NAME.match(sql):
        text = packaged_sql(sql)
        if text is None:
            raise JobInputError("RUN_SQL_INPUT", f"no SQL named {sql!r} in openpayments_jobs/sql")
        return text
    try:
        return storage.read_text(spark, sql)
    except Exception as e:
        raise JobInputError("RUN_SQL_INPUT", f"cannot read {sql}: {first_line(e)}") from e


def register_views(spark: SparkSession, curated_root: str) -> None:
    for view, table in VIEWS.items():
        uri = f"{curated_root.rstrip('/')}/{table}"
        if not storage.exists(spark, uri):
            raise JobInputError("RUN_SQL_INPUT", f"curated table {table} not found at {uri}")
        # Merged schema: years written under different contract versions may differ in columns.
        spark.read.option("mergeSchema", "true").parquet(uri).createOrReplaceTempView(view)


def run(spark: SparkSession, args: argparse.Namespace) -> Dict[str, Any]:
    params = dict(args.param, year=str(args.year))
    try:
        query = render_sql(load_sql(spark, args.sql), params)
    except ParameterError as e:
        raise JobInputError("RUN_SQL_INPUT", f"{args.sql}: {e}") from e
    register_views(spark, args.curated_root)
    result = spark.sql(query).cache()
    try:
        if "program_year" not in result.columns:
            raise JobInputError("RUN_SQL_INPUT", f"{args.sql}: the result has no program_year column")
        years = sorted(r[0] for r in result.select("program_year").distinct().collect())
        if any(y != args.year for y in years):
            raise JobInputError("RUN_SQL_INPUT", f"{args.sql}: the result holds program years {years}, not only {args.year}")
        rows = result.count()
        # A summary is small: one file.
        uri = replace_year_partition(spark, result, args.out, args.year, 1, rows)
    finally:
        result.unpersist()
    metrics = {
        "job": "run_sql",
        "sql": args.sql,
        "programYear": args.year,
        "params": params,
        "rowsOut": rows,
        "curatedFiles": count_data_files(spark, uri),
        "outputs": {"table": args.out.rstrip("/"), "partition": uri},
    }
    # Last: its presence tells the orchestrator the job finished.
    storage.write_text(spark, args.metrics, json.dumps(metrics, indent=2) + "\n")
    return metrics


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    return run_job("run_sql", lambda spark: run(spark, args), ("sql", "programYear", "rowsOut"))


if __name__ == "__main__":
    sys.exit(main())
