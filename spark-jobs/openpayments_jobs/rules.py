"""The contract's data-quality rules as Spark predicates, evaluated generically by ``check.kind``.

``violation(rule, scope)`` is a boolean Column, true when the row breaks the rule, or None when the
rule does not apply to the rows in scope: its column is one the era does not supply, or it is not a
per-row check (``unique_in_publication`` compares rows and lives in ``transform``). Hard rules turn
into a reject reason (the first violated, in contract order), soft rules into ``_dq_flags`` codes.

Rules read cleaned values (see ``values.TextCleanup``); regexes are the contract's, written in the
common subset of JavaScript and Java syntax.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from pyspark.sql import Column
from pyspark.sql import functions as F

from .contract import ContractError, Dataset, Rule
from .values import PARSED_TYPES, TextCleanup, Typing

#: Check kinds that compare rows with each other rather than test one row.
ROW_SET_KINDS = ("unique_in_publication",)


#: Prefixes of the columns ``Scope.precomputed`` adds: each supplied column cleaned, and each
#: supplied typed column parsed.
_CLEANED = "__rules_clean__"
_PARSED = "__rules_parsed__"


@dataclass(frozen=True)
class Scope:
    """What a rule is evaluated against: one dataset, the curated columns one era supplies, a job year."""

    dataset: Dataset
    #: Curated columns the rows' era supplies (filled-in partition keys excluded: they are not data).
    supplied: FrozenSet[str]
    cleanup: TextCleanup
    typing: Typing
    job_year: int
    #: True when the record had a wrong field count.
    broken_record: Column
    _values: Dict[str, Column] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def precomputed(self) -> List[Tuple[str, Column]]:
        """Columns to add before the rules are evaluated (and to drop after): every supplied column
        cleaned, and every supplied typed column parsed from its cleaned value. The rules read these
        instead of repeating the work: one value feeds up to six rules, and Spark does not share work
        between the branches of a ``when``/``coalesce`` (measured on the 1M-row benchmark: without
        the cleaned layer judging took half again as long; without the parsed one, a date was
        shape-checked and parsed by three rules, and judging took a tenth longer).
        """
        cleaned = [(_CLEANED + n, self.cleanup.clean_column(n)) for n in sorted(self.supplied)]
        parsed = [(_PARSED + n, self.typing.parse(self.cleanup.clean_column(n), t)) for n, t in self._typed()]
        return cleaned + parsed

    def _typed(self) -> List[Tuple[str, str]]:
        """(name, curated type) of the supplied columns that are parsed from text."""
        types = [(n, self.dataset.curated_column(n).type) for n in sorted(self.supplied)]
        return [(n, t) for n, t in types if t in PARSED_TYPES]

    def value(self, column: str) -> Column:
        """The cleaned text of a supplied curated column (see ``precomputed``); built once, as
        every py4j call costs and the rules read some values many times."""
        if column not in self._values:
            self._values[column] = F.col(_CLEANED + column)
        return self._values[column]

    def parsed(self, column: str, as_type: Optional[str] = None) -> Column:
        """A supplied column's cleaned value parsed as its curated type (or as ``as_type``); null when
        it is null or does not parse."""
        own = self.dataset.curated_column(column).type
        if as_type is not None and as_type != own:
            return self.typing.parse(self.value(column), as_type)
        return F.col(_PARSED + column) if own in PARSED_TYPES else self.value(column)

    def parses(self, column: str) -> Column:
        """True when a supplied column's cleaned value is present and parses as its curated type."""
        return self.parsed(column).isNotNull()

    def any_supplied(self, test: Callable[[str, Column], Column]) -> Column:
        """True when ``test(name, cleaned)`` holds for any supplied column (its name, which is its
        raw text, and its cleaned value).

        An ``or`` of one test per column, not ``exists`` over an array of them: higher-order
        functions run interpreted and copy every value into the array, which made these two rules
        the most expensive of all (measured on the 1M-row benchmark).
        """
        tests = [test(c, self.value(c)) for c in sorted(self.supplied)]
        if not tests:
            return F.lit(False)
        return F.coalesce(functools.reduce(lambda a, b: a | b, tests), F.lit(False))


def columns_read(rule: Rule) -> Tuple[str, ...]:
    """Curated columns a rule reads (its column and the keys of its ``when`` condition)."""
    names: List[str] = []
    if rule.column is not None:
        names.append(rule.column)
    when = rule.check.get("when") or {}
    names.extend(str(k) for k in when)
    return tuple(names)


def applies(rule: Rule, scope: Scope) -> bool:
    return all(c in scope.supplied for c in columns_read(rule))


def _when_holds(rule: Rule, scope: Scope) -> Column:
    when: Mapping[str, Sequence[str]] = rule.check.get("when") or {}
    holds = F.lit(True)
    for column, values in when.items():
        holds = holds & F.coalesce(scope.value(str(column)).isin(*[str(v) for v in values]), F.lit(False))
    return holds


def _false_if_null(predicate: Column) -> Column:
    return F.coalesce(predicate, F.lit(False))


def _unparseable_typed_value(scope: Scope) -> Column:
    """A typed column whose value is present but does not parse (it is set to null in curated).

    Columns with a hard ``castable`` rule are left out: a row failing that rule is rejected instead.
    """
    dataset = scope.dataset
    hard_castable = {r.column for r in dataset.rules if r.hard and r.kind == "castable"}
    typed = [c for c in dataset.curated if c.type in PARSED_TYPES and c.name in scope.supplied and c.name not in hard_castable]
    broken = F.lit(False)
    for c in typed:
        broken = broken | (scope.value(c.name).isNotNull() & ~scope.parses(c.name))
    return broken


def violation(rule: Rule, scope: Scope) -> Optional[Column]:
    """True when the row breaks ``rule``; None when the rule is skipped for this scope."""
    kind = rule.kind
    if kind in ROW_SET_KINDS or not applies(rule, scope):
        return None
    check = rule.check
    if kind == "field_count":
        return scope.broken_record
    if kind == "placeholder":
        return scope.any_supplied(scope.cleanup.was_placeholder)
    if kind == "leading_artifact":
        return scope.any_supplied(lambda name, cleaned: scope.cleanup.has_artifact(name))
    if kind == "castable_nullable_columns":
        return _unparseable_typed_value(scope)
    column = str(rule.column)
    value = scope.value(column)
    if kind == "required":
        return value.isNull()
    if kind == "castable":
        return ~scope.parses(column)
    if kind == "min":
        return _false_if_null(scope.parsed(column) < F.lit(check["min"]))
    if kind == "equals_job_year":
        return _false_if_null(scope.parsed(column) != F.lit(scope.job_year))
    if kind == "date_between":
        latest = dt.date(scope.job_year + int(check["maxYearsAfterProgramYear"]), 12, 31)
        earliest = dt.date.fromisoformat(str(check["min"]))
        date = scope.parsed(column, "date")
        return _false_if_null((date < F.lit(earliest)) | (date > F.lit(latest)))
    if kind == "within_program_year":
        return _false_if_null(F.year(scope.parsed(column, "date")) != F.lit(scope.job_year))
    if kind == "pattern":
        return _false_if_null(value.isNotNull() & ~value.rlike(str(check["regex"]))) & _when_holds(rule, scope)
    if kind == "present_when":
        return value.isNull() & _when_holds(rule, scope)
    if kind == "accepted_values":
        unknown = ~value.isin(*[str(v) for v in check["values"]])
        # An empty value is "not accepted" only where the column may not be empty; in a nullable
        # column emptiness is not this rule's business.
        if scope.dataset.curated_column(column).nullable:
            return _false_if_null(value.isNotNull() & unknown)
        return value.isNull() | _false_if_null(unknown)
    raise ContractError(f"rule {rule.code}: check kind {kind!r} is not supported by openpayments_jobs")


def first_hard_failure(scope: Scope) -> Column:
    """The code of the first hard rule (contract order) the row breaks, or null. Row-set rules
    (duplicate keys) are left to the caller: they judge only rows that passed every other rule."""
    reasons = []
    for rule in scope.dataset.rules:
        if rule.hard:
            broken = violation(rule, scope)
            if broken is not None:
                reasons.append(F.when(broken, F.lit(rule.code)))
    if not reasons:
        return F.lit(None).cast("string")
    return F.coalesce(*reasons)


def soft_flags(scope: Scope) -> Column:
    """Sorted, distinct codes of the soft rules the row breaks; an empty array when it is clean.

    Built as a ``concat`` of one-code arrays in code order, so it needs no sort, no dedup and no
    higher-order ``filter`` (those run interpreted, once per row).
    """
    broken_by_code: Dict[str, Column] = {}
    for rule in scope.dataset.rules:
        if not rule.hard:
            if rule.kind in ROW_SET_KINDS:
                raise ContractError(f"rule {rule.code}: a soft {rule.kind} rule is not supported")
            broken = violation(rule, scope)
            if broken is not None:
                seen = broken_by_code.get(rule.code)
                broken_by_code[rule.code] = broken if seen is None else seen | broken
    none = F.array().cast("array<string>")
    if not broken_by_code:
        return none
    parts = [F.when(broken_by_code[code], F.array(F.lit(code))).otherwise(none) for code in sorted(broken_by_code)]
    return F.concat(*parts) if len(parts) > 1 else parts[0]


def row_set_rules(dataset: Dataset) -> Tuple[Rule, ...]:
    """Hard rules that compare rows (duplicate keys), in contract order."""
    return tuple(r for r in dataset.rules if r.hard and r.kind in ROW_SET_KINDS)
