"""Job `transform`: staging chunks of one dataset and program year -> curated Parquet, rejected rows
and metrics (docs/transform.md is the interface with the orchestrator).

    spark-submit --py-files jobs.zip transform.py --dataset general --year 2023 --run-id R \\
      --inputs URI --contract URI --curated-root URI --rejected-root URI --metrics URI \\
      [--removed-root URI] [--target-file-mb 256]

Extract (inputs.json, the contract, one scan of each file's chunks) -> ``openpayments_jobs.transform``
-> load (curated partition by dynamic overwrite, rejected rows under the run id, metrics.json last).

Exit codes: 0 done; 2 bad arguments; 3 the inputs or the contract cannot be used (one line on stderr,
``TRANSFORM_INPUT: ...`` or ``TRANSFORM_CONTRACT: ...``); 1 the job failed (``TRANSFORM_FAILED: ...``).

Test-only hook: with ``OP_TRANSFORM_INJECT_FAILURE=before-commit`` in the environment the curated
write fails from inside its tasks (a UDF raises on the last curated row), after other rows were
written but before the job commits, so tests can show a failed run leaves the previous partition as it
was. Never set it outside tests.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import re
import sys
from typing import Any, Dict, List, Optional

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import LongType

from openpayments_jobs import storage
from openpayments_jobs.contract import ContractError, loads_contract
from openpayments_jobs.eras import UnknownHeaderError, detect_era
from openpayments_jobs.inputs import InputFile, Inputs, InputsError, loads_inputs
from openpayments_jobs.read import read_raw_csv
from openpayments_jobs.runtime import (
    SCAN_CONF,
    JobInputError,
    count_data_files,
    first_line,
    replace_year_partition,
    run_job,
    set_conf,
    year_partition,
)
from openpayments_jobs.transform import (
    CORRUPT_RECORD,
    REMOVED_PAYMENT_TYPES,
    ROW_NUMBER,
    SOURCE_FILE,
    Origin,
    TransformSpec,
    classify,
    curated_frame,
    duplicate_key_losers,
    judge_rows,
    map_to_curated,
    metrics_from_counts,
    number_records,
    outcome_counts,
    rejected_frame,
)

INJECT_FAILURE_ENV = "OP_TRANSFORM_INJECT_FAILURE"
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MIB = 1024 * 1024
#: Up to this many duplicate-key losers (about 10 MB) are broadcast to every task; more are joined
#: by a shuffle of the judged rows, which is slower but never holds them all in one place.
BROADCAST_LOSERS_MAX = 100_000


# --- arguments -----------------------------------------------------------------------------------


def _run_id(value: str) -> str:
    if not _RUN_ID.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a run id (letters, digits, '.', '_', '-')")
    return value


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return n


def _year(value: str) -> int:
    if not re.match(r"^\d{4}$", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a four-digit year")
    return int(value)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parses the job arguments; argparse exits with status 2 on bad ones."""
    p = argparse.ArgumentParser(prog="transform", description=__doc__.splitlines()[0])
    p.add_argument("--dataset", required=True, help="dataset id (contract)")
    p.add_argument("--year", required=True, type=_year, help="program year")
    p.add_argument("--run-id", required=True, type=_run_id, help="orchestrator run id")
    p.add_argument("--inputs", required=True, help="URI of inputs.json")
    p.add_argument("--contract", required=True, help="URI of the exported contract JSON")
    p.add_argument("--curated-root", required=True, help="URI under which <dataset>/program_year=Y/ is written")
    p.add_argument("--rejected-root", required=True, help="URI under which <dataset>/program_year=Y/run_id=R/ is written")
    p.add_argument("--metrics", required=True, help="URI of the metrics JSON (written last)")
    p.add_argument("--removed-root", help="URI of the curated removed_deleted table")
    p.add_argument("--target-file-mb", type=_positive_int, default=256, help="input MB per curated file")
    return p.parse_args(argv)


def table_uri(root: str, dataset: str) -> str:
    return f"{root.rstrip('/')}/{dataset}"


# --- extract -------------------------------------------------------------------------------------


def load_spec(spark: SparkSession, args: argparse.Namespace) -> TransformSpec:
    try:
        contract = loads_contract(_read(spark, args.contract, "TRANSFORM_CONTRACT"))
    except ContractError as e:
        raise JobInputError("TRANSFORM_CONTRACT", str(e)) from e
    try:
        spec = TransformSpec.of(contract, args.dataset, args.year)
    except ContractError as e:
        raise JobInputError("TRANSFORM_INPUT", str(e)) from e
    if spec.dataset.partition_keys != ("program_year",):
        raise JobInputError("TRANSFORM_CONTRACT", f"{args.dataset}: the job writes program_year partitions only")
    return spec


def load_inputs(spark: SparkSession, args: argparse.Namespace) -> Inputs:
    try:
        inputs = loads_inputs(_read(spark, args.inputs, "TRANSFORM_INPUT"))
    except InputsError as e:
        raise JobInputError("TRANSFORM_INPUT", str(e)) from e
    if inputs.dataset != args.dataset or inputs.program_year != args.year:
        raise JobInputError(
            "TRANSFORM_INPUT",
            f"inputs.json is for {inputs.dataset} {inputs.program_year}, the job for {args.dataset} {args.year}",
        )
    missing = [c.uri for c in inputs.chunks if not storage.exists(spark, c.uri)]
    if missing:
        raise JobInputError("TRANSFORM_INPUT", f"{len(missing)} chunk(s) missing, first: {missing[0]}")
    return inputs


def _read(spark: SparkSession, uri: str, code: str) -> str:
    try:
        return storage.read_text(spark, uri)
    except Exception as e:  # py4j wraps FileNotFoundException, access denied...
        raise JobInputError(code, f"cannot read {uri}: {first_line(e)}") from e


def judged_file(spark: SparkSession, spec: TransformSpec, f: InputFile) -> DataFrame:
    """One raw file's rows, read by one scan of its chunks (each chunk its own partition, so
    ``_row_number`` can count records inside it), mapped through the file's era and judged."""
    try:
        era = detect_era(spec.contract, f.header, spec.dataset.id)
    except UnknownHeaderError as e:
        raise JobInputError("TRANSFORM_INPUT", f"{f.raw_key}: {e}") from e
    if era.id != f.era:
        raise JobInputError("TRANSFORM_INPUT", f"{f.raw_key}: the header is era {era.id}, inputs.json says {f.era}")
    chunks = read_raw_csv(spark, [c.uri for c in f.chunks], f.header, CORRUPT_RECORD)
    rows = number_records(chunks, {c.name: c.first_row for c in f.chunks})
    origin = Origin(source_file=f.raw_key, publication=f.publication, ingest_run_id=f.ingest_run_id)
    return judge_rows(map_to_curated(rows, spec, era, f.header, origin), spec, era)


def removed_partition(spark: SparkSession, args: argparse.Namespace) -> Optional[DataFrame]:
    """The curated removed_deleted rows of the job's year, for a dataset removals apply to, when the
    job was given a removed root and that partition exists."""
    if not args.removed_root or args.dataset not in REMOVED_PAYMENT_TYPES:
        return None
    uri = year_partition(args.removed_root, args.year)
    if not storage.exists(spark, uri):
        print(f"transform: no removed/deleted partition at {uri}; nothing is excluded", file=sys.stderr)
        return None
    return spark.read.parquet(uri)


# --- load ----------------------------------------------------------------------------------------


def input_bytes(spark: SparkSession, inputs: Inputs) -> int:
    """Size of the CSV text read: the chunk sizes inputs.json gives, else the chunk files' sizes."""
    return sum(c.bytes if c.bytes is not None else storage.size(spark, c.uri) for c in inputs.chunks)


def file_count(total_bytes: int, target_file_mb: int) -> int:
    return max(1, math.ceil(total_bytes / (target_file_mb * _MIB)))


def _fail_on_last_row(curated: DataFrame) -> DataFrame:
    """Test-only (INJECT_FAILURE_ENV): the curated write fails in the task holding the last row."""
    last = curated.agg(F.max(F.struct(SOURCE_FILE, ROW_NUMBER)).alias("last")).first()
    if last is None or last["last"] is None:
        raise RuntimeError("injected failure before commit (no curated rows)")
    target = (last["last"][SOURCE_FILE], last["last"][ROW_NUMBER])

    def fail_on_target(source_file: str, row_number: int) -> int:
        if (source_file, row_number) == target:
            raise RuntimeError("injected failure before commit")
        return row_number

    fail = F.udf(fail_on_target, LongType())
    return curated.withColumn(ROW_NUMBER, fail(F.col(SOURCE_FILE), F.col(ROW_NUMBER)))


def write_rejected(rejected: DataFrame, spec: TransformSpec, root: str, run_id: str, files: int) -> str:
    """Rejected rows of this run, in their own folder (a rerun never mixes with an earlier one)."""
    uri = f"{year_partition(table_uri(root, spec.dataset.id), spec.year)}/run_id={run_id}"
    rejected.repartition(files).write.mode("overwrite").parquet(uri)
    return uri


# --- run -----------------------------------------------------------------------------------------


def run(spark: SparkSession, args: argparse.Namespace) -> Dict[str, Any]:
    spec = load_spec(spark, args)
    inputs = load_inputs(spark, args)
    # Kept (local checkpoint): every later step reads the judged rows (the duplicate keys, the counts,
    # both writes), and judging is most of the job's work. The rows are stored one partition per
    # chunk, so nothing below shuffles whole rows. A local checkpoint rather than a cache: it also
    # cuts the plan, so the four actions below plan a scan of stored rows instead of re-planning the
    # whole judging (with a cache that was 8 s of driver time on the 1M-row benchmark, a tenth of the
    # run). The price: a partition lost with its executor is not recomputed and the job fails,
    # leaving the previous curated partition as it was; the orchestrator's rerun starts it again.
    judged = functools.reduce(DataFrame.unionByName, [judged_file(spark, spec, f) for f in inputs.files])
    judged = judged.localCheckpoint(eager=False)
    losers = duplicate_key_losers(judged, spec).persist()
    try:
        # The first action: reads and judges every chunk once (storing the rows) and ranks the keys.
        small = losers.count() <= BROADCAST_LOSERS_MAX
        set_conf(spark, SCAN_CONF)  # judging is done: what follows scans the kept rows
        # Broadcast, marking the losers does not shuffle the judged rows either.
        classified = classify([judged], spec, removed_partition(spark, args), F.broadcast(losers) if small else losers)
        metrics = metrics_from_counts(outcome_counts(classified, spec).collect(), spec, [f.raw_key for f in inputs.files])
        files = file_count(input_bytes(spark, inputs), args.target_file_mb)
        curated = curated_frame(classified, spec)
        if os.environ.get(INJECT_FAILURE_ENV) == "before-commit" and metrics["rowsOut"] > 0:
            curated = _fail_on_last_row(curated)
        curated_uri = replace_year_partition(
            spark,
            curated,
            table_uri(args.curated_root, spec.dataset.id),
            spec.year,
            files,
            metrics["rowsOut"],
            partitions=len(inputs.chunks),
        )
        rejected_files = max(1, math.ceil(files * metrics["rowsRejected"] / max(1, metrics["rowsIn"])))
        rejected_uri = write_rejected(rejected_frame(classified, spec), spec, args.rejected_root, args.run_id, rejected_files)
    finally:
        losers.unpersist()  # the checkpointed judged rows go with the session
    result: Dict[str, Any] = {
        "job": "transform",
        "dataset": spec.dataset.id,
        "programYear": spec.year,
        "runId": args.run_id,
        "contractVersion": spec.contract.contract_version,
    }
    result.update(metrics)
    result["erasByFile"] = {f.raw_key: f.era for f in inputs.files}
    result["curatedFiles"] = count_data_files(spark, curated_uri)
    result["outputs"] = {"curated": curated_uri, "rejected": rejected_uri}
    # Last: its presence tells the orchestrator the job finished.
    storage.write_text(spark, args.metrics, json.dumps(result, indent=2) + "\n")
    return result


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    summary = ("dataset", "programYear", "rowsIn", "rowsOut", "rowsRejected", "removed")
    return run_job("transform", lambda spark: run(spark, args), summary)


if __name__ == "__main__":
    sys.exit(main())
