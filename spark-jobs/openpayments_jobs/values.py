"""Text cleanup and typing of source values, as Spark Column expressions built from the contract.

Everything here maps a Column of text to a Column: no DataFrame, no I/O. ``TextCleanup`` says what a
value is after cleaning (and whether cleaning changed something worth flagging); ``Typing`` says
whether cleaned text parses as a curated type, and what it parses to.

Parsing needs ``spark.sql.legacy.timeParserPolicy=CORRECTED`` (an unparseable date is null, not an
upgrade exception) and ANSI mode off (a bad cast is null, not an error): see ``runtime.SPARK_CONF``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, Tuple

from pyspark.sql import Column
from pyspark.sql import functions as F

from .contract import Contract, ContractError, Dataset

#: Curated types parsed from text; every other curated type ('string') is the cleaned text itself.
PARSED_TYPES = ("int", "bigint", "decimal(18,2)", "date", "boolean")

_INTEGER = r"^-?[0-9]+$"
_DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"
#: What trimming removes at either end: Java's \s (space, tab, newline, vertical tab, form feed,
#: carriage return). Trimmed with btrim, not a regex: a regex scan of every value of 91 columns was
#: most of the transform's time (the 1M-row benchmark's first stage ran ~6× longer with it).
_WHITESPACE = " \t\n\x0b\f\r"
#: Date-format letters that stand for digits; a format with any other letter (MMM, EEE...) would
#: need more than a digit-shape check and is refused.
_NUMERIC_DATE_LETTERS = "yMdHms"


def java_literal(text: str) -> str:
    """``text`` as a Java regex matching itself (each non-alphanumeric character escaped)."""
    return "".join(ch if ch.isalnum() else "\\" + ch for ch in text)


def date_shape_regex(spark_format: str) -> str:
    """A regex of the exact shape of a numeric Spark date format: ``MM/dd/yyyy`` gives
    ``^[0-9]{2}/[0-9]{2}/[0-9]{4}$``. Spark alone would also accept ``1/5/2023`` or a 5-digit year."""
    out, i = [], 0
    while i < len(spark_format):
        ch = spark_format[i]
        run = 1
        while i + run < len(spark_format) and spark_format[i + run] == ch:
            run += 1
        if ch.isalpha():
            if ch not in _NUMERIC_DATE_LETTERS or (ch != "y" and run > 2):  # MMM is a month name
                raise ContractError(f"parsing.dateFormat.spark {spark_format!r}: only numeric fields are supported")
            out.append(f"[0-9]{{{run}}}")
        else:
            out.append(java_literal(ch * run))
        i += run
    return "^" + "".join(out) + "$"


def _rule_values(dataset: Dataset, kind: str, key: str) -> Tuple[str, ...]:
    values = []
    for rule in dataset.rules:
        if rule.kind == kind:
            values.extend(str(v) for v in rule.check.get(key, ()))
    return tuple(values)


@dataclass(frozen=True)
class TextCleanup:
    """Cleanup of every text value: a leading spreadsheet artefact is stripped, surrounding whitespace
    trimmed, and a placeholder or empty value becomes null.

    The artefact goes first: one of its prefixes is a tab, which trimming would otherwise remove
    silently instead of flagging it.

    Columns are named, and each expression is built once per column and instance: every py4j call
    costs, and cleaning, the artefact rule and the placeholder rule share their parts (building them
    again took 3,000 of the job's 21,000 driver calls). So use an instance with one SparkSession.
    """

    trim: bool
    placeholders: Tuple[str, ...]
    artifact_prefixes: Tuple[str, ...]
    _built: Dict[Tuple[str, str], Column] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def of(cls, contract: Contract, dataset: Dataset) -> "TextCleanup":
        """From the dataset's ``placeholder`` and ``leading_artifact`` rules and the parsing options."""
        return cls(
            trim=contract.parsing.trim_whitespace,
            placeholders=_rule_values(dataset, "placeholder", "values"),
            artifact_prefixes=_rule_values(dataset, "leading_artifact", "prefixes"),
        )

    def _once(self, what: str, name: str, build: Callable[[], Column]) -> Column:
        key = (what, name)
        if key not in self._built:
            self._built[key] = build()
        return self._built[key]

    @property
    def _artifact_regex(self) -> str:
        return "^(?:" + "|".join(java_literal(p) for p in self.artifact_prefixes) + ")"

    def _lit(self, value: object) -> Column:
        return self._once("literal", repr(value), lambda: F.lit(value))

    def _starts_with_artifact(self, name: str) -> Column:
        # startswith is a prefix compare; the regex is kept for the rare values that need stripping.
        def build() -> Column:
            value = F.col(name)
            starts = value.startswith(self.artifact_prefixes[0])
            for prefix in self.artifact_prefixes[1:]:
                starts = starts | value.startswith(prefix)
            return starts

        return self._once("artifact", name, build)

    def has_artifact(self, name: str) -> Column:
        """True when column ``name`` starts with a spreadsheet artefact (null when it is null)."""
        if not self.artifact_prefixes:
            return self._lit(False)
        return self._starts_with_artifact(name)

    def _stripped(self, name: str) -> Column:
        def build() -> Column:
            value = F.col(name)
            if self.artifact_prefixes:
                stripped = F.regexp_replace(value, self._artifact_regex, "")
                value = F.when(self._starts_with_artifact(name), stripped).otherwise(value)
            if self.trim:
                value = F.btrim(value, self._lit(_WHITESPACE))
            return value

        return self._once("stripped", name, build)

    def was_placeholder(self, name: str, cleaned: Column) -> Column:
        """True when column ``name`` held a placeholder, given ``cleaned``, its ``clean_column``
        value. Only a value that cleaning turned into null is stripped again (nearly none): a value
        is a placeholder when it was there, cleaned to null, and was not blank."""
        if not self.placeholders:
            return self._lit(False)
        dropped = F.col(name).isNotNull() & cleaned.isNull()
        return dropped & (self._stripped(name) != self._lit(""))

    def clean_column(self, name: str) -> Column:
        """The cleaned text of column ``name``, null when empty or a placeholder."""

        def build() -> Column:
            stripped = self._stripped(name)
            empty = stripped == self._lit("")
            if self.placeholders:
                placeholders = self._once("placeholders", "", lambda: F.array(*[F.lit(p) for p in self.placeholders]))
                empty = empty | F.array_contains(placeholders, stripped)
            return F.when(empty, self._lit(None).cast("string")).otherwise(stripped)

        return self._once("cleaned", name, build)


@dataclass(frozen=True)
class Typing:
    """Parsing of cleaned text into the contract's curated types."""

    date_format: str
    boolean_true: Tuple[str, ...]
    boolean_false: Tuple[str, ...]

    @classmethod
    def of(cls, contract: Contract) -> "Typing":
        p = contract.parsing
        date_shape_regex(p.date_format_spark)  # fail early on a format the shape check cannot follow
        return cls(date_format=p.date_format_spark, boolean_true=p.boolean_true, boolean_false=p.boolean_false)

    def parse(self, value: Column, curated_type: str) -> Column:
        """``value`` as ``curated_type``; null when it is null or does not parse."""
        if curated_type == "string":
            return value
        if curated_type == "boolean":
            return F.when(value.isin(*self.boolean_true), F.lit(True)).when(
                value.isin(*self.boolean_false), F.lit(False)
            )
        if curated_type in ("int", "bigint"):
            return F.when(value.rlike(_INTEGER), value.cast(curated_type))
        if curated_type == "decimal(18,2)":
            # Too many digits for decimal(18,2) casts to null (ANSI off), so it does not parse either.
            return F.when(value.rlike(_DECIMAL), value.cast(curated_type))
        if curated_type == "date":
            # to_date alone takes 1/5/2023 or a 5-digit year; the shape check keeps MM/DD/YYYY strict,
            # and to_date then refuses dates that do not exist (02/30/2023).
            return F.when(value.rlike(date_shape_regex(self.date_format)), F.to_date(value, self.date_format))
        raise ContractError(f"curated type {curated_type!r} cannot be parsed from text")
