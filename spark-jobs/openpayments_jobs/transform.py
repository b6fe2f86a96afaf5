"""The transform as pure DataFrame functions (docs/transform.md): raw records of one era in; curated
rows, rejected rows and the numbers that reconcile them out. No paths and no I/O here:
``jobs/transform.py`` reads the chunks, calls these functions and writes the results.

The flow, per raw file then for all files together::

    read_raw_csv(chunk) -> number_records -> map_to_curated -> judge_rows      (per file: its era)
    -> classify (duplicate keys, removed records, outcome)                      (all files)
    -> curated_frame / rejected_frame / outcome_counts -> metrics_from_counts

``judge_rows`` cleans every curated column once; the source text stays in ``_raw_values`` where the
rejected output may need it, and typing is applied on the way to curated. The session must run
with ``runtime.SPARK_CONF``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, Iterable, Mapping, Optional, Sequence, Tuple

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from .contract import Contract, ContractError, Dataset, Era
from .eras import curated_sources
from .read import clean_column_name
from .rules import Scope, first_hard_failure, row_set_rules, soft_flags
from .values import PARSED_TYPES, TextCleanup, Typing

# Lineage columns (contract.lineage): the job fills each one, so it knows them by name.
SOURCE_FILE = "_source_file"
PUBLICATION_DATE = "_publication_date"
INGEST_RUN_ID = "_ingest_run_id"
ERA = "_era"
ROW_NUMBER = "_row_number"
DQ_FLAGS = "_dq_flags"
LINEAGE = (SOURCE_FILE, PUBLICATION_DATE, INGEST_RUN_ID, ERA, ROW_NUMBER, DQ_FLAGS)

#: Column the CSV reader fills with the record text when its field count is wrong.
CORRUPT_RECORD = "_corrupt_record"
#: Rejected output: the first hard rule the row broke, and the record text for wrong field counts.
REJECT_REASON = "_reject_reason"
RAW_RECORD = "_raw_record"
#: Judged rows: the source text of every curated column, where the rejected output may need it.
RAW_VALUES = "_raw_values"
#: Judged rows: prefix of the typed value of each curated column that is parsed from text.
TYPED_PREFIX = "_typed_"
#: Where a row ends up: CURATED, REJECTED or REMOVED.
OUTCOME = "_outcome"
CURATED, REJECTED, REMOVED = "curated", "rejected", "removed"

#: Payment_Type of the removed/deleted file that names each payment dataset's records.
REMOVED_PAYMENT_TYPES: Mapping[str, str] = {
    "general": "General Payment",
    "research": "Research Payment",
    "ownership": "Ownership or Investment Interest",
}
#: The removed/deleted curated column holding that Payment_Type.
REMOVED_TYPE_COLUMN = "payment_type"

#: monotonically_increasing_id() is (partition index << 33) + position in the partition; with one
#: partition per chunk, the low 33 bits are the record's position inside its chunk.
_POSITION_MASK = (1 << 33) - 1


@dataclass(frozen=True)
class TransformSpec:
    """One transform run's fixed inputs: the contract, the dataset and the job's program year."""

    contract: Contract
    dataset: Dataset
    year: int
    cleanup: TextCleanup
    typing: Typing

    @classmethod
    def of(cls, contract: Contract, dataset_id: str, year: int) -> "TransformSpec":
        names = tuple(c.name for c in contract.lineage)
        if sorted(names) != sorted(LINEAGE):
            raise ContractError(f"contract lineage {names} differs from the columns the transform fills {LINEAGE}")
        dataset = contract.dataset(dataset_id)
        return cls(contract, dataset, year, TextCleanup.of(contract, dataset), Typing.of(contract))

    @property
    def lineage_names(self) -> Tuple[str, ...]:
        return tuple(c.name for c in self.contract.lineage)

    @property
    def amount_column(self) -> Optional[str]:
        """The dataset's amount: its first non-nullable decimal column (None for datasets without one)."""
        for c in self.dataset.curated:
            if c.type == "decimal(18,2)" and not c.nullable:
                return c.name
        return None

    @property
    def reject_codes(self) -> Tuple[str, ...]:
        return _distinct(r.code for r in self.dataset.rules if r.hard)

    @property
    def flag_codes(self) -> Tuple[str, ...]:
        return _distinct(r.code for r in self.dataset.rules if not r.hard)

    @property
    def typed_columns(self) -> Tuple[str, ...]:
        """Curated columns parsed from text (not 'string')."""
        return tuple(c.name for c in self.dataset.curated if c.type in PARSED_TYPES)

    def typed(self, column: str) -> Column:
        """A curated column of judged rows as its contract type (null when it did not parse): the
        value ``judge_rows`` parsed for the rules, or the cleaned text of a string column."""
        return F.col(TYPED_PREFIX + column) if column in self.typed_columns else _ref(column)


def _distinct(codes: Iterable[str]) -> Tuple[str, ...]:
    return tuple(dict.fromkeys(codes))


def _ref(name: str) -> Column:
    """A column by its exact name, whatever characters it holds."""
    return F.col("`" + name.replace("`", "``") + "`")


# --- per file ------------------------------------------------------------------------------------


def number_records(chunks: DataFrame, first_rows: Mapping[str, int]) -> DataFrame:
    """Adds ``_row_number``, the record's 1-based position in the original file.

    ``chunks`` must be one scan of chunk files, each read whole as one partition (``runtime.SPARK_CONF``
    sees to it; multi-line CSV is never split), not yet filtered or shuffled, so that the position
    inside a partition is the position inside a chunk. ``first_rows`` maps each chunk's file name
    (``inputs.Chunk.name``) to the position of its first record in the original file.

    One scan for all of a file's chunks, not one per chunk: each scan repeats the whole judging plan,
    and planning five of them took 1.5 s more on the 1M-row benchmark. The chunk is named by the
    last part of ``input_file_name()`` (URL-encoded, hence ``inputs`` allows only URL-safe chunk
    names), not by the ``_metadata`` column: reading that adds a projection copying every row, which
    took a third longer than the read itself.
    """
    by_name = [part for name, first in sorted(first_rows.items()) for part in (F.lit(name), F.lit(first))]
    file_name = F.substring_index(F.input_file_name(), "/", -1)
    first_row = F.element_at(F.create_map(*by_name), file_name).cast("bigint")
    position = F.monotonically_increasing_id().bitwiseAND(F.lit(_POSITION_MASK))
    return chunks.withColumn(ROW_NUMBER, position + first_row)


@dataclass(frozen=True)
class Origin:
    """Where a raw file's rows come from (lineage)."""

    source_file: str
    #: YYYY-MM-DD.
    publication: str
    ingest_run_id: str


def map_to_curated(raw: DataFrame, spec: TransformSpec, era: Era, header: Sequence[str], origin: Origin) -> DataFrame:
    """Source columns renamed to curated names through the era, as text; curated columns the era
    lacks are null, except partition keys, which are the job's year (profiles carry no program
    year). Adds the lineage columns but ``_dq_flags``, and ``_raw_record``.

    ``raw`` is a read of the file with ``header`` (``read_raw_csv`` with ``CORRUPT_RECORD``) and
    ``_row_number``.
    """
    sources = curated_sources(era, header)
    columns = []
    for c in spec.dataset.curated:
        if c.name in sources:
            value = _ref(clean_column_name(sources[c.name]))
        elif c.name in spec.dataset.partition_keys:
            value = F.lit(str(spec.year))
        else:
            value = F.lit(None).cast("string")
        columns.append(value.alias(c.name))
    lineage = [
        F.lit(origin.source_file).alias(SOURCE_FILE),
        F.to_date(F.lit(origin.publication)).alias(PUBLICATION_DATE),
        F.lit(origin.ingest_run_id).alias(INGEST_RUN_ID),
        F.lit(era.id).alias(ERA),
        F.col(ROW_NUMBER).cast("bigint").alias(ROW_NUMBER),
        F.col(CORRUPT_RECORD).alias(RAW_RECORD),
    ]
    return raw.select(*columns, *lineage)


def judge_rows(mapped: DataFrame, spec: TransformSpec, era: Era) -> DataFrame:
    """Cleans the curated columns and adds ``_reject_reason`` (first broken hard rule but duplicate
    keys, or null), ``_dq_flags``, ``_raw_values`` and the typed value of each typed curated column
    (``TYPED_PREFIX``; parsed once, for the rules, and read by the curated output and the metrics).

    Each supplied column is cleaned once, here: the rules, the duplicate keys, the counts and the
    curated output all read the cleaned value. The source text survives in ``_raw_values`` (every
    curated column, in contract order) for the rows the rejected output may need it for and where it
    differs: rows a rule rejected, and rows whose cleaning changed a value (any row could still lose
    to a duplicate key). Elsewhere it is null, so the judged rows stay as narrow as the raw ones.

    Rules whose columns the era does not supply are skipped, so this runs per era (per file).
    """
    supplied = frozenset(c.curated for c in era.columns if c.curated is not None)
    scope = Scope(
        dataset=spec.dataset,
        supplied=supplied,
        cleanup=spec.cleanup,
        typing=spec.typing,
        job_year=spec.year,
        broken_record=F.col(RAW_RECORD).isNotNull(),
    )
    added = scope.precomputed()
    judged = mapped.select("*", *[column.alias(name) for name, column in added])
    reason = first_hard_failure(scope)
    curated = [c.name for c in spec.dataset.curated]
    # Cleaning only cuts text at its ends or empties it, so a byte-length test finds every change.
    changed = [
        F.col(n).isNotNull() & (scope.value(n).isNull() | (F.octet_length(F.col(n)) != F.octet_length(scope.value(n))))
        for n in sorted(supplied)
    ]
    keep = functools.reduce(lambda a, b: a | b, changed, reason.isNotNull())
    raw_values = F.when(keep, F.array(*[_ref(n) for n in curated]))
    columns = [(scope.value(n) if n in supplied else _ref(n)).alias(n) for n in curated]
    # A column the era lacks is parsed from what map_to_curated put there (null, or the job's year).
    typed = [
        (scope.parsed(n) if n in supplied else spec.typing.parse(_ref(n), spec.dataset.curated_column(n).type)).alias(
            TYPED_PREFIX + n
        )
        for n in spec.typed_columns
    ]
    others = [n for n in mapped.columns if n not in set(curated)]
    # One projection over the cleaned values (Spark computes ``reason`` once for both uses): every
    # projection copies each row, and with 91 text columns the copies were a sixth of the stage.
    outputs = [reason.alias(REJECT_REASON), soft_flags(scope).alias(DQ_FLAGS), raw_values.alias(RAW_VALUES)]
    return judged.select(*columns, *typed, *others, *outputs)


def source_text(spec: TransformSpec, column: str) -> Column:
    """A curated column of judged rows as the source text read (see ``judge_rows``)."""
    position = [c.name for c in spec.dataset.curated].index(column)
    return F.when(F.col(RAW_VALUES).isNotNull(), F.col(RAW_VALUES)[position]).otherwise(_ref(column))


# --- all files -----------------------------------------------------------------------------------


#: Column of ``duplicate_key_losers``: the row-set rule's code.
_DUPLICATE_CODE = "__duplicate_code"


def duplicate_key_losers(judged: DataFrame, spec: TransformSpec) -> DataFrame:
    """``(_source_file, _row_number)`` of the rows a row-set rule rejects, with the rule's code.

    Among rows no other hard rule rejected, the first row of each key in a publication (by
    ``_source_file``, ``_row_number``) is kept; the others lose. Computed on a narrow projection
    (position, publication, key, reason), so ranking the keys shuffles five columns, not the row:
    shuffling whole 91-column rows was a fifth of the transform's time.
    """
    losers: Optional[DataFrame] = None
    for rule in row_set_rules(spec.dataset):
        key = _ref(str(rule.column))
        candidates = judged.where(F.col(REJECT_REASON).isNull() & key.isNotNull()).select(
            SOURCE_FILE, ROW_NUMBER, PUBLICATION_DATE, key.alias("__key")
        )
        if losers is not None:  # a row an earlier row-set rule rejected is no longer a candidate
            candidates = candidates.join(losers, [SOURCE_FILE, ROW_NUMBER], "left_anti")
        window = Window.partitionBy(PUBLICATION_DATE, "__key").orderBy(SOURCE_FILE, ROW_NUMBER)
        ranked = candidates.withColumn("__rank", F.row_number().over(window))
        found = ranked.where(F.col("__rank") > 1).select(SOURCE_FILE, ROW_NUMBER, F.lit(rule.code).alias(_DUPLICATE_CODE))
        losers = found if losers is None else losers.unionByName(found)
    if losers is None:
        schema = f"{SOURCE_FILE} string, {ROW_NUMBER} bigint, {_DUPLICATE_CODE} string"
        return judged.sparkSession.createDataFrame([], schema)
    return losers


def reject_duplicate_keys(judged: DataFrame, spec: TransformSpec, losers: Optional[DataFrame] = None) -> DataFrame:
    """``judged`` with the duplicate-key losers rejected (see ``duplicate_key_losers``; pass them when
    they were computed already, e.g. cached and marked for broadcast)."""
    if losers is None:
        losers = duplicate_key_losers(judged, spec)
    marked = judged.join(losers, [SOURCE_FILE, ROW_NUMBER], "left")
    reason = F.coalesce(F.col(REJECT_REASON), F.col(_DUPLICATE_CODE))
    return marked.withColumn(REJECT_REASON, reason).drop(_DUPLICATE_CODE).select(*judged.columns)


def removed_keys(removed: DataFrame, dataset_id: str, key: Sequence[str]) -> Optional[DataFrame]:
    """The record keys the curated removed/deleted rows list for a payment dataset (None for a
    dataset removals do not apply to)."""
    payment_type = REMOVED_PAYMENT_TYPES.get(dataset_id)
    if payment_type is None:
        return None
    listed = removed.where(F.col(REMOVED_TYPE_COLUMN) == F.lit(payment_type))
    return listed.select(*[F.col(k).alias(f"__removed_{i}") for i, k in enumerate(key)]).distinct()


def classify(
    judged_files: Sequence[DataFrame],
    spec: TransformSpec,
    removed: Optional[DataFrame] = None,
    losers: Optional[DataFrame] = None,
) -> DataFrame:
    """All files' judged rows with duplicate keys rejected and ``_outcome`` set: rejected when a hard
    rule failed, removed when the removed/deleted partition lists the record, curated otherwise.

    ``removed`` is the curated removed_deleted partition of the job's year, if any; ``losers`` the
    ``duplicate_key_losers`` of the same rows, if the caller computed them.
    """
    if not judged_files:
        raise ValueError("classify needs at least one file")
    rows = reject_duplicate_keys(functools.reduce(DataFrame.unionByName, judged_files), spec, losers)
    rejected = F.col(REJECT_REASON).isNotNull()
    keys = None if removed is None else removed_keys(removed, spec.dataset.id, spec.dataset.record_key)
    if keys is None:
        return rows.withColumn(OUTCOME, F.when(rejected, F.lit(REJECTED)).otherwise(F.lit(CURATED)))
    listed = keys.withColumn("__removed", F.lit(True))
    match = functools.reduce(
        lambda a, b: a & b, [_ref(k) == F.col(f"__removed_{i}") for i, k in enumerate(spec.dataset.record_key)]
    )
    joined = rows.join(listed, match, "left")
    outcome = F.when(rejected, F.lit(REJECTED)).when(F.col("__removed"), F.lit(REMOVED)).otherwise(F.lit(CURATED))
    return joined.withColumn(OUTCOME, outcome).drop(*[c for c in listed.columns])


# --- outputs -------------------------------------------------------------------------------------


def curated_frame(classified: DataFrame, spec: TransformSpec) -> DataFrame:
    """Curated rows: every curated column typed, then the lineage columns."""
    rows = classified.where(F.col(OUTCOME) == F.lit(CURATED))
    columns = [spec.typed(c.name).alias(c.name) for c in spec.dataset.curated]
    return rows.select(*columns, *[F.col(n) for n in spec.lineage_names])


def rejected_column(spec: TransformSpec, name: str) -> str:
    """Name of a curated column in the rejected output. Partition keys are renamed: the rejected
    folder is partitioned by them, and a reader would otherwise show the folder's value (the job's
    year) instead of the text the row held."""
    return f"_raw_{name}" if name in spec.dataset.partition_keys else name


def rejected_frame(classified: DataFrame, spec: TransformSpec) -> DataFrame:
    """Rejected rows: every curated column as the source text, lineage, reason and record text."""
    rows = classified.where(F.col(OUTCOME) == F.lit(REJECTED))
    columns = [source_text(spec, c.name).alias(rejected_column(spec, c.name)) for c in spec.dataset.curated]
    return rows.select(*columns, *[F.col(n) for n in spec.lineage_names], F.col(REJECT_REASON), F.col(RAW_RECORD))


def outcome_counts(classified: DataFrame, spec: TransformSpec) -> DataFrame:
    """One aggregate pass: rows, amount sum and per-flag counts by file, outcome and reject reason.

    The amount is summed where it parses (for rejected rows too), exactly as curated types it.
    """
    amount = spec.typed(spec.amount_column) if spec.amount_column else F.lit(None).cast("decimal(18,2)")
    aggregates = [F.count(F.lit(1)).alias("rows"), F.sum(amount).alias("amount")]
    aggregates += [
        F.sum(F.array_contains(F.col(DQ_FLAGS), code).cast("long")).alias(f"flag_{i}")
        for i, code in enumerate(spec.flag_codes)
    ]
    return classified.groupBy(SOURCE_FILE, OUTCOME, REJECT_REASON).agg(*aggregates)


def _dollars(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def metrics_from_counts(counts: Iterable[Any], spec: TransformSpec, files: Sequence[str]) -> Dict[str, Any]:
    """The counting part of metrics.json from the collected ``outcome_counts`` rows; ``files`` are
    the raw keys read, so a file without rows still shows 0."""
    rows_by_file: Dict[str, int] = {f: 0 for f in files}
    by_outcome: Dict[str, int] = {CURATED: 0, REJECTED: 0, REMOVED: 0}
    amounts: Dict[str, Decimal] = {CURATED: Decimal(0), REJECTED: Decimal(0), REMOVED: Decimal(0)}
    reasons: Dict[str, int] = {code: 0 for code in spec.reject_codes}
    flagged: Dict[str, int] = {code: 0 for code in spec.flag_codes}
    for row in counts:
        n = int(row["rows"])
        outcome = row[OUTCOME]
        rows_by_file[row[SOURCE_FILE]] = rows_by_file.get(row[SOURCE_FILE], 0) + n
        by_outcome[outcome] += n
        if row["amount"] is not None:
            amounts[outcome] += Decimal(row["amount"])
        if outcome == REJECTED:
            reasons[row[REJECT_REASON]] = reasons.get(row[REJECT_REASON], 0) + n
        if outcome == CURATED:
            for i, code in enumerate(spec.flag_codes):
                flagged[code] += int(row[f"flag_{i}"] or 0)
    return {
        "rowsIn": sum(rows_by_file.values()),
        "rowsInByFile": rows_by_file,
        "rowsOut": by_outcome[CURATED],
        "rowsRejected": by_outcome[REJECTED],
        "rejectedByReason": reasons,
        "removed": by_outcome[REMOVED],
        "flagged": flagged,
        "amounts": {
            "curated": _dollars(amounts[CURATED]),
            "rejected": _dollars(amounts[REJECTED]),
            "removed": _dollars(amounts[REMOVED]),
        },
    }

